// A whole thread's stack, walked by the core alone: Go switch rules and Go frames from pclntab,
// C frames from .eh_frame. For debuggers that cannot be asked to unwind from given registers
// (LLDB): the adapter hands in the frames the debugger unwound itself, so that its frames can be
// reused where they agree, and as a fallback for C code without unwind information.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cgounwind/cfi.h"
#include "cgounwind/go_binary.h"
#include "cgounwind/memory.h"

namespace cgounwind {

struct NativeFrame {
  uint64_t pc = 0, sp = 0, fp = 0;
};

struct ThreadFrame {
  uint64_t pc = 0, sp = 0, bp = 0;
  uint64_t cfa = 0;        // 0 when unknown
  int native = -1;         // index of the debugger's own frame with this pc and sp, or -1
  bool innermost = false;  // pc is where the thread stopped (or a signal interrupted it), not a
                           // return address
  // A signal trampoline (glibc's __restore_rt): its pc is the handler's return address but is
  // the trampoline's first instruction, so it is named at pc (pc - 1 is in the function before).
  bool trampoline = false;
  std::string rule;  // what found this frame's caller: "cfi", "go", "asmcgocall", …
};

struct ThreadStack {
  std::vector<ThreadFrame> frames;
  std::string error;  // one line when the walk stopped early (the frames before it are right)
};

// Index of the debugger's own frame with this pc and sp, looking from `from` on; -1 if none.
int native_index(const std::vector<NativeFrame>& native, uint64_t pc, uint64_t sp, int from);

// `regs0`: the stopped thread's registers (DWARF-numbered, at least pc/sp/fp). `native[0]`, when
// present, is the same frame 0. `innermost` false: regs0 are a caller frame's (its pc is a
// return address), for a walk that starts one frame out.
ThreadStack walk_thread(const GoModules& gomods, const CodeModules& mods, Memory& mem,
                        const CRegs& regs0, const std::vector<NativeFrame>& native, uint64_t lwp,
                        int max_frames, bool innermost = true);

}  // namespace cgounwind
