#include "parked.h"

volatile int parked_sink;

// The breakpoint: every worker goroutine is parked when main calls this.
__attribute__((noinline)) int c_stop(int n) {
  parked_sink = n;
  return n + 1;
}
