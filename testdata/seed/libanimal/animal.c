#include "animal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int animal_last_printed_kind;

CGU_NOINLINE Animal* animal_make_dog(int32_t tail_len) {
  Animal* a = calloc(1, sizeof *a);
  if (a == NULL) abort();
  a->kind = ANIMAL_KIND_DOG;
  a->tail_len = tail_len;
  return a;
}

CGU_NOINLINE Animal* animal_make_cat(const char* name) {
  Animal* a = calloc(1, sizeof *a);
  if (a == NULL) abort();
  a->kind = ANIMAL_KIND_CAT;
  strncpy(a->cat_name, name, sizeof a->cat_name - 1);
  return a;
}

CGU_NOINLINE void animal_print(Animal* a) {
  animal_last_printed_kind = (int)a->kind;
  switch (a->kind) {
    case ANIMAL_KIND_DOG:
      printf("dog with a tail of %d\n", (int)a->tail_len);
      break;
    case ANIMAL_KIND_CAT:
      printf("cat named %s\n", a->cat_name);
      break;
    default:
      printf("unknown animal kind %d\n", (int)a->kind);
      break;
  }
  fflush(stdout);
}
