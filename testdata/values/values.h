#ifndef VALUES_H
#define VALUES_H

#include <stdint.h>

/* A tagged C union, seen from Go as a struct whose union is a byte array (cgo's `anon0`). */
typedef enum { SHAPE_CIRCLE = 1, SHAPE_RECT = 2 } shape_kind;
typedef struct {
  shape_kind kind;
  union {
    int32_t radius; /* SHAPE_CIRCLE */
    struct {
      int16_t w, h;
    } rect; /* SHAPE_RECT */
  };
} Shape;

Shape make_circle(int32_t radius);

/* The breakpoint function: main.goValues calls it with Go values live across the call. */
int c_values_stop(int n);

#endif
