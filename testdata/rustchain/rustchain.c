#include "rustchain.h"

#include "_cgo_export.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int32_t cgu_rustchain_sink;

CGU_NOINLINE int32_t c_after_rust(int32_t n) {
  cgu_rustchain_sink = n;
  return n * 3;
}

CGU_NOINLINE int32_t go_cb_trampoline(int32_t n) {
  int32_t r = (int32_t)GoFromRust((int)n);
  cgu_rustchain_sink = r; /* work after the call: no tail call */
  return r + 1;
}
