#ifndef ANIMAL_H
#define ANIMAL_H

#include <stdint.h>

typedef enum { ANIMAL_KIND_DOG = 1, ANIMAL_KIND_CAT = 2 } animal_kind;

typedef struct {
  animal_kind kind;
  union {
    int32_t tail_len;  /* ANIMAL_KIND_DOG */
    char cat_name[16]; /* ANIMAL_KIND_CAT, NUL-terminated */
  };
} Animal;

/* Both return malloc'ed memory (release with free()). */
Animal* animal_make_dog(int32_t tail_len);
Animal* animal_make_cat(const char* name);
/* Prints the animal to stdout; the breakpoint function of the seed program. */
void animal_print(Animal* a);

/* Kind of the animal most recently printed (observable side effect of animal_print). */
extern volatile int animal_last_printed_kind;

#endif
