#include "_cgo_export.h"

volatile int alt_sink;

int c_level(int n) { return GoLevel(n) + 1; }

__attribute__((noinline)) int c_bottom(int n) {
  alt_sink = n;
  return n;
}
