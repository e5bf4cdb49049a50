// One step of a stack walk across Go's stack switches. Debuggers unwind ordinary C frames
// themselves; the core claims the frames where the runtime switched stacks, and every Go frame
// after such a switch, and says who their caller is.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cgounwind/arch.h"
#include "cgounwind/go_binary.h"
#include "cgounwind/memory.h"

namespace cgounwind {

// A frame's registers as the core sees them: pc, stack pointer, frame pointer (Go's gobuf calls
// it bp on every architecture: rbp on amd64, x29 on arm64) and, on architectures with one, the
// link register (0: none or unknown).
struct Regs {
  uint64_t pc = 0, sp = 0, bp = 0, lr = 0;
};

// Carried from one frame to the next (innermost → outermost) by the adapter.
struct WalkState {
  bool spliced = false;  // past a switch onto a goroutine stack: Go frames are ours
  uint64_t floor = 0;    // frame-id stack addresses never go below this (debuggers reject that)
  int cgocallbacks = 0;  // cgocallback frames crossed so far (depth in the g0.sched.sp chain)
  uint64_t g = 0;        // goroutine whose stack the walk is on, when known
  int steps = 0;         // frames claimed so far (bounded)
  bool ended = false;    // the stack ended (or was truncated) at a frame the core claimed
  bool own_go = false;   // the adapter unwinds nothing itself: claim every Go frame (LLDB)
  uint64_t module = 0;   // GoModule::id() of the runtime the state above belongs to (0: none yet)
  // The next frame's pc is where a signal stopped it, not a return address: the frame
  // runtime.asyncPreempt or runtime.sigpanic interrupted (the runtime pushed that pc as
  // their return address).
  bool exact_pc = false;
};

enum class StepKind {
  NotMine,    // an ordinary frame: let the debugger unwind it
  Caller,     // `caller` holds the caller's registers
  Outermost,  // the stack ends here (goroutine start, handed-off goroutine)
  Stop,       // cannot go on: `error` says why in one line
};

struct Step {
  StepKind kind = StepKind::NotMine;
  Regs caller;
  uint64_t id_sp = 0;       // stack address for this frame's id (never below the floor)
  uint64_t cfa = 0;         // true canonical frame address of this frame (0 if unknown)
  uint64_t func_entry = 0;  // entry of this frame's function (0 outside Go)
  std::string rule;         // which rule fired ("asmcgocall", "go", "cgocallback", …)
  std::string error;        // one line when kind == Stop
  WalkState state;          // state for the caller frame
};

struct ThreadInfo {
  uint64_t lwp = 0;  // kernel thread id, matched against m.procid
};

constexpr int kMaxClaimedFrames = 1024;

class Unwinder {
 public:
  // `mod`: the Go module (binary and load bias) whose frames this unwinder claims.
  Unwinder(const GoModule& mod, Memory& mem) : mod_(mod), mem_(mem) {}

  // `innermost` is true for the frame the thread is stopped in (its pc is not a return address).
  Step step(const Regs& frame, const WalkState& state, const ThreadInfo& thread,
            bool innermost) const;

  // Functions the runtime makes a signalled thread call as if the interrupted pc had called
  // them (asyncPreempt, sigpanic): their caller's pc is exact, not a return address, and is
  // named and given a line at that pc (at pc - 1 it can be the previous function).
  static bool interrupts_caller(const std::string& name);

  // The M running on kernel thread `lwp` (runtime.allm walk), or nullopt. With `sp`, the M of
  // a frame at sp: when the thread has two Ms, the one whose g0 stack holds sp.
  std::optional<uint64_t> m_for_lwp(uint64_t lwp, std::optional<uint64_t> sp = std::nullopt) const;

 private:
  Step rule_c_thread_entry(const Regs& r, const WalkState& st, uint64_t lookup) const;
  Step rule_sigreturn(const Regs& r, const WalkState& st) const;
  Step rule_asmcgocall(const Regs& r, const WalkState& st, uint64_t entry) const;
  Step rule_cgocallback(const Regs& r, const WalkState& st, const ThreadInfo& t,
                        uint64_t lookup) const;
  Step rule_to_curg(const Regs& r, const WalkState& st, const ThreadInfo& t,
                    const char* rule) const;
  Step rule_mcall(const Regs& r, const WalkState& st, const ThreadInfo& t, bool at_return) const;
  Step rule_gogo(const Regs& r, const WalkState& st, const ThreadInfo& t) const;
  // How far below g0.sched.sp each switch leaves SP before its call: systemstack and morestack
  // not at all; mcall its arg slot (amd64) or 16-byte frame (arm64); asmcgocall a 16-byte (Go
  // 1.21+) or 64-byte (earlier) frame, then aligned down to 16.
  static constexpr uint64_t kExactSlack = 8, kMcallSlack = 16, kAsmcgocallSlack = 80;
  bool on_g0_switch_sp(const Regs& r, const ThreadInfo& t, uint64_t slack) const;
  bool on_curg_stack(const Regs& r, const ThreadInfo& t) const;
  bool off_g0_stack(const Regs& r, const ThreadInfo& t) const;
  bool returned_from_c(const Regs& r) const;
  std::optional<Regs> vdso_caller(const Regs& r, const ThreadInfo& t, uint64_t lookup) const;
  static Step to_vdso_caller(const Regs& r, const Regs& caller, const WalkState& st);
  Step rule_systemstack(const Regs& r, const WalkState& st, const ThreadInfo& t,
                        const char* rule) const;
  Step rule_crosscall2(const Regs& r, const WalkState& st, uint64_t lookup, uint64_t entry) const;
  Step rule_aligned_for_c(const Regs& r, const WalkState& st, uint64_t lookup,
                          uint64_t entry) const;
  static Step outermost(const Regs& r, const WalkState& st, const char* rule);
  Step rule_go(const Regs& r, const WalkState& st, uint64_t lookup, uint64_t entry,
               bool on_goroutine_stack) const;
  bool saves_frame_pointer(uint64_t entry) const;
  std::optional<Regs> caller_of(const Regs& r, uint64_t sp, const FrameShape& f) const;
  const Arch& arch() const { return mod_.arch(); }
  bool calls(const uint8_t* code, size_t n, uint64_t ret, const char* callee) const;
  Step stop(const Regs& r, const WalkState& st, std::string why) const;
  std::optional<uint64_t> u64(uint64_t addr) const { return mem_.u64(addr); }
  std::optional<Regs> sched_of(uint64_t g) const;
  static void enter_goroutine(Step& s, uint64_t g, const Regs& sched);
  static Step to_c_caller(const Regs& caller, const WalkState& st, const char* rule);
  std::optional<uint64_t> m_of_frame(const WalkState& st, const ThreadInfo& t, uint64_t sp) const;

  GoModule mod_;
  Memory& mem_;
};

// One step with whichever Go module holds the frame's code: NotMine when none does (C code of the
// host or its libraries). A frame of another module than the previous claimed one starts that
// runtime's part of the walk afresh (its g and its nesting of callbacks are its own).
Step step_in(const GoModules& mods, Memory& mem, const Regs& frame, const WalkState& state,
             const ThreadInfo& thread, bool innermost);

}  // namespace cgounwind
