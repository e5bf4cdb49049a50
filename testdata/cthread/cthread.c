#include "cthread.h"

#include <pthread.h>
#include <stdint.h>

#include "_cgo_export.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

static pthread_t cgu_thread;
volatile int cgu_cthread_sink;

CGU_NOINLINE int c_leaf_in_thread(int n) {
  cgu_cthread_sink = n;
  return n + 100;
}

/* Thread entry point: a thread Go knows nothing about calls into Go. */
CGU_NOINLINE void* c_thread_main(void* arg) {
  int r = GoFromCThread((int)(intptr_t)arg);
  cgu_cthread_sink = r; /* work after the call: no tail call */
  return (void*)(intptr_t)r;
}

CGU_NOINLINE int c_start_thread(void) {
  return pthread_create(&cgu_thread, NULL, c_thread_main, (void*)(intptr_t)5);
}

CGU_NOINLINE int c_join_thread(void) {
  void* ret = NULL;
  if (pthread_join(cgu_thread, &ret) != 0) return -1;
  return (int)(intptr_t)ret;
}
