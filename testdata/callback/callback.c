#include "callback.h"

#include "_cgo_export.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int cgu_callback_sink;

/* The breakpoint function. */
CGU_NOINLINE int c_inner(int n) {
  cgu_callback_sink = n;
  return n * 2;
}

CGU_NOINLINE int c_outer(int n) {
  int r = GoMiddle(n + 1);
  cgu_callback_sink = r; /* work after the call: no tail call even at -O2 */
  return r + 1;
}
