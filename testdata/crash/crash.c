#include "crash.h"

#include <stddef.h>
#include <unistd.h>

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int cgu_crash_ready;
volatile int cgu_crash_sink;

/* The fault: reads through a NULL pointer. */
CGU_NOINLINE int c_crash(int *p) {
  return *p + 1;
}

CGU_NOINLINE int c_mid(int n) {
  int *volatile p = NULL; /* volatile: the compiler cannot see the NULL and drop the load */
  if (n > 100)
    p = &n;
  int r = c_crash(p);
  cgu_crash_sink = r; /* work after the call: no tail call even at -O2 */
  return r + n;
}

CGU_NOINLINE void c_block(void) {
  cgu_crash_ready = 1;
  for (;;)
    usleep(100000);
}
