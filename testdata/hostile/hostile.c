/* hostile: a cgo program that breaks its own runtime state before stopping, then repairs it.
 * Runtime layout knowledge here is deliberately minimal and self-checking (the slots are found
 * by what they contain, not by Go version): it is test scaffolding, not the unwinder. */
#define _GNU_SOURCE
#include "hostile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#define CGU_NOINLINE __attribute__((noinline, noclone))

volatile int hostile_hits;

/* With HOSTILE_TRAP set, hostile_bp stops the program itself (int3: SIGTRAP to the debugger),
 * for the stripped build, where there is no symbol to put a breakpoint on. Never set it
 * without a debugger: Go's runtime would die of the SIGTRAP. */
CGU_NOINLINE void hostile_bp(int mode) {
  static int trap = -1;
  if (trap < 0) trap = getenv("HOSTILE_TRAP") != NULL;
  if (trap) __asm__ volatile("int3");
  hostile_hits += mode + 1;
}

/* Self-referencing garbage: every word points into the buffer itself, so a g read from here has
 * an m, a curg, a sched.sp... that all lead back here (cycles), and nonsense stack bounds. */
static uintptr_t junk[512];

/* Reads n words at addr without faulting (0 when any of it is unmapped). */
static int peek(uintptr_t addr, uintptr_t *out, size_t n) {
  if (addr == 0 || (addr & 7) != 0) return 0;
  struct iovec local = {out, n * sizeof *out}, remote = {(void *)addr, n * sizeof *out};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)(n * sizeof *out);
}

/* The cgo wrapper's CFA is asmcgocall's SP at its CALL: saved g and depth sit just above it
 * (Go <= 1.21: g at +0x30, depth at +0x28; Go >= 1.22: g at +8, depth at +0). A candidate is
 * accepted only when g's stack bounds hold go_sp and hi - depth lies just below go_sp. */
static int find_slots(uintptr_t cfa, uintptr_t go_sp, uintptr_t **g_slot, uintptr_t **depth_slot) {
  static const size_t offs[2][2] = {{8, 0}, {0x30, 0x28}};
  for (int i = 0; i < 2; i++) {
    uintptr_t *gs = (uintptr_t *)(cfa + offs[i][0]), *ds = (uintptr_t *)(cfa + offs[i][1]);
    uintptr_t bounds[2];
    if (!peek(*gs, bounds, 2)) continue;
    uintptr_t lo = bounds[0], hi = bounds[1];
    if (!(lo <= go_sp && go_sp < hi)) continue;
    uintptr_t sp = hi - *ds;
    if (sp <= go_sp && go_sp - sp < (1u << 20)) {
      *g_slot = gs;
      *depth_slot = ds;
      return 1;
    }
  }
  return 0;
}

/* The TLS slot holding g (g0 while in C): found by value near the thread pointer. */
static uintptr_t *find_tls_g(uintptr_t g0) {
  uintptr_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  for (uintptr_t *p = (uintptr_t *)tp - 1; p >= (uintptr_t *)tp - 64; p--)
    if (*p == g0) return p;
  return NULL;
}

CGU_NOINLINE static void cycle_b(int mode) {
  /* cycle_a's saved frame pointer now points at cycle_b's frame: b -> a -> b -> ... */
  uintptr_t *fa_b = __builtin_frame_address(0);
  uintptr_t *fa_a = (uintptr_t *)fa_b[0];
  uintptr_t saved = fa_a[0];
  fa_a[0] = (uintptr_t)fa_b;
  hostile_bp(mode);
  fa_a[0] = saved;
  hostile_hits++; /* work after the call: no tail call */
}

CGU_NOINLINE static void cycle_a(int mode) {
  cycle_b(mode);
  hostile_hits++;
}

CGU_NOINLINE int hostile_sabotage(int mode, uintptr_t go_sp) {
  if (mode == HOSTILE_NORMAL || mode == HOSTILE_DEEP || mode == HOSTILE_SOAK) {
    hostile_bp(mode);
    return 0;
  }
  if (mode == HOSTILE_CYCLE) {
    cycle_a(mode);
    return 0;
  }
  /* This function's caller is the cgo wrapper, called by asmcgocall: its CFA is 16 above its
   * frame pointer (C at -O0 keeps frame pointers). */
  uintptr_t cfa = (uintptr_t)__builtin_frame_address(1) + 16;
  uintptr_t *g_slot, *depth_slot;
  if (!find_slots(cfa, go_sp, &g_slot, &depth_slot)) {
    fprintf(stderr, "hostile: asmcgocall's slots not found\n");
    return 1;
  }
  uintptr_t g = *g_slot, depth = *depth_slot;
  uintptr_t m = 0, g0 = 0;
  if (peek(g + 0x30, &m, 1)) peek(m, &g0, 1); /* g.m at 0x30, m.g0 at 0 in every supported Go */
  uintptr_t *tls_g = g0 ? find_tls_g(g0) : NULL;
  if (mode != HOSTILE_DEPTH && !tls_g) {
    fprintf(stderr, "hostile: TLS g not found\n");
    return 1;
  }
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
    junk[i] = (uintptr_t)&junk[(i * 37 + 11) % (sizeof junk / sizeof junk[0])];
  switch (mode) {
    case HOSTILE_DEPTH:
      *depth_slot = 0x7ffffff00000ull; /* the goroutine "SP" lands far outside any stack */
      break;
    case HOSTILE_GZERO:
      *g_slot = 0;
      *tls_g = 0;
      break;
    case HOSTILE_GSCRAMBLE:
      *g_slot = (uintptr_t)junk;
      *tls_g = (uintptr_t)&junk[3];
      break;
  }
  hostile_bp(mode);
  *depth_slot = depth;
  *g_slot = g;
  if (tls_g) *tls_g = g0;
  return 0;
}
