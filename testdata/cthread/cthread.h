#ifndef CTHREAD_H
#define CTHREAD_H

/* Starts a pthread running c_thread_main (returns pthread_create's result). */
int c_start_thread(void);
/* Joins it; returns what c_thread_main returned. */
int c_join_thread(void);
/* The breakpoint function, called from Go on the C-created thread. */
int c_leaf_in_thread(int n);

#endif
