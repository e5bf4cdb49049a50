#ifndef CRASH_H
#define CRASH_H

/* main.goCrash → c_mid → c_crash: a NULL dereference (SIGSEGV) in C called from Go. */
int c_mid(int n);
int c_crash(int *p);
/* Blocks its goroutine's thread in C (usleep) for ever; sets cgu_crash_ready first. */
void c_block(void);
extern volatile int cgu_crash_ready;

#endif
