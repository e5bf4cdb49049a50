// Goroutines shown as debugger threads (LLDB's Python OS plugin; lldb-dap's Threads): which
// goroutines, their thread ids and names, and the stack of one of them. The debugger's own
// threads stay as they are: a goroutine running on an OS thread (or inside C on it) is that
// thread, so only goroutines that are on no thread are added.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/memory.h"
#include "cgounwind/thread_walk.h"

namespace cgounwind {

// Thread ids of goroutine threads: far above any kernel thread id (pid_max is at most 2^22) and
// below 2^53, so that lldb-dap's JSON thread ids stay exact numbers in JavaScript. One id space
// per Go runtime in the process (goroutine ids repeat across runtimes).
constexpr uint64_t kGoroutineTidBase = uint64_t{1} << 40;
constexpr uint64_t kGoroutineTidModuleStride = uint64_t{1} << 36;
// Delve lists at most this many goroutines as threads (its DAP `threads` request) by default.
constexpr size_t kDefaultGoroutineThreads = 1024;

uint64_t goroutine_tid(size_t module_index, uint64_t goid);
// (module index, goroutine id) of a goroutine thread id; nullopt for any other thread id.
std::optional<std::pair<size_t, uint64_t>> goroutine_of_tid(uint64_t tid);

struct GoroutineThread {
  uint64_t tid = 0;
  uint64_t goid = 0;
  uint64_t g = 0;
  Regs regs;         // where it was parked (g.sched)
  std::string name;  // "[Go 42] main.park (chan receive)"
};

struct GoroutineThreadList {
  std::vector<GoroutineThread> threads;
  size_t left_out = 0;  // goroutines not listed because of the cap
  std::string error;    // one line when the goroutine table could not be read fully
};

// The goroutines that are on no OS thread, in the runtime's order (allgs), at most `max` of them
// (0: all), plus every goroutine whose thread id is in `keep` (the one the user selected) even
// past the cap. Names follow Delve's: "[Go ID] FUNCTION", FUNCTION the first frame of user code
// (not the runtime's) on the goroutine's stack, then its wait reason or status.
GoroutineThreadList goroutine_threads(const GoModules& mods, Memory& mem, size_t max,
                                      const std::vector<uint64_t>& keep);

// A goroutine on an OS thread (running Go, or inside C on it) as the debugger thread that follows
// it: LLDB's OS plugin reports thread id `tid` backed by the OS thread `lwp`, so that a thread
// plan (`next`, `finish`) stays with the goroutine when the runtime moves it to another thread.
struct RunningGoroutine {
  uint64_t tid = 0;
  uint64_t goid = 0;
  uint64_t g = 0;
  uint64_t lwp = 0;
  std::string name;  // "[Go 11] main.main.gowrap3": the function it started in
};

// The goroutines the debugger's threads `lwps` run (their Ms' curg), in the order of `lwps`; a
// thread with no goroutine (the scheduler, a C thread, a runtime without its layout) is left out.
// Reads allm once per runtime, not the goroutine table: it runs at every stop.
std::vector<RunningGoroutine> running_goroutines(const GoModules& mods, Memory& mem,
                                                 const std::vector<uint64_t>& lwps);

// The stack of a goroutine thread, as walk_thread returns a thread's: frames matched to the
// debugger's own (`native`, unwound from the registers goroutine_threads gave) by pc and sp.
// `g` and `start` as goroutine_threads listed them.
ThreadStack goroutine_thread_stack(const GoModules& mods, Memory& mem, uint64_t g,
                                   const Regs& start, const std::vector<NativeFrame>& native,
                                   int max_frames);

// True for functions of the Go runtime and its cgo glue: what Delve's "user location" skips.
bool is_runtime_function(const std::string& func);

}  // namespace cgounwind
