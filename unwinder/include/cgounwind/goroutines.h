// The goroutine table (runtime.allgs) and goroutine-stack walks that need no debugger unwinder.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/memory.h"
#include "cgounwind/unwinder.h"

namespace cgounwind {

struct Goroutine {
  uint64_t addr = 0;  // the g
  uint64_t goid = 0;
  uint32_t status = 0;      // without the scan bit
  std::string status_name;  // "running", "waiting", …
  std::string wait_reason;  // "chan receive", … (waiting goroutines)
  uint64_t m = 0;
  uint64_t lwp = 0;    // kernel thread running it (m.procid), 0 if none
  bool in_c = false;   // inside a cgo call right now
  Regs regs;           // where it is: g.sched, or the syscall/cgo entry point
  std::string module;  // the Go module (file name) whose runtime runs it, when there are several
  std::string func;    // function at regs.pc
  std::string file;
  int line = 0;
  uint64_t startpc = 0;   // the function the goroutine started in (g.startpc)
  uint64_t gopc = 0;      // return address of the `go` statement that created it (g.gopc)
  uint64_t stack_lo = 0;  // its stack (g.stack)
  uint64_t stack_hi = 0;
};

struct GoroutineTable {
  std::vector<Goroutine> goroutines;  // dead goroutines are left out
  std::string error;                  // one line when the table could not be read fully
  bool truncated = false;
};

// Reads allgs: the pointer array and the g structs in bulk (read_many), then the few
// fields of each g.
GoroutineTable read_goroutines(const GoModule& bin, Memory& mem, size_t limit = 10000000);
// Every module's goroutines, module after module. With more than one Go runtime in the process
// each goroutine's `module` names its runtime (goroutine ids are per runtime), and each error
// line says which module it is about.
GoroutineTable read_all_goroutines(const GoModules& mods, Memory& mem, size_t limit = 10000000);

// The listing both adapters print (`info goroutines`, `goroutine list`): a header, then a line per
// goroutine, `*` for those on a thread:
//   * 1        syscall                      1        yes   runtime.cgocall at
//   runtime/cgocall.go:157
// thread_label(lwp) is the debugger's name for the thread (empty: "-").
std::string format_goroutine_table(const GoroutineTable& t,
                                   const std::function<std::string(uint64_t lwp)>& thread_label);

// What the listing's options (goroutine_query.h) change in the table.
struct GoroutineTableStyle {
  std::string location_header = "Location";
  // The Location column of goroutine i of the table (unset: where it is now).
  std::function<std::string(size_t i)> location;
  // Lines printed under goroutine i's row, each ending in '\n' (unset: none).
  std::function<std::string(size_t i)> details;
};
std::string format_goroutine_table(const GoroutineTable& t,
                                   const std::function<std::string(uint64_t lwp)>& thread_label,
                                   const GoroutineTableStyle& style);
// A location as the table shows it: "FUNC at FILE:LINE", the pc when the function is unknown.
std::string location_text(const std::string& func, const std::string& file, int line, uint64_t pc);

// `goroutine ID bt` (GDB) / `goroutine bt ID` (LLDB), one rule for both:
// Whether the goroutine's stack is its thread's: it runs there, or it is inside C on it (the
// thread's spliced stack is then the goroutine's whole stack: its C frames first, nested
// callbacks and their C frames included). Otherwise it is walked from where it was parked.
bool stack_is_its_threads(const Goroutine& g);
// "goroutine 7 (waiting, chan receive):" ("…, module" when several runtimes are loaded).
std::string goroutine_header(const Goroutine& g);
// One frame of a goroutine's backtrace in the style of the debugger's own `bt`:
//   GDB:  "#3  0x00000000004a1d1b in main.goInner () at main.go:41"
//   LLDB: "  frame #3: 0x00000000004a1d1b main.goInner at main.go:41"
enum class BtStyle { Gdb, Lldb };
std::string backtrace_line(BtStyle style, int index, uint64_t pc, const std::string& func,
                           const std::string& file, int line);

struct GoFrame {
  uint64_t pc = 0, sp = 0, cfa = 0;
  bool innermost = false;  // pc is not a return address (a goroutine that has not run yet)
  std::string func, file;
  int line = 0;
};
struct GoStack {
  std::vector<GoFrame> frames;
  std::string error;  // why it stopped early, if it did
};
// Walks a goroutine stack from `start` (a resume pc, e.g. g.sched) with the core's rules.
GoStack walk_goroutine(const GoModule& bin, Memory& mem, uint64_t g, Regs start, int max_frames);

}  // namespace cgounwind
