// Stepping across the cgo boundary: cmd/cgo's generated names (cmd/cgo/out.go) and the runtime
// functions a cgo call or callback passes through (runtime/cgocall.go, asm_*.s, cgo/asm_*.s).
//
//   Go → C:  PKG.f → PKG._Cfunc_NAME → runtime.cgocall → runtime.asmcgocall (g0)
//            → _cgo_HASH_Cfunc_NAME (C prolog) → NAME (the user's C)
//   C → Go:  caller → NAME (export wrapper, _cgo_export.c) → crosscall2 → runtime.cgocallback
//            → runtime.cgocallbackg → runtime.cgocallbackg1 → _cgoexp_HASH_NAME → PKG.NAME
#include "cgounwind/stepping.h"

#include <array>
#include <cctype>
#include <utility>

#include "cgounwind/unwinder.h"

namespace cgounwind {
namespace {

std::string_view without_abi_suffix(std::string_view name) {
  for (std::string_view suffix : {".abi0", ".abiinternal"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix))
      return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// "_cgo_HASH_Cfunc_NAME" / "_cgoexp_HASH_NAME": HASH is 12 hex digits (cmd/cgo's file hash).
std::optional<std::string_view> after_hash(std::string_view s, std::string_view prefix) {
  constexpr size_t kHash = 12;
  if (!s.starts_with(prefix) || s.size() <= prefix.size() + kHash + 1) return std::nullopt;
  std::string_view rest = s.substr(prefix.size());
  for (size_t i = 0; i < kHash; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(rest[i]))) return std::nullopt;
  }
  if (rest[kHash] != '_') return std::nullopt;
  return rest.substr(kHash + 1);
}

// The Go name's last element: "main._Cfunc_f" → "_Cfunc_f"; "example.com/x/y.f" → "f".
std::string_view last_element(std::string_view name) {
  size_t slash = name.rfind('/');
  size_t dot = name.find('.', slash == std::string_view::npos ? 0 : slash);
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

bool is_switch(std::string_view n) {
  // The runtime's half of every cgo call and callback, and runtime/cgo's C and assembly.
  static constexpr std::array<std::string_view, 13> kPrefixes = {
      "runtime.cgocall",       "runtime.asmcgocall",  "runtime.cgocallback",
      "runtime.entersyscall",  "runtime.exitsyscall", "runtime.reentersyscall",
      "runtime.cgoCheck",      "runtime.cgoUse",      "runtime.cgoBindM",
      "runtime.load_g",        "runtime.save_g",      "runtime/cgo.",
      "runtime.cgoIsGoPointer"};
  for (std::string_view p : kPrefixes) {
    if (n.starts_with(p)) return true;
  }
  return n.starts_with("crosscall") || n.starts_with("x_cgo_") ||
         (n.starts_with("_cgo_") && !after_hash(n, "_cgo_"));
}

// The kernel's signal frame as debuggers name it: glibc's restorer, or the Go runtime's own in a
// program without cgo (runtime.sigreturn in Go 1.19, the oldest here; GDB spells the double
// underscore of its later name as a dot).
bool is_signal_restorer(std::string_view n) {
  n = without_abi_suffix(n);
  return n == "__restore_rt" || n == "runtime.sigreturn__sigaction" ||
         n == "runtime.sigreturn.sigaction" || n == "runtime.sigreturn";
}

// The frame a signal interrupted when frame 0 is in the runtime's handler for it (every frame
// above the kernel's signal frame is the runtime's: sigtramp, sigtrampgo, sighandler, …) or at
// the restorer it returned to, or 0.
// LLDB's step over a line that SIGURG (asynchronous preemption) interrupts while it
// single-steps ends at the handler's first line (seen with and without cgounwind: 1 run in 6
// of 12 `next`s in testdata/stepgo).
size_t interrupted_frame(const std::vector<StepFrame>& stack) {
  for (size_t k = 0; k + 1 < stack.size(); ++k) {
    if (is_signal_restorer(stack[k].function)) return k + 1;
    if (!stack[k].function.starts_with("runtime.")) return 0;
  }
  return 0;
}

}  // namespace

const char* step_role_name(StepRole r) {
  switch (r) {
    case StepRole::User:
      return "user";
    case StepRole::CallStub:
      return "call stub";
    case StepRole::CProlog:
      return "C prolog";
    case StepRole::ExportWrapper:
      return "export wrapper";
    case StepRole::ExportStub:
      return "export stub";
    case StepRole::Switch:
      return "switch";
  }
  return "?";
}

CgoNames::CgoNames(const GoBinary& bin) {
  // Every //export NAME has a Go function PKG._cgoexp_HASH_NAME (go1.19: without "PKG.").
  for (const GoFunc& f : bin.pcln().funcs()) {
    std::string_view name = without_abi_suffix(f.name);
    std::string_view last = last_element(name);
    auto exported = after_hash(last, "_cgoexp_");
    if (!exported) continue;
    std::string pkg(name.substr(0, name.size() - last.size()));  // "main." or ""
    exports_.emplace(std::string(*exported),
                     (pkg.empty() ? "main." : pkg) + std::string(*exported));
  }
}

StepRole CgoNames::role(std::string_view raw) const {
  std::string_view name = without_abi_suffix(raw);
  std::string_view last = last_element(name);
  if (last.starts_with("_Cfunc_") || last.starts_with("_C2func_")) return StepRole::CallStub;
  if (after_hash(last, "_cgoexp_")) return StepRole::ExportStub;
  if (auto f = after_hash(name, "_cgo_"); f && f->starts_with("Cfunc_")) return StepRole::CProlog;
  if (exports_.contains(name)) return StepRole::ExportWrapper;
  if (is_switch(name)) return StepRole::Switch;
  return StepRole::User;
}

std::string CgoNames::step_in_target(std::string_view raw) const {
  std::string_view name = without_abi_suffix(raw);
  std::string_view last = last_element(name);
  switch (role(name)) {
    case StepRole::CallStub: {
      std::string_view c = last.substr(last.find("func_") + 5);
      // cgo's own helpers (C.CString → _Cfunc_CString, C.malloc → _Cfunc__CMalloc) have no C
      // source of the user's behind them.
      if (c.empty() || c.starts_with('_') || c == "CString" || c == "CBytes" || c == "GoString" ||
          c == "GoStringN" || c == "GoBytes")
        return {};
      return std::string(c);
    }
    case StepRole::CProlog:
      return std::string(after_hash(name, "_cgo_")->substr(6));
    case StepRole::ExportWrapper:
      return exports_.find(name)->second;
    case StepRole::ExportStub: {
      auto it = exports_.find(*after_hash(last, "_cgoexp_"));
      return it == exports_.end() ? std::string() : it->second;
    }
    default:
      return {};
  }
}

namespace {

// Run to frame k of the stack; a step or next then finishes that frame's line.
StepPlan run_to_frame(const std::vector<StepFrame>& stack, size_t k, StepGesture kind) {
  StepPlan plan;
  plan.action = StepPlan::Action::RunToFrame;
  plan.frame = k;
  plan.pc = stack[k].pc;
  plan.sp = stack[k].sp;
  plan.finish_line = kind != StepGesture::Out;
  return plan;
}

}  // namespace

StepPlan plan_after_step(const CgoNames& names, StepGesture kind,
                         const std::vector<StepFrame>& stack) {
  StepPlan plan;
  // A signal's handler, entered in the middle of the step: the step goes on from where the
  // signal interrupted it (once the handler returned there) to the end of that line.
  if (size_t k = stack.empty() ? 0 : interrupted_frame(stack); k != 0)
    return run_to_frame(stack, k, kind);
  if (stack.empty() || names.role(stack[0].function) == StepRole::User) return plan;
  if (kind == StepGesture::In) {
    // Entering: the debugger stopped at the first line it knows of the call's way in (the Go
    // stub, or the C export wrapper), or in the runtime below it. The C prolog and the export
    // stub are only stopped in on the way back (returning from the user's function): out.
    for (const StepFrame& f : stack) {
      StepRole r = names.role(f.function);
      if (r == StepRole::Switch) continue;
      if (r == StepRole::CallStub || r == StepRole::ExportWrapper) {
        plan.function = names.step_in_target(f.function);
        if (!plan.function.empty()) plan.action = StepPlan::Action::RunToFunction;
      }
      break;
    }
    if (plan.action != StepPlan::Action::Done) return plan;
  }
  // Leaving (or a step into cgo's own helpers): back to the first frame of the user's code.
  for (size_t k = 1; k < stack.size(); ++k) {
    if (names.role(stack[k].function) == StepRole::User) return run_to_frame(stack, k, kind);
  }
  plan.why = "cgounwind: no frame of the program's own code above " + stack[0].function;
  return plan;
}

std::optional<GoroutinePos> goroutine_pos_of_g(const GoModules& mods, Memory& mem, uint64_t g,
                                               uint64_t sp) {
  for (const GoModule& mod : mods.all()) {
    const RuntimeLayout& L = mod.layout();
    if (!L.complete() || g == 0) continue;
    auto m = mem.u64(g + L.g_m);
    auto curg = m && *m ? mem.u64(*m + L.m_curg) : std::nullopt;
    if (!curg || *curg != g) continue;  // not this runtime's running goroutine
    auto goid = mem.u64(g + L.g_goid), lo = mem.u64(g + L.g_stack_lo);
    auto hi = mem.u64(g + L.g_stack_hi);
    if (!goid || !lo || !hi || sp < *lo || sp > *hi) return std::nullopt;
    return GoroutinePos{g, *goid, *hi - sp};
  }
  return std::nullopt;
}

namespace {

// The goroutine thread `lwp` runs (its M's curg, also while inside C) and the module whose
// runtime that M belongs to.
std::optional<std::pair<const GoModule*, uint64_t>> curg_of_thread(const GoModules& mods,
                                                                   Memory& mem, uint64_t lwp) {
  for (const GoModule& mod : mods.all()) {
    if (!mod.layout().complete()) continue;
    auto m = Unwinder(mod, mem).m_for_lwp(lwp);
    auto curg = m ? mem.u64(*m + mod.layout().m_curg) : std::nullopt;
    if (curg && *curg) return std::make_pair(&mod, *curg);
  }
  return std::nullopt;
}

}  // namespace

std::optional<GoroutinePos> goroutine_pos_of_thread(const GoModules& mods, Memory& mem,
                                                    uint64_t lwp, uint64_t sp) {
  auto c = curg_of_thread(mods, mem, lwp);
  return c ? goroutine_pos_of_g(mods, mem, c->second, sp) : std::nullopt;
}

std::optional<uint64_t> goid_of_thread(const GoModules& mods, Memory& mem, uint64_t lwp) {
  auto c = curg_of_thread(mods, mem, lwp);
  return c ? mem.u64(c->second + c->first->layout().g_goid) : std::nullopt;
}

std::vector<uint64_t> line_change_pcs(const GoModules& mods, uint64_t pc) {
  std::vector<uint64_t> out;
  const GoModule* mod = mods.for_pc(pc);
  if (!mod || pc < mod->bias()) return out;
  const uint64_t link = pc - mod->bias();
  auto runs = mod->binary().pcln().line_runs(link);
  const Pclntab::LineRun* here = nullptr;
  for (const auto& r : runs) {
    if (r.pc <= link) here = &r;
  }
  if (!here) return out;
  int64_t prev_line = -1;
  for (const auto& r : runs) {
    // Inlined callees from other files are the callee's lines, not this function's.
    if (r.file == here->file && r.line != here->line && r.line != prev_line)
      out.push_back(r.pc + mod->bias());
    prev_line = r.file == here->file ? r.line : -1;
  }
  return out;
}

}  // namespace cgounwind
