/* A C host of the Go library (golib): linked with libgocb.so (cshared-host) or libgocb.a
 * (carchive-host). `host thread` runs the chain on a pthread of its own, whose first call into
 * Go takes cgo's needm path. GoRun(host_cb, 1): call_host → host_cb(2) → GoMiddle(2) →
 * lib_c_inner(2) = 4 → 5 → 6 → 7. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The library's exports (libgocb.h, which go build writes, says the same with Go's typedefs). */
typedef int (*host_cb_fn)(int);
extern int GoRun(host_cb_fn cb, int n);
extern int GoMiddle(int n);
extern void GoParkMany(int n);

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int host_sink;

CGU_NOINLINE int host_cb(int n) {
  int r = GoMiddle(n);
  host_sink = r;
  return r + 1;
}

CGU_NOINLINE int host_run(int n) {
  int r = GoRun(host_cb, n);
  host_sink = r;
  return r;
}

static void *host_thread(void *arg) {
  *(int *)arg = host_run(1);
  return NULL;
}

int main(int argc, char **argv) {
  GoParkMany(3);
  int r = 0;
  if (argc > 1 && strcmp(argv[1], "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, host_thread, &r) != 0 || pthread_join(t, NULL) != 0) return 2;
  } else {
    r = host_run(1);
  }
  if (r != 7) {
    fprintf(stderr, "host: got %d, want 7\n", r);
    return 1;
  }
  return 0;
}
