#include <unistd.h>

#include "crashrust.h"

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int cgu_crash_ready;

CGU_NOINLINE void c_block(void) {
  cgu_crash_ready = 1;
  for (;;)
    usleep(100000);
}
