#include "values.h"

volatile int cgu_values_sink;

__attribute__((noinline, noclone)) int c_values_stop(int n) {
  cgu_values_sink = n;
  return n + 1;
}
