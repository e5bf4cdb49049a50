#ifndef CRASHRUST_H
#define CRASHRUST_H

#include <stdint.h>

/* Implemented in Rust (testdata/rustchain/rustlib): rust_crash → rustlib::rust_fail, which
   panics; the profile's panic = "abort" makes that an abort() (SIGABRT) inside the cgo call. */
int32_t rust_crash(int32_t n);

/* Blocks its goroutine's thread in C (usleep) for ever; sets cgu_crash_ready first. */
void c_block(void);
extern volatile int cgu_crash_ready;

#endif
