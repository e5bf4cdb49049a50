#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdint.h>

/* Modes (argv[1] of the program). */
enum hostile_mode {
  HOSTILE_NORMAL = 0,    /* nothing broken: the reference stack */
  HOSTILE_DEPTH = 1,     /* asmcgocall's saved depth slot overwritten */
  HOSTILE_GZERO = 2,     /* g pointer zeroed: TLS g and asmcgocall's saved g */
  HOSTILE_GSCRAMBLE = 3, /* g pointer -> self-referencing garbage, TLS and saved */
  HOSTILE_CYCLE = 4,     /* cyclic frame-pointer chain in the C frames */
  HOSTILE_DEEP = 5,      /* nothing broken, 10,000 Go frames deep */
  HOSTILE_SOAK = 6       /* nothing broken, called many times (soak tests) */
};

/* Breaks what `mode` says, calls hostile_bp (the breakpoint function), repairs it, returns
 * 0 when the sabotage could be done (or was not needed). go_sp: an address in the calling Go
 * frame (the goroutine stack), used to find asmcgocall's slots without version tables. */
int hostile_sabotage(int mode, uintptr_t go_sp);

/* The breakpoint function. */
void hostile_bp(int mode);

#endif
