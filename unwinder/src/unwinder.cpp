#include "cgounwind/unwinder.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "cgounwind/arch.h"

namespace cgounwind {
namespace {

uint64_t id_at_least(uint64_t addr, uint64_t floor) { return std::max(addr, floor); }

}  // namespace

bool Unwinder::saves_frame_pointer(uint64_t entry) const {
  // Compiled Go functions with a frame save the caller's frame pointer; assembly functions do
  // only when the assembler gave them a prologue that does.
  auto fn = mod_.func_for_pc(entry);
  constexpr uint8_t kFuncFlagAsm = 4;
  if (fn && !(fn->flag & kFuncFlagAsm)) return true;
  std::array<uint8_t, 32> prologue{};
  size_t n = prologue.size();
  if (!mod_.read_image(entry, prologue.data(), n)) {
    n = 16;  // a short function at the end of the text
    if (!mod_.read_image(entry, prologue.data(), n)) return false;
  }
  return arch().saves_frame_pointer(prologue.data(), n);
}

// The caller of a frame whose SP is `sp` and whose layout is `f`; r.lr serves when the return
// address is still in the link register.
std::optional<Regs> Unwinder::caller_of(const Regs& r, uint64_t sp, const FrameShape& f) const {
  Regs c;
  c.sp = sp + static_cast<uint64_t>(f.size);
  if (f.ret_off) {
    auto ret = u64(sp + static_cast<uint64_t>(*f.ret_off));
    if (!ret) return std::nullopt;
    c.pc = *ret;
  } else {
    if (r.lr == 0) return std::nullopt;
    c.pc = r.lr;
  }
  c.bp = r.bp;
  if (f.fp_off) {
    auto fp = u64(sp + static_cast<uint64_t>(*f.fp_off));
    if (!fp) return std::nullopt;
    c.bp = *fp;
  }
  return c;
}

bool Unwinder::calls(const uint8_t* code, size_t n, uint64_t ret, const char* callee) const {
  // By name: the target may be the function or its ABI wrapper, both named `callee`.
  auto target = arch().call_target_before(code, n, ret);
  return target && mod_.in_func(*target, callee);
}

Step Unwinder::stop(const Regs& r, const WalkState& st, std::string why) const {
  Step s;
  s.kind = StepKind::Stop;
  s.error = fmt::format("{} at pc {:#x} (sp {:#x})", why, r.pc, r.sp);
  s.state = st;
  s.state.ended = true;  // nothing past a truncated stack is ours
  s.state.steps = st.steps + 1;
  s.id_sp = id_at_least(r.sp, st.floor);
  return s;
}

// The caller is the goroutine g, resumed from its saved context: a spliced section begins.
void Unwinder::enter_goroutine(Step& s, uint64_t g, const Regs& sched) {
  s.kind = StepKind::Caller;
  s.caller = sched;
  s.state.spliced = true;
  s.state.g = g;
  s.state.floor = s.id_sp;
}

std::optional<Regs> Unwinder::sched_of(uint64_t g) const {
  const auto& L = mod_.layout();
  auto base = g + static_cast<uint64_t>(L.g_sched);
  auto pc = u64(base + L.gobuf_pc), sp = u64(base + L.gobuf_sp), bp = u64(base + L.gobuf_bp);
  if (!pc || !sp || !bp) return std::nullopt;
  // The link register matters on arm64, where morestack saves the interrupted function's return
  // address there (that function has no frame yet).
  auto lr = L.gobuf_lr >= 0 ? u64(base + L.gobuf_lr) : std::nullopt;
  return Regs{*pc, *sp, *bp, lr.value_or(0)};
}

// A thread has one M, except a C thread that a signal finds while cgo's extra M is still "in
// C" (m.isExtraInC, until cgocallbackg's exitsyscall is done): runtime.badsignal takes a second
// extra M with needm(signal), its g0 bounds set around the signal stack. The frames the signal
// interrupted are the first M's: it is the one whose g0 stack holds their SP (taking the first M
// listed, the walk of those frames found the second, whose m.curg is 0, and ended at their
// systemstack without a word: LLDB, storm's SIGABRT relay, ~1 run in 10).
std::optional<uint64_t> Unwinder::m_for_lwp(uint64_t lwp, std::optional<uint64_t> sp) const {
  const auto& L = mod_.layout();
  auto allm = mod_.data_symbol("runtime.allm");
  if (!allm || lwp == 0 || L.m_procid < 0 || L.m_alllink < 0) return std::nullopt;
  std::optional<uint64_t> first;
  auto m = u64(*allm);
  for (int n = 0; m && *m != 0 && n < 100000; ++n) {
    auto procid = u64(*m + L.m_procid);
    if (!procid) break;
    if (*procid == lwp) {
      if (!sp) return *m;
      if (!first) first = *m;
      auto g0 = u64(*m + L.m_g0);
      auto lo = g0 && *g0 ? u64(*g0 + L.g_stack_lo) : std::nullopt;
      auto hi = g0 && *g0 ? u64(*g0 + L.g_stack_hi) : std::nullopt;
      if (lo && hi && *sp >= *lo && *sp < *hi) return *m;
    }
    m = u64(*m + L.m_alllink);
  }
  return first;
}

std::optional<uint64_t> Unwinder::m_of_frame(const WalkState& st, const ThreadInfo& t,
                                             uint64_t sp) const {
  if (st.g != 0) {
    if (auto m = u64(st.g + mod_.layout().g_m); m && *m != 0) return *m;
  }
  return m_for_lwp(t.lwp, sp);
}

Step Unwinder::step(const Regs& r, const WalkState& st, const ThreadInfo& t, bool innermost) const {
  if (!mod_.layout().complete()) return {};  // adapters report the missing layout once
  if (st.ended) return {};  // past the end: whatever the debugger finds there is not ours
  if (st.steps >= kMaxClaimedFrames)
    return stop(r, st, fmt::format("stack deeper than {} frames", kMaxClaimedFrames));
  // Look a return address up at pc-1 (the call), an interrupted pc at itself.
  const bool exact = innermost || st.exact_pc;
  uint64_t lookup = exact ? r.pc : r.pc - 1;
  // A pc at runtime.systemstack_switch's entry is not a return address but the fake frame that
  // systemstack and asmcgocall (Go <= 1.20) leave in g.sched: look it up at the pc itself, as
  // Go's own traceback does for a pc at a function's entry.
  if (!exact) {
    if (auto at = mod_.func_for_pc(r.pc);
        at && at->entry == r.pc && at->name == "runtime.systemstack_switch")
      lookup = r.pc;
  }
  if (!exact || innermost) {
    // A handler's return address at the restorer: not a call's (looked up at pc-1 it named the
    // function before the restorer, which has no frame there). Or a thread stopped in the
    // restorer (a step out of the handler), at its first or second instruction.
    for (uint64_t off : {uint64_t{0}, arch().sigreturn_syscall_off()}) {
      std::array<uint8_t, Arch::kSigreturnLen> code{};
      if ((off == 0 || innermost) && mod_.read_image(r.pc - off, code.data(), code.size()) &&
          arch().is_rt_sigreturn(code.data(), code.size()))
        return rule_sigreturn(r, st);
    }
  }
  auto fn = mod_.func_for_pc(lookup);
  if (!exact) {  // by ELF symbol: pclntab may attribute this C code to a Go neighbour
    Step s = rule_c_thread_entry(r, st, lookup);
    if (s.kind != StepKind::NotMine) return s;
  }
  if (!fn) return {};  // C code: the debugger's own unwinder handles it
  const std::string& name = fn->name;
  std::array<uint8_t, Arch::kMaxCallLen> before{};
  bool have_before = !exact && mod_.read_image(r.pc - before.size(), before.data(), before.size());
  const bool after_indirect_call =
      have_before && arch().is_indirect_call_before(before.data(), before.size());

  Step s;
  if (name == "runtime.asmcgocall" && (!exact || returned_from_c(r))) {
    s = rule_asmcgocall(r, st, fn->entry);
  } else if (name == "runtime.asmcgocall" && on_g0_switch_sp(r, t, kAsmcgocallSlack)) {
    // Caught between asmcgocall's switch to g0 ("MOVQ (g_sched+gobuf_sp)(SI), SP; SUBQ $16,
    // SP; ANDQ $~15, SP" / "MOVD (g_sched+gobuf_sp)(g), R13; SUB $16, R13; MOVD R13, RSP") and
    // its CALL of the C function: g.sched was just saved by gosave_systemstack_switch (the
    // systemstack_switch fake frame on asmcgocall's goroutine-stack SP), as systemstack does.
    s = rule_systemstack(r, st, t, "asmcgocall");
  } else if (name == "runtime.cgocallback" &&
             ((have_before && calls(before.data(), before.size(), r.pc, "runtime.cgocallbackg")) ||
              on_curg_stack(r, t))) {
    // At cgocallbackg's return address, or caught after cgocallback moved SP to the
    // goroutine's stack ("MOVQ DI, SP" / "MOVD R4, RSP") and before it moved back: cgocallback
    // only ever runs on g0 (called by crosscall2) otherwise, and its g0 frame, whose SP it left
    // in g0.sched.sp, holds the C side's return address.
    s = rule_cgocallback(r, st, t, lookup);
  } else if (name == "runtime.systemstack" &&
             (after_indirect_call || on_g0_switch_sp(r, t, kExactSlack))) {
    // Two shapes share this rule. Returned to from fn (CALL DI / BL (R3)): the frame is
    // systemstack's own on g0. Or caught between the switch to g0 ("MOVQ (g_sched+gobuf_sp)(DX),
    // SP" / "MOVD (g_sched+gobuf_sp)(g), R3; MOVD R3, RSP") and that call, or after it returns and
    // before the switch back: SP is g0.sched.sp there and the CFI's CFA (SP+8) is meaningless. In
    // both, the goroutine is m.curg, saved in g.sched by gosave_systemstack_switch.
    s = rule_systemstack(r, st, t, "systemstack");
  } else if (name == "runtime.mcall" &&
             (after_indirect_call || on_g0_switch_sp(r, t, kMcallSlack))) {
    // After mcall switched to g0 ("MOVQ (g_sched+gobuf_sp)(R14), SP" / "MOVD R0, RSP"): at
    // fn's return address, or caught (a signal, a stop) before its CALL, where SP is g0.sched.sp
    // (less the arg slot amd64 pushes, or the 16-byte frame arm64 opens) and the CFI's CFA is not
    // mcall's. Before the switch SP is still the goroutine's and the CFI holds: not this rule.
    s = rule_mcall(r, st, t, after_indirect_call);
  } else if (name == "runtime.morestack" &&
             ((have_before && calls(before.data(), before.size(), r.pc, "runtime.newstack")) ||
              on_g0_switch_sp(r, t, kExactSlack))) {
    // At newstack's return address, or caught between morestack's switch to g0 ("MOVQ
    // (g_sched+gobuf_sp)(BX), SP" / "MOVD (g_sched+gobuf_sp)(g), R0; MOVD R0, RSP") and that
    // call (SP is g0.sched.sp): the goroutine is m.curg, its g.sched set by morestack's start
    // to the function that needs more stack.
    s = rule_to_curg(r, st, t, "morestack");
  } else if (innermost && name == "gogo" && off_g0_stack(r, t)) {
    // Caught in gogo<> after it moved SP to the goroutine's ("MOVQ gobuf_sp(BX), SP" / "MOVD
    // R0, RSP") and before its jump to gobuf.pc: no frame of its own any more, the goroutine
    // (m.curg since execute) resumes here. Before that move SP is g0's and the CFI holds.
    s = rule_gogo(r, st, t);
  } else if (name == "runtime.goexit") {
    s = outermost(r, st, "goexit");
  } else if (name == "runtime.rt0_go" ||
             (name.starts_with("_rt0_") && name.find("_lib") == std::string::npos)) {
    // The program's first Go code: the entry point (_rt0_amd64_linux, _rt0_arm64_linux) and
    // _rt0_amd64 / _rt0_arm64 jump to it (no call) with the kernel's argc and argv at SP, which
    // the CFI took for a caller ("0x1 in ?? ()" below a stop in schedinit's mmaps, every
    // toolchain; LLDB's stop at the entry point said "caller pc 0x1 is not in any code"). A Go
    // library's _rt0_*_lib is called by the dynamic loader: not the end of the stack.
    s = outermost(r, st, "rt0_go");
  } else if (arch().aligns_sp_for_c(name)) {
    s = rule_aligned_for_c(r, st, lookup, fn->entry);
  } else if (auto vc = arch().switches_for_vdso(name) ? vdso_caller(r, t, lookup) : std::nullopt;
             vc) {
    s = to_vdso_caller(r, *vc, st);
  } else if (name == "crosscall2") {
    // Also innermost (a stop in its prologue or epilogue): pclntab's delta is exact at every
    // pc, and the debugger's CFI for it (from the same table) says nothing of rbp, which
    // crosscall2 moves before its C caller's frame (found through rbp) is unwound.
    s = rule_crosscall2(r, st, lookup, fn->entry);
  } else if (st.spliced) {
    s = rule_go(r, st, lookup, fn->entry, /*on_goroutine_stack=*/true);
  } else if (!mod_.has_go_cfi() || st.own_go || interrupts_caller(name) || st.exact_pc) {
    // Without .debug_frame the debugger cannot unwind any Go frame, and some adapters unwind
    // nothing themselves: the core does them all. Also asyncPreempt and sigpanic, and their
    // caller, the function a signal interrupted: that pc is exact, and a debugger looking it up
    // at pc-1 (a return address) can land in the previous function (an interruption at a
    // function's first instruction).
    s = rule_go(r, st, lookup, fn->entry, /*on_goroutine_stack=*/false);
  } else {
    return {};
  }
  s.func_entry = fn->entry;
  s.state.steps = st.steps + 1;
  s.state.exact_pc = s.kind == StepKind::Caller && (interrupts_caller(name) || s.rule == "gogo");
  // A spliced frame lives on a goroutine stack, whose addresses say nothing about the thread
  // stack's: below it natively, above it under qemu-user. Its id stays at the floor set where the
  // walk left the thread stack, so that ids never decrease in either layout when the walk comes
  // back to C frames (whose ids the debugger computes from their real CFAs).
  if (st.spliced && st.floor != 0) {
    s.id_sp = st.floor;
    s.state.floor = st.floor;
  }
  if (s.kind == StepKind::Outermost || s.kind == StepKind::Stop) s.state.ended = true;
  return s;
}

Step Unwinder::outermost(const Regs& r, const WalkState& st, const char* rule) {
  Step s;
  s.kind = StepKind::Outermost;
  s.rule = rule;
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  return s;
}

// runtime.callCgoMmap / callCgoMunmap / callCgoSigaction on amd64: "MOVQ SP, BX; ANDQ $~15, SP;
// [MOVQ BX, 0(SP);] CALL AX; MOVQ 0(SP), SP | MOVQ BX, SP". From the ANDQ until SP is restored,
// SP is 0 or 8 bytes below the frame pclntab describes; while C runs (the mmap of every heap
// growth) the CFA computed from SP was one word off and the frame above it became a stack
// address (1 thread stack in 3,000 random interrupts of storm, go1.23). The prologue's frame
// pointer is exact there: the frame's SP before the alignment is rbp − fp_off (CFA = rbp+16; pc
// at CFA-8; caller's rbp at CFA-16). Elsewhere in these functions (prologue, epilogue, SP
// already aligned) that SP is r.sp and pclntab alone is right.
Step Unwinder::rule_aligned_for_c(const Regs& r, const WalkState& st, uint64_t lookup,
                                  uint64_t entry) const {
  Regs real = r;
  auto delta = mod_.sp_delta(lookup);
  if (delta && saves_frame_pointer(entry)) {
    // fp_off > 0: the whole frame is open (after the prologue's SUBQ, before the epilogue's
    // ADDQ), so rbp is this frame's and not yet, or no longer, the caller's.
    auto fp_off = arch().go_frame(*delta, true).fp_off;
    if (fp_off && *fp_off > 0 && r.bp >= r.sp + static_cast<uint64_t>(*fp_off)) {
      uint64_t before = r.bp - static_cast<uint64_t>(*fp_off);
      if (before - r.sp <= Arch::kPtrSize) real.sp = before;
    }
  }
  Step s = rule_go(real, st, lookup, entry, /*on_goroutine_stack=*/st.spliced);
  s.rule = "aligned_for_c";
  return s;
}

// runtime/cgo's crosscall1 (crosscall_amd64 before Go 1.23) starts every Go-created thread of a
// cgo program: gcc assembly without unwind info for the registers it saves, so debuggers lose
// the thread's C start (threadentry, start_thread, clone3) below it.
Step Unwinder::rule_c_thread_entry(const Regs& r, const WalkState& st, uint64_t lookup) const {
  // Size-0 NOTYPE symbols in some versions: bounded to the function's short body.
  const auto sym = mod_.c_thread_entry();
  if (!sym || lookup < sym->value || lookup >= sym->value + (sym->size ? sym->size : 64)) return {};
  // The bound is a guess for size-0 symbols: code of another (sized) function that follows
  // is not ours, and crosscall1 calls through registers only.
  if (auto other = mod_.symbol_at(lookup); other && other->size && other->name != sym->name) {
    return {};
  }
  std::array<uint8_t, Arch::kMaxCallLen> before{};
  if (!mod_.read_image(r.pc - before.size(), before.data(), before.size()) ||
      !arch().is_indirect_call_before(before.data(), before.size())) {
    return {};
  }
  // amd64's six PUSHes take 10 bytes; crosscall1 can end the text section, so read no further.
  std::array<uint8_t, 12> prologue{};
  if (!mod_.read_image(sym->value, prologue.data(), prologue.size())) return {};
  auto shape = arch().crosscall1_frame(prologue.data(), prologue.size());
  if (!shape || !shape->fp_off) return {};
  auto c = caller_of(r, r.sp, *shape);
  if (!c) return stop(r, st, "unreadable crosscall1 frame");
  Step s = to_c_caller(*c, st, "crosscall1");
  s.state.steps = st.steps + 1;                             // returned before step()'s common tail
  if (s.kind == StepKind::Outermost) s.state.ended = true;  // a return address of 0
  return s;
}

// The frame of the rt_sigreturn trampoline a signal handler returns to: Go's own restorer
// (runtime.sigreturn__sigaction, `MOVQ $15, AX; SYSCALL` / `MOVD $139, R8; SVC`) in a program
// without cgo, whose handler runtime.sigtramp is entered from the kernel, not called. The frame
// is the kernel's signal frame: the interrupted registers are saved at this frame's SP (amd64:
// &rt_sigframe.uc once the handler's RET popped pretcode; arm64: &rt_sigframe, the handler
// returning through x30), at the arch's sigcontext() offsets. The interrupted pc is exact (not a
// return address) and its link register live; it ran on another stack than the handler (the
// goroutine's, g0's, gsignal ran the handler): frame ids start again from this frame's.
Step Unwinder::rule_sigreturn(const Regs& r, const WalkState& st) const {
  const SigcontextSlots at = arch().sigcontext();
  auto pc = u64(r.sp + static_cast<uint64_t>(at.pc));
  auto sp = u64(r.sp + static_cast<uint64_t>(at.sp));
  auto fp = u64(r.sp + static_cast<uint64_t>(at.fp));
  auto lr = at.lr >= 0 ? u64(r.sp + static_cast<uint64_t>(at.lr)) : std::optional<uint64_t>(0);
  if (!pc || !sp || !fp || !lr || *pc == 0) return stop(r, st, "unreadable signal frame");
  Step s;
  s.rule = "sigreturn";
  s.cfa = r.sp;
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  s.state.steps = st.steps + 1;
  s.state.exact_pc = true;
  enter_goroutine(s, 0, Regs{*pc, *sp, *fp, *lr});
  return s;
}

// The caller is C code on the thread's own stack, whose CFA is the caller's SP: a spliced
// section (if any) ends here, and frame ids go on from this frame's CFA.
Step Unwinder::to_c_caller(const Regs& caller, const WalkState& st, const char* rule) {
  Step s;
  s.kind = caller.pc == 0 ? StepKind::Outermost : StepKind::Caller;
  s.rule = rule;
  s.cfa = caller.sp;
  s.id_sp = id_at_least(s.cfa, st.floor);
  s.caller = caller;
  s.state = st;
  s.state.spliced = false;
  s.state.floor = s.id_sp;
  return s;
}

Step Unwinder::rule_asmcgocall(const Regs& r, const WalkState& st, uint64_t entry) const {
  std::array<uint8_t, 48> code{};
  if (!mod_.read_image(r.pc, code.data(), code.size()))
    return stop(r, st, "cannot read runtime.asmcgocall's code");
  auto slots = arch().decode_asmcgocall_return(code.data(), code.size());
  if (!slots) return {};  // not the return site of the C call (e.g. an ABI wrapper)
  std::array<uint8_t, 32> prologue{};
  auto shape = mod_.read_image(entry, prologue.data(), prologue.size())
                   ? arch().asm_entry_frame(prologue.data(), prologue.size())
                   : std::nullopt;
  if (!shape) return stop(r, st, "cannot decode runtime.asmcgocall's prologue");
  const auto& L = mod_.layout();
  Step s;
  s.rule = "asmcgocall";
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  uint64_t entry_sp = 0;  // asmcgocall's SP right after its prologue, on the caller's stack
  if (slots->nosave) {
    auto sp = u64(r.sp + slots->depth_off);
    if (!sp) return stop(r, st, "unreadable asmcgocall saved SP");
    // No switch: asmcgocall only aligned SP downwards, so its caller's SP lies above this frame.
    if (*sp <= r.sp || *sp - r.sp > (1u << 20)) {
      return stop(r, st, fmt::format("asmcgocall saved SP {:#x} is not just above the frame", *sp));
    }
    entry_sp = *sp;
  } else {
    auto g = u64(r.sp + slots->g_off), depth = u64(r.sp + slots->depth_off);
    if (!g || !depth) return stop(r, st, "unreadable asmcgocall g/depth slots");
    if (*g == 0) return stop(r, st, "asmcgocall saved g is 0");
    auto lo = u64(*g + L.g_stack_lo), hi = u64(*g + L.g_stack_hi);
    if (!lo || !hi) return stop(r, st, fmt::format("unreadable goroutine g={:#x}", *g));
    entry_sp = *hi - *depth;
    if (*depth == 0 || *depth > *hi - *lo || entry_sp < *lo)
      return stop(r, st,
                  fmt::format("asmcgocall depth {:#x} outside goroutine stack [{:#x},{:#x})",
                              *depth, *lo, *hi));
    s.state.spliced = true;
    s.state.g = *g;
  }
  // entry_sp is asmcgocall's SP right after its prologue: its frame's layout says where the
  // return address into cgocall and the caller's frame pointer are.
  auto c = caller_of(Regs{r.pc, r.sp, r.bp, 0}, entry_sp, *shape);
  if (!c) return stop(r, st, "unreadable asmcgocall return address");
  s.kind = StepKind::Caller;
  s.caller = *c;
  s.cfa = c->sp;
  s.state.floor = s.id_sp;
  return s;
}

Step Unwinder::rule_cgocallback(const Regs& r, const WalkState& st, const ThreadInfo& t,
                                uint64_t lookup) const {
  const auto& L = mod_.layout();
  auto delta = mod_.sp_delta(lookup);
  auto m = m_of_frame(st, t, r.sp);
  if (!delta || !m) return stop(r, st, "cannot find the M of this cgo callback");
  auto g0 = u64(*m + L.m_g0);
  if (!g0) return stop(r, st, "unreadable m.g0");
  auto g0sp = u64(*g0 + L.g_sched + L.gobuf_sp);
  // Nested callbacks: each cgocallback saved the previous g0.sched.sp in its g0 frame.
  const auto chain = static_cast<uint64_t>(arch().cgocallback_saved_sp_off());
  for (int k = 0; g0sp && k < st.cgocallbacks; ++k) g0sp = u64(*g0sp + chain);
  if (!g0sp || *g0sp == 0) return stop(r, st, "unreadable g0.sched.sp chain");
  // The same frame exists twice: on g0 (where crosscall2 called it) and rebuilt on the
  // goroutine stack. The g0 copy has the C side's return address and frame pointer.
  const FrameShape shape = arch().go_frame(*delta, true);
  auto c = caller_of(r, *g0sp, shape);
  if (!c) return stop(r, st, "unreadable cgocallback frame on the system stack");
  Step s;
  s.kind = StepKind::Caller;
  s.rule = "cgocallback";
  s.cfa = r.sp + static_cast<uint64_t>(shape.size);
  s.id_sp = id_at_least(s.cfa, st.floor);
  s.caller = *c;
  s.state = st;
  s.state.spliced = false;
  s.state.floor = s.id_sp;
  s.state.cgocallbacks = st.cgocallbacks + 1;
  return s;
}

// Back on the C side of a callback: crosscall2 is Go assembly that saves the C callee-saved
// registers, and its CFI does not say where it saved the C caller's frame pointer (nor, on
// arm64, the return address): its prologue does.
Step Unwinder::rule_crosscall2(const Regs& r, const WalkState& st, uint64_t lookup,
                               uint64_t entry) const {
  auto delta = mod_.sp_delta(lookup);
  std::array<uint8_t, 64> prologue{};
  if (!delta || !mod_.read_image(entry, prologue.data(), prologue.size()))
    return stop(r, st, "cannot read crosscall2's frame size or prologue");
  auto shape = arch().crosscall2_frame(prologue.data(), prologue.size(), *delta);
  if (!shape) return stop(r, st, "cannot decode crosscall2's prologue");
  auto c = caller_of(r, r.sp, *shape);
  if (!c) return stop(r, st, "unreadable crosscall2 frame");
  return to_c_caller(*c, st, "crosscall2");
}

Step Unwinder::rule_to_curg(const Regs& r, const WalkState& st, const ThreadInfo& t,
                            const char* rule) const {
  auto m = m_for_lwp(t.lwp, r.sp);
  if (!m) return stop(r, st, fmt::format("{}: cannot find the M of thread {}", rule, t.lwp));
  auto curg = u64(*m + mod_.layout().m_curg);
  if (!curg) return stop(r, st, fmt::format("{}: unreadable m.curg", rule));
  Step s;
  s.rule = rule;
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  if (*curg == 0) {  // running on g0 for the scheduler itself: the thread's stack ends here
    s.kind = StepKind::Outermost;
    return s;
  }
  auto sched = sched_of(*curg);
  if (!sched) return stop(r, st, fmt::format("{}: unreadable g.sched", rule));
  if (sched->sp == 0) {  // gogo clears sched.sp: the goroutine is being resumed, not saved
    s.kind = StepKind::Outermost;
    return s;
  }
  enter_goroutine(s, *curg, *sched);
  return s;
}

// Functions the runtime makes a signalled thread call as if its interrupted pc had called them
// (runtime/signal_*.go pushCall: asyncPreempt for preemption, sigpanic for a fault): their
// "return address" is the exact pc where the signal came, as Go's traceback knows.
bool Unwinder::interrupts_caller(const std::string& name) {
  return name == "runtime.asyncPreempt" || name == "runtime.sigpanic";
}

// The caller of such a frame once SP moved: the function's frame rebuilt where it was, on the
// caller's stack at m.vdsoSP (its CFA). nullopt where the CFI still holds (before the switch,
// after the switch back, m.vdsoSP 0) or without the field (no DWARF).
std::optional<Regs> Unwinder::vdso_caller(const Regs& r, const ThreadInfo& t,
                                          uint64_t lookup) const {
  const auto& L = mod_.layout();
  if (L.m_vdsoSP < 0) return std::nullopt;
  auto m = m_for_lwp(t.lwp, r.sp);
  auto vdso_sp = m ? u64(*m + L.m_vdsoSP) : std::nullopt;
  auto delta = mod_.sp_delta(lookup);
  auto entry = mod_.func_for_pc(lookup);
  if (!vdso_sp || *vdso_sp == 0 || !delta || *delta < 0 || !entry) return std::nullopt;
  const FrameShape shape = arch().go_frame(*delta, saves_frame_pointer(entry->entry));
  const uint64_t size = static_cast<uint64_t>(shape.size);
  if (r.sp + size == *vdso_sp) return std::nullopt;  // SP is the function's own: CFI holds
  return caller_of(r, *vdso_sp - size, shape);
}

Step Unwinder::to_vdso_caller(const Regs& r, const Regs& caller, const WalkState& st) {
  Step s;
  s.kind = StepKind::Caller;
  s.rule = "vdso";
  s.cfa = caller.sp;
  // The frame itself sits on g0 at r.sp, where its callee (the vDSO's clock_gettime, unwound by
  // the debugger, the walk's first frame) has its CFA: the frame's id is at least that, or the
  // debugger takes the switch back to the goroutine's (lower) stack for a corrupt one.
  s.id_sp = id_at_least(caller.sp, std::max(st.floor, r.sp));
  s.caller = caller;
  s.state = st;
  s.state.floor = s.id_sp;
  // Back on the calling goroutine's stack, below that id: the Go frames from here are ours (the
  // debugger would give them their real, lower CFAs and stop at the first).
  s.state.spliced = true;
  return s;
}

// The goroutine side of a systemstack-style switch: m.curg at g.sched, which
// gosave_systemstack_switch set to the fake systemstack_switch frame (just past that
// function's prologue, on the switching function's SP): its caller is the real one.
Step Unwinder::rule_systemstack(const Regs& r, const WalkState& st, const ThreadInfo& t,
                                const char* rule) const {
  Step s = rule_to_curg(r, st, t, rule);
  if (s.kind != StepKind::Caller) return s;
  auto delta = mod_.sp_delta(s.caller.pc);
  if (!mod_.in_func(s.caller.pc, "runtime.systemstack_switch") || !delta)
    return stop(r, st,
                fmt::format("goroutine's saved pc {:#x} ({}) is not in runtime.systemstack_switch",
                            s.caller.pc, mod_.func_name(s.caller.pc)));
  auto c = caller_of(s.caller, s.caller.sp, arch().go_frame(*delta, true));
  if (!c) return stop(r, st, "unreadable systemstack_switch frame");
  s.caller = *c;
  return s;
}

// True when SP lies outside the stack of the thread's g0 (known from m.g0's bounds): where
// gogo's move to the goroutine's SP took it, whatever m.curg says.
bool Unwinder::off_g0_stack(const Regs& r, const ThreadInfo& t) const {
  const auto& L = mod_.layout();
  auto m = m_for_lwp(t.lwp, r.sp);
  auto g0 = m ? u64(*m + L.m_g0) : std::nullopt;
  if (!g0 || *g0 == 0) return false;
  auto lo = u64(*g0 + L.g_stack_lo), hi = u64(*g0 + L.g_stack_hi);
  return lo && hi && *lo < *hi && (r.sp < *lo || r.sp >= *hi);
}

// True when SP lies on the stack of the goroutine thread `t` runs (m.curg).
bool Unwinder::on_curg_stack(const Regs& r, const ThreadInfo& t) const {
  const auto& L = mod_.layout();
  auto m = m_for_lwp(t.lwp, r.sp);
  auto curg = m ? u64(*m + L.m_curg) : std::nullopt;
  if (!curg || *curg == 0) return false;
  auto lo = u64(*curg + L.g_stack_lo), hi = u64(*curg + L.g_stack_hi);
  return lo && hi && r.sp >= *lo && r.sp < *hi;
}

// An innermost pc in asmcgocall just after its call of the C function returned (a step out of
// C): the frame is the one rule_asmcgocall decodes at that return address.
bool Unwinder::returned_from_c(const Regs& r) const {
  std::array<uint8_t, Arch::kMaxCallLen> before{};
  return mod_.read_image(r.pc - before.size(), before.data(), before.size()) &&
         arch().is_indirect_call_before(before.data(), before.size());
}

// True when SP is where a runtime switch sequence puts it on the thread's g0 stack: at most
// `slack` bytes below g0.sched.sp (the switching function's own adjustment, per function). A
// frame of that function there is mid-switch; one called on g0 itself (systemstack's noswitch
// path) runs deeper in that stack, below the sp the scheduler saved.
bool Unwinder::on_g0_switch_sp(const Regs& r, const ThreadInfo& t, uint64_t slack) const {
  auto m = m_for_lwp(t.lwp, r.sp);
  auto g0 = m ? u64(*m + mod_.layout().m_g0) : std::nullopt;
  auto sched = g0 && *g0 ? sched_of(*g0) : std::nullopt;
  return sched && sched->sp != 0 && r.sp <= sched->sp && r.sp + slack >= sched->sp;
}

Step Unwinder::rule_mcall(const Regs& r, const WalkState& st, const ThreadInfo& t,
                          bool at_return) const {
  const auto& L = mod_.layout();
  // The goroutine mcall switched away from: on the g0 stack where mcall left it (amd64, once
  // fn's arg slot is pushed: at fn's return address), else (passed in a register only) the M's
  // current goroutine, which it stays until fn drops it.
  const auto this_m = m_for_lwp(t.lwp, r.sp);
  std::optional<uint64_t> gp;
  if (auto off = arch().mcall_gp_off(); off && at_return) {
    gp = u64(r.sp + static_cast<uint64_t>(*off));
  } else if (this_m) {
    gp = u64(*this_m + L.m_curg);
  }
  Step s;
  s.rule = "mcall";
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  s.kind = StepKind::Outermost;
  if (!gp || *gp == 0) return s;
  // fn dropped the goroutine (park_m, gosched_m, exitsyscall0: dropg clears g.m and m.curg)
  // and the scheduler may since have run it on another M — where it is m.curg again, its
  // g.sched that thread's — or started another goroutine here (execute sets m.curg before
  // gogo). Either way this g0 stack is the scheduler's and ends here, as the thread's stack.
  auto m = u64(*gp + L.g_m);
  auto curg = m && *m ? u64(*m + L.m_curg) : std::nullopt;
  if (!curg || *curg != *gp || !this_m || *m != *this_m) return s;
  auto sched = sched_of(*gp);
  if (!sched || sched->sp == 0) return s;  // sp 0: being resumed by gogo, not saved
  enter_goroutine(s, *gp, *sched);
  return s;
}

// The goroutine gogo is resuming, at SP (already the goroutine's) and g.sched.pc: gogo clears
// gobuf.sp, .bp, .ctxt (and .lr) once loaded, never .pc. The pc is exact, not a return address
// (a new goroutine resumes at its function's first instruction).
Step Unwinder::rule_gogo(const Regs& r, const WalkState& st, const ThreadInfo& t) const {
  const auto& L = mod_.layout();
  auto m = m_for_lwp(t.lwp, r.sp);
  auto g = m ? u64(*m + L.m_curg) : std::nullopt;
  if (!g || *g == 0) return stop(r, st, "gogo: cannot find the goroutine it resumes");
  const uint64_t sched = *g + static_cast<uint64_t>(L.g_sched);
  auto pc = u64(sched + L.gobuf_pc), bp = u64(sched + L.gobuf_bp);
  auto lr = L.gobuf_lr >= 0 ? u64(sched + L.gobuf_lr) : std::nullopt;
  if (!pc || *pc == 0) return stop(r, st, "gogo: unreadable g.sched.pc");
  Step s;
  s.rule = "gogo";
  s.id_sp = id_at_least(r.sp, st.floor);
  s.state = st;
  // bp and lr: loaded from the gobuf (still there) or already in their registers (cleared).
  Regs resume{*pc, r.sp, bp && *bp ? *bp : r.bp, lr && *lr ? *lr : r.lr};
  enter_goroutine(s, *g, resume);
  return s;
}

Step Unwinder::rule_go(const Regs& r, const WalkState& st, uint64_t lookup, uint64_t entry,
                       bool on_goroutine_stack) const {
  auto delta = mod_.sp_delta(lookup);
  if (!delta || *delta < 0 || *delta > (1 << 24))
    return stop(r, st, fmt::format("no frame size for {}", mod_.func_name(lookup)));
  bool saved_fp = entry != lookup && saves_frame_pointer(entry);
  const FrameShape shape = arch().go_frame(*delta, saved_fp);
  uint64_t cfa = r.sp + static_cast<uint64_t>(shape.size);
  if (st.g != 0 && on_goroutine_stack) {
    const auto& L = mod_.layout();
    auto lo = u64(st.g + L.g_stack_lo), hi = u64(st.g + L.g_stack_hi);
    if (lo && hi && (r.sp < *lo || cfa > *hi)) {
      return stop(r, st, fmt::format("frame leaves the goroutine stack [{:#x},{:#x})", *lo, *hi));
    }
  }
  auto c = caller_of(r, r.sp, shape);
  if (!c) {
    return stop(r, st,
                shape.ret_off ? "unreadable return address"
                              : "return address only in the link register, not known here");
  }
  Step s;
  s.rule = "go";
  s.cfa = cfa;
  s.id_sp = id_at_least(cfa, st.floor);
  s.state = st;
  s.state.floor = s.id_sp;
  if (c->pc == 0) {
    s.kind = StepKind::Outermost;
    return s;
  }
  s.kind = StepKind::Caller;
  s.caller = *c;
  return s;
}

Step step_in(const GoModules& mods, Memory& mem, const Regs& r, const WalkState& st,
             const ThreadInfo& t, bool innermost) {
  // A return address can be one past a module's last instruction: look it up at pc-1 too.
  const GoModule* mod = mods.for_pc(r.pc);
  if (mod == nullptr && !innermost) mod = mods.for_pc(r.pc - 1);
  if (mod == nullptr) return {};
  WalkState in = st;
  if (in.module != mod->id()) {
    in.module = mod->id();
    in.g = 0;
    in.cgocallbacks = 0;
  }
  Step s = Unwinder(*mod, mem).step(r, in, t, innermost);
  if (s.kind == StepKind::NotMine) return s;
  s.state.module = mod->id();
  return s;
}

}  // namespace cgounwind
