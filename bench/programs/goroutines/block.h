#ifndef BENCH_BLOCK_H
#define BENCH_BLOCK_H
/* Blocks the calling thread for good (pthread_cond_wait). */
void bench_block(void);
/* How many threads are blocked in bench_block. */
int bench_blocked(void);
/* The breakpoint: every goroutine is started. */
int bench_ready(int n);
#endif
