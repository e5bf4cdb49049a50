#include "cgounwind/thread_walk.h"

#include <fmt/format.h>

#include "cgounwind/unwinder.h"

namespace cgounwind {

int native_index(const std::vector<NativeFrame>& native, uint64_t pc, uint64_t sp, int from) {
  for (size_t j = static_cast<size_t>(std::max(from, 0)); j < native.size(); ++j) {
    if (native[j].pc == pc && native[j].sp == sp) return static_cast<int>(j);
  }
  return -1;
}

namespace {

CRegs from_regs(const Arch& a, const Regs& r) {
  CRegs c;
  c.set(a.pc_reg(), r.pc);
  c.set(a.sp_reg(), r.sp);
  c.set(a.fp_reg(), r.bp);
  if (a.lr_reg() >= 0 && r.lr != 0) c.set(a.lr_reg(), r.lr);
  return c;
}

// The debugger's own frames, as they are.
ThreadStack debugger_frames(const std::vector<NativeFrame>& native, bool first_innermost) {
  ThreadStack out;
  for (size_t j = 0; j < native.size(); ++j) {
    ThreadFrame f;
    f.pc = native[j].pc;
    f.sp = native[j].sp;
    f.bp = native[j].fp;
    f.native = static_cast<int>(j);
    f.innermost = j == 0 && first_innermost;
    f.rule = "debugger";
    out.frames.push_back(f);
  }
  return out;
}

ThreadStack walk(const GoModules& gomods, const CodeModules& mods, Memory& mem, const CRegs& regs0,
                 const std::vector<NativeFrame>& native, uint64_t lwp, int max_frames,
                 bool first_innermost, bool* claimed) {
  ThreadStack out;
  if (gomods.empty()) {
    out.error = "no Go module";
    return out;
  }
  const Arch& a = gomods.all().front().arch();
  CRegs regs = regs0;
  WalkState st;
  st.own_go = true;
  auto reg = [](const CRegs& c, int n) { return c.has(n) ? c.r[static_cast<size_t>(n)] : 0; };
  auto pc_of = [&](const CRegs& c) { return reg(c, a.pc_reg()); };
  auto sp_of = [&](const CRegs& c) { return reg(c, a.sp_reg()); };
  auto fp_of = [&](const CRegs& c) { return reg(c, a.fp_reg()); };
  auto lr_of = [&](const CRegs& c) { return a.lr_reg() >= 0 ? reg(c, a.lr_reg()) : 0; };
  int k = native_index(native, pc_of(regs), sp_of(regs), 0);
  // The link register holds a frame's return address only in the innermost frame, or where the
  // core found it saved (a goroutine's gobuf.lr); a C frame's unwound x30 is the caller's pc.
  bool lr_valid = first_innermost;
  // The frame below a signal trampoline was interrupted: its pc is not a return address.
  bool interrupted = false;
  for (int i = 0; i < max_frames; ++i) {
    bool innermost = (i == 0 && first_innermost) || interrupted;
    interrupted = false;
    ThreadFrame f;
    f.pc = pc_of(regs);
    f.sp = sp_of(regs);
    f.bp = fp_of(regs);
    f.native = k;
    // Also the function asyncPreempt or sigpanic was made to look called from: its pc is exact.
    f.innermost = innermost || st.exact_pc;
    Regs r{f.pc, f.sp, f.bp, lr_valid ? lr_of(regs) : 0};
    lr_valid = false;
    Step s = step_in(gomods, mem, r, st, ThreadInfo{lwp}, innermost);
    CRegs next;
    if (s.kind == StepKind::NotMine) {
      CfiStep c = cfi_step(a, mods, mem, regs, innermost);
      if (c.ok) {
        f.rule = c.signal_frame ? "signal" : "cfi";
        f.cfa = c.cfa;
        f.trampoline = c.signal_frame;
        out.frames.push_back(f);
        if (c.outermost) return out;
        next = c.caller;
        // A signal trampoline returns to the interrupted code: its registers (the link register
        // too) are the ucontext's, on the stack it was running on (the handler may have run on
        // an alternate signal stack, Go's gsignal, above or below it).
        interrupted = c.signal_frame;
        lr_valid = c.signal_frame;
        // C frames only ever return to higher addresses on the same stack (the switches to
        // another stack are the rules above): anything else is a smashed or cyclic chain. With a
        // link register, a function stopped before its prologue (or a frameless leaf) shares its
        // caller's SP.
        bool same_sp_ok = innermost && a.lr_reg() >= 0;
        if (!c.signal_frame && (sp_of(next) < f.sp || (sp_of(next) == f.sp && !same_sp_ok))) {
          out.error = fmt::format(
              "frame #{}: caller's sp {:#x} is not above this frame's sp {:#x} (corrupt or "
              "cyclic frame chain at pc {:#x})",
              i, sp_of(next), f.sp, f.pc);
          return out;
        }
      } else if (k >= 0 && static_cast<size_t>(k) + 1 < native.size()) {
        f.rule = "debugger";  // C without unwind information, still in step with the debugger
        out.frames.push_back(f);
        const NativeFrame& n = native[static_cast<size_t>(k) + 1];
        next = from_regs(a, Regs{n.pc, n.sp, n.fp});
      } else {
        out.frames.push_back(f);
        if (k < 0 || static_cast<size_t>(k) + 1 < native.size())
          out.error = fmt::format("frame #{}: {}", i, c.error);
        return out;
      }
    } else {
      *claimed = true;
      f.rule = s.rule;
      f.cfa = s.cfa;
      // Go's own restorer (rule_sigreturn): named at its pc, as a CFI signal frame is.
      f.trampoline = s.rule == "sigreturn";
      out.frames.push_back(f);
      if (s.kind == StepKind::Outermost) return out;
      if (s.kind == StepKind::Stop) {
        out.error = fmt::format("frame #{}: {}", i, s.error);
        return out;
      }
      st = s.state;
      next = from_regs(a, s.caller);
      lr_valid = s.caller.lr != 0;
    }
    if (pc_of(next) == 0) return out;
    // A caller pc in no code at all (a thread caught in the middle of a stack switch, where the
    // rules' assumptions do not hold yet): the debugger's own next frame, if it has one.
    uint64_t lookup = pc_of(next) - (interrupted ? 0 : 1);
    const GoModule* go = gomods.for_pc(lookup);
    if (!(go && go->is_go_pc(lookup)) && !mods.contains(lookup)) {
      if (k >= 0 && static_cast<size_t>(k) + 1 < native.size()) {
        const NativeFrame& n = native[static_cast<size_t>(k) + 1];
        out.frames.back().rule += "+debugger";
        next = from_regs(a, Regs{n.pc, n.sp, n.fp});
      } else {
        out.error = fmt::format("frame #{}: caller pc {:#x} is not in any code", i, pc_of(next));
        return out;
      }
    }
    if (pc_of(next) == f.pc && sp_of(next) == f.sp) {
      out.error = fmt::format("frame #{}: unwinding made no progress at pc {:#x}", i, f.pc);
      return out;
    }
    regs = next;
    k = native_index(native, pc_of(regs), sp_of(regs), k + 1);
  }
  out.error = fmt::format("stack deeper than {} frames", max_frames);
  return out;
}

}  // namespace

ThreadStack walk_thread(const GoModules& gomods, const CodeModules& mods, Memory& mem,
                        const CRegs& regs0, const std::vector<NativeFrame>& native, uint64_t lwp,
                        int max_frames, bool first_innermost) {
  bool claimed = false;
  ThreadStack out =
      walk(gomods, mods, mem, regs0, native, lwp, max_frames, first_innermost, &claimed);
  // A thread whose first frame the core cannot unwind and that holds no Go frame (a stop in the
  // dynamic loader before the program starts, whose file the debugger has not mapped yet) is
  // not ours: it keeps exactly the frames the debugger found, without a word from us. (Deeper
  // failures in C keep the walk's frames and its one-line reason.)
  if (!out.error.empty() && !claimed && out.frames.size() <= 1)
    return debugger_frames(native, first_innermost);
  return out;
}

}  // namespace cgounwind
