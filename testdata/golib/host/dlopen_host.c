/* A C host that loads the Go library (libgocb.so, next to this program) with dlopen after it
 * has started, and runs the same chain as host.c through dlsym'ed pointers.
 *   dlopen-host          the chain on main's thread
 *   dlopen-host thread   on a pthread of the host (cgo's needm path)
 *   dlopen-host two      two Go runtimes: libgocb2.so (a second build of the library) is loaded
 *                        too, and host_cb calls its GoMiddle, so one stack crosses both:
 *                        lib_c_inner (B) … GoMiddle (B) → host_cb → call_host (A) … GoRun (A). */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CGU_NOINLINE __attribute__((noinline, noclone))

typedef int (*host_cb_fn)(int);
static int (*go_middle)(int);
static int (*go_run)(host_cb_fn, int);
volatile int host_sink;

CGU_NOINLINE int host_cb(int n) {
  int r = go_middle(n);
  host_sink = r;
  return r + 1;
}

CGU_NOINLINE int host_run(int n) {
  int r = go_run(host_cb, n);
  host_sink = r;
  return r;
}

static void *open_lib(const char *name) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 64);
  if (n <= 0) return NULL;
  path[n] = '\0';
  strcpy(strrchr(path, '/') + 1, name);
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) fprintf(stderr, "dlopen-host: %s\n", dlerror());
  return lib;
}

static void *host_thread(void *arg) {
  *(int *)arg = host_run(1);
  return NULL;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  void *lib = open_lib("libgocb.so");
  void *other = strcmp(mode, "two") == 0 ? open_lib("libgocb2.so") : lib;
  if (lib == NULL || other == NULL) return 2;
  go_middle = (int (*)(int))dlsym(other, "GoMiddle");
  go_run = (int (*)(host_cb_fn, int))dlsym(lib, "GoRun");
  void (*park)(int) = (void (*)(int))dlsym(lib, "GoParkMany");
  void (*park_other)(int) = (void (*)(int))dlsym(other, "GoParkMany");
  if (!go_middle || !go_run || !park || !park_other) return 2;
  park(3);
  if (other != lib) park_other(2);
  int r = 0;
  if (strcmp(mode, "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, host_thread, &r) != 0 || pthread_join(t, NULL) != 0) return 2;
  } else {
    r = host_run(1);
  }
  if (r != 7) {
    fprintf(stderr, "dlopen-host: got %d, want 7\n", r);
    return 1;
  }
  return 0;
}
