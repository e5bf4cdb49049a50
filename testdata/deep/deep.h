#ifndef DEEP_H
#define DEEP_H

/* c_level(n) calls back into Go with GoLevel(n - 1). */
int c_level(int n);
/* The breakpoint function, reached at the bottom of the recursion. */
void c_bottom(void);

#endif
