#include "block.h"

#include <pthread.h>

#define CGU_NOINLINE __attribute__((noinline, noclone))

static pthread_mutex_t cgu_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cgu_cv = PTHREAD_COND_INITIALIZER;
static int cgu_released;
static int cgu_blocked; /* guarded by cgu_mu */

volatile int cgu_block_sink;

CGU_NOINLINE int c_block(int id) {
  pthread_mutex_lock(&cgu_mu);
  /* Counted under the mutex, which pthread_cond_wait only gives up once this thread waits:
     when c_blocked_count() reports N, all N threads are inside pthread_cond_wait. */
  __atomic_add_fetch(&cgu_blocked, 1, __ATOMIC_SEQ_CST);
  while (!cgu_released) pthread_cond_wait(&cgu_cv, &cgu_mu);
  __atomic_sub_fetch(&cgu_blocked, 1, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&cgu_mu);
  cgu_block_sink = id;
  return id;
}

CGU_NOINLINE int c_blocked_count(void) {
  pthread_mutex_lock(&cgu_mu);
  int n = __atomic_load_n(&cgu_blocked, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&cgu_mu);
  return n;
}

CGU_NOINLINE void c_all_blocked(void) {
  cgu_block_sink = __atomic_load_n(&cgu_blocked, __ATOMIC_SEQ_CST);
}

CGU_NOINLINE void c_release(void) {
  pthread_mutex_lock(&cgu_mu);
  cgu_released = 1;
  pthread_cond_broadcast(&cgu_cv);
  pthread_mutex_unlock(&cgu_mu);
}
