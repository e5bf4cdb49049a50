#ifndef BLOCK_H
#define BLOCK_H

/* Blocks the calling thread until c_release(); returns id. */
int c_block(int id);
/* Number of threads currently blocked inside c_block. */
int c_blocked_count(void);
/* The breakpoint function: called once every worker is blocked in c_block. */
void c_all_blocked(void);
/* Wakes every thread blocked in c_block (and makes later calls return at once). */
void c_release(void);

#endif
