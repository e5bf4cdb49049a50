#include "block.h"

#include <pthread.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int blocked;
volatile int bench_sink;

void bench_block(void) {
  pthread_mutex_lock(&mu);
  blocked++;
  for (;;) pthread_cond_wait(&never, &mu);
}

int bench_blocked(void) {
  pthread_mutex_lock(&mu);
  int n = blocked;
  pthread_mutex_unlock(&mu);
  return n;
}

__attribute__((noinline)) int bench_ready(int n) {
  bench_sink = n;
  return n;
}
