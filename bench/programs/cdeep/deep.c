/* cdeep: a plain C stack of DEPTH frames (argv[1]), for comparing backtrace times with a
   spliced Go/C stack of the same depth: level(n) recurses to c_bottom (the breakpoint). */
#include <stdlib.h>

volatile int deep_sink;

__attribute__((noinline)) int c_bottom(int n) {
  deep_sink = n;
  return n;
}

__attribute__((noinline)) int level(int n) {
  if (n <= 0) return c_bottom(n);
  return level(n - 1) + 1;
}

int main(int argc, char** argv) {
  int depth = argc > 1 ? atoi(argv[1]) : 100;
  return level(depth) == depth ? 0 : 1;
}
