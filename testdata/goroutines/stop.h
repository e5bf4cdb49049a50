#ifndef GOROUTINES_STOP_H
#define GOROUTINES_STOP_H

/* The breakpoint function: main calls it once every other goroutine is parked. */
void c_stop(int n);

#endif
