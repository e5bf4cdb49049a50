#ifndef VALUES_H
#define VALUES_H

/* The breakpoint function: main.goValues calls it with Go values live across the call. */
int c_values_stop(int n);

#endif
