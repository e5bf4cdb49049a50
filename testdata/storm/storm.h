#ifndef STORM_H
#define STORM_H

/* Sixteen threads crossing the cgo boundary as fast as they can (issue 15's random interrupts):
 * Go → c_call → goBack (//export) → c_leaf, from 14 goroutines (each with its own P and thread) and from
 * 2 C threads (pthread_create → c_thread_main → c_call: cgo's needm path). */
long c_call(long n);
long c_leaf(long n);
void storm_start_c_threads(int n);
void storm_stop_c_threads(void);
void storm_ready(void);

#endif
