// Stepping across the cgo boundary and along one goroutine: the rules both adapters follow
// after (and before) the debugger's own step/next/finish, so that a step lands on the code the
// user wrote instead of cmd/cgo's generated glue or the runtime's switch code.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/memory.h"

namespace cgounwind {

// What a function is to someone stepping through a cgo call; names as cmd/cgo generates them.
enum class StepRole {
  User,           // everything else: the user's Go and C, libraries, the rest of the runtime
  CallStub,       // Go stub of a call into C: PKG._Cfunc_NAME (PKG._C2func_NAME: errno form)
  CProlog,        // its C side, in cgo's generated C: _cgo_HASH_Cfunc_NAME
  ExportWrapper,  // the C function _cgo_export.c defines for `//export NAME`: NAME
  ExportStub,     // Go side of that callback: [PKG.]_cgoexp_HASH_NAME
  Switch,         // the runtime between both sides: cgocall, asmcgocall, cgocallback(g), ...
};
const char* step_role_name(StepRole r);

// The cgo names of one Go module.
class CgoNames {
 public:
  explicit CgoNames(const GoBinary& bin);
  // `name` as a debugger or pclntab spells it (".abi0" suffixes ignored).
  StepRole role(std::string_view name) const;
  // Where a step-in that ended in `name` was going: the C function (from a CallStub or CProlog)
  // or the exported Go function (from an ExportWrapper or ExportStub); "" otherwise (Switch,
  // User, cgo's helpers such as _Cfunc_CString): the adapter steps back out instead.
  std::string step_in_target(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> exports_;  // NAME → PKG.NAME
};

// What the adapter does after the debugger's own step ended.
enum class StepGesture { In, Over, Out };
struct StepFrame {
  std::string function;  // as the debugger names it
  uint64_t pc = 0, sp = 0;
};
struct StepPlan {
  enum class Action { Done, RunToFunction, RunToFrame } action = Action::Done;
  std::string function;  // RunToFunction: stop at its first line (after its prologue)
  size_t frame = 0;      // RunToFrame: the frame to return to (index in the stack given)
  uint64_t pc = 0, sp = 0;
  bool finish_line = false;  // RunToFrame: then step to the line's end (step/next, not finish)
  std::string why;           // one line for the user when the plan gives up
};
// `stack`: the thread's frames after the debugger's step (frame 0 first; spliced, so C frames
// lead to the Go frames that called them). Done when frame 0 is the user's code.
StepPlan plan_after_step(const CgoNames& names, StepGesture kind,
                         const std::vector<StepFrame>& stack);

// A goroutine and a frame's position in its stack, independent of the thread it runs on and of
// stack copying (depth = stack.hi - sp).
struct GoroutinePos {
  uint64_t g = 0, goid = 0, depth = 0;
  bool operator==(const GoroutinePos&) const = default;
};
// The goroutine the thread `lwp` runs (its M's curg, also while it is inside C) with sp's depth;
// nullopt on g0-only threads, C threads, or when sp is not on that goroutine's stack.
std::optional<GoroutinePos> goroutine_pos_of_thread(const GoModules& mods, Memory& mem,
                                                    uint64_t lwp, uint64_t sp);
// The id of the goroutine thread `lwp` runs (its M's curg), wherever its stack pointer is (in
// C, on the thread's stack); nullopt on g0-only threads and C threads.
std::optional<uint64_t> goid_of_thread(const GoModules& mods, Memory& mem, uint64_t lwp);
// From the g register of Go code (amd64 R14, arm64 R28; Arch::g_name), checked against
// g.m.curg: nullopt where the register does not hold the running goroutine.
std::optional<GoroutinePos> goroutine_pos_of_g(const GoModules& mods, Memory& mem, uint64_t g,
                                               uint64_t sp);

// Where a goroutine-aware next from `pc` may stop if the goroutine comes back on another
// thread: every pc of pc's function at which the line changes to another line of its file.
std::vector<uint64_t> line_change_pcs(const GoModules& mods, uint64_t pc);

}  // namespace cgounwind
