#include "stop.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int cgu_goroutines_sink;

/* The breakpoint function. */
CGU_NOINLINE void c_stop(int n) { cgu_goroutines_sink = n; }
