#include "lib.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int golib_sink;

/* The breakpoint function: C inside the Go library, called from Go called from the host's C. */
CGU_NOINLINE int lib_c_inner(int n) {
  golib_sink = n;
  return n * 2;
}

/* Go → the library's C → the host's callback (which calls back into Go). */
CGU_NOINLINE int call_host(host_cb_fn cb, int n) {
  int r = cb(n + 1);
  golib_sink = r; /* work after the call: no tail call even at -O2 */
  return r + 1;
}
