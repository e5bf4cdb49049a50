#include "deep.h"

#include "_cgo_export.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int cgu_deep_sink;

CGU_NOINLINE int c_level(int n) {
  int r = GoLevel(n - 1);
  cgu_deep_sink = r; /* work after the call: no tail call */
  return r + 1;
}

CGU_NOINLINE void c_bottom(void) { cgu_deep_sink = 12345; }
