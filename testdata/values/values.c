#include "values.h"

volatile int cgu_values_sink;

Shape make_circle(int32_t radius) {
  Shape s;
  s.kind = SHAPE_CIRCLE;
  s.radius = radius;
  return s;
}

__attribute__((noinline, noclone)) int c_values_stop(int n) {
  cgu_values_sink = n;
  return n + 1;
}
