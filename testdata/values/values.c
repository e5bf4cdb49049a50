#include "values.h"

#include <string.h>

volatile int cgu_values_sink;

Shape make_circle(int32_t radius) {
  Shape s;
  s.kind = SHAPE_CIRCLE;
  s.radius = radius;
  return s;
}

Animal make_cat(const char* name) {
  Animal a;
  memset(&a, 0, sizeof a);
  a.kind = ANIMAL_KIND_CAT;
  strncpy(a.cat_name, name, sizeof a.cat_name - 1);
  return a;
}

Animal make_dog(int32_t tail_len) {
  Animal a;
  memset(&a, 0, sizeof a);
  a.kind = ANIMAL_KIND_DOG;
  a.tail_len = tail_len;
  return a;
}

Number make_float(float f) {
  Number n;
  memset(&n, 0, sizeof n);
  n.tag = NUMBER_F;
  n.as.f = f;
  return n;
}

Pos make_pos(int16_t x, int16_t y) {
  Pos p;
  memset(&p, 0, sizeof p);
  p.dims = 2;
  p.x = x;
  p.y = y;
  return p;
}

CStr make_cstr(const char* s, size_t len) {
  CStr c = {s, len};
  return c;
}

__attribute__((noinline, noclone)) int c_values_stop(int n) {
  cgu_values_sink = n;
  return n + 1;
}
