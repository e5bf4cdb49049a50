#ifndef VALUES_H
#define VALUES_H

#include <stddef.h>
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

/* The seed example's Animal: the enum names the active member (ANIMAL_KIND_CAT ↔ cat_name). */
typedef enum { ANIMAL_KIND_DOG = 1, ANIMAL_KIND_CAT = 2 } animal_kind;
typedef struct {
  animal_kind kind;
  union {
    int32_t tail_len;  /* ANIMAL_KIND_DOG */
    char cat_name[16]; /* ANIMAL_KIND_CAT, NUL-terminated */
  };
} Animal;

/* A tagged union whose tag names each member, one of them an array; the union is named. */
typedef enum { NUMBER_I = 1, NUMBER_F = 2, NUMBER_RAW = 3 } number_tag;
typedef struct {
  number_tag tag;
  union {
    int32_t i;
    float f;
    unsigned char raw[8];
  } as;
} Number;

/* A union holding an anonymous struct and a nested union. */
typedef struct {
  uint8_t dims;
  union {
    struct {
      int16_t x, y;
    };
    union {
      uint32_t packed;
      uint8_t bytes[4];
    } bits;
  };
} Pos;

/* A C string with its length. */
typedef struct {
  const char* data;
  size_t len;
} CStr;

Animal make_cat(const char* name);
Animal make_dog(int32_t tail_len);
Number make_float(float f);
Pos make_pos(int16_t x, int16_t y);
CStr make_cstr(const char* s, size_t len);

/* The breakpoint function: main.goValues calls it with Go values live across the call. */
int c_values_stop(int n);

#endif
