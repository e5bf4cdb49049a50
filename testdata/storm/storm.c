#include "storm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "_cgo_export.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile long storm_sink;
static atomic_int storm_stop;
static pthread_t storm_threads[8];
static int storm_nthreads;

/* The leaf: some work, and a libc call through the PLT now and then. */
CGU_NOINLINE long c_leaf(long n) {
  long r = n * 3 + 1;
  if (n % 32 == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r += ts.tv_nsec & 1;
  }
  storm_sink += r;
  return r;
}

/* C → Go: crosscall2, cgocallback, then goBack calls c_leaf (C → Go → C on one stack). */
CGU_NOINLINE long c_call(long n) {
  long r = goBack(n);
  storm_sink += r; /* work after the call: -O2 cannot make it a tail call */
  return r + 1;
}

static void *c_thread_main(void *arg) {
  long n = (long)arg;
  while (!atomic_load(&storm_stop))
    n = c_call(n) % 100000;
  return 0;
}

void storm_start_c_threads(int n) {
  for (int i = 0; i < n && i < 8; i++)
    pthread_create(&storm_threads[storm_nthreads++], 0, c_thread_main, (void *)(long)i);
}

void storm_stop_c_threads(void) {
  atomic_store(&storm_stop, 1);
  for (int i = 0; i < storm_nthreads; i++)
    pthread_join(storm_threads[i], 0);
}

/* BP: every thread is running; a debugger interrupts the storm from here on. */
CGU_NOINLINE void storm_ready(void) { storm_sink++; }
