// cgounwind for LLDB: `plugin load <build>/lldb-plugin/libcgounwind.so`.
//
// An adapter only: it turns SB API objects into the core's Memory and thread ids and prints the
// core's answers. It configures every Go target, including targets created later (lldb-dap
// creates its target after initCommands), through a stop-hook on LLDB's dummy target that LLDB
// copies into each new target: Go's preemption signal SIGURG is passed silently. Non-Go targets
// are left as they are.
//
// Commands: goroutine list | goroutine bt ID | cgo configure [-q]
#include <dlfcn.h>
#include <fmt/format.h>
#include <lldb/API/LLDB.h>

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/page_cache.h"

namespace {

constexpr const char* kProviderModule = "cgounwind_lldb";
constexpr const char* kProviderClass = "cgounwind_lldb.CgoFrameProvider";

// One line on the debugger's output (what the user sees in the CLI and lldb-dap's console).
void say(lldb::SBDebugger dbg, const std::string& line) {
  std::string text = "cgounwind: " + line + "\n";
  lldb::SBFile out = dbg.GetOutputFile();
  size_t written = 0;
  if (out.IsValid()) {
    out.Write(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &written);
    out.Flush();
  }
}

// Directory holding this plugin (and the Python shim installed next to it).
std::string plugin_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&say), &info) == 0 || info.dli_fname == nullptr) return ".";
  std::string path = info.dli_fname;
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

using cgounwind::GoBinary;

// Process memory through the SB API, cached per page for one command.
class ProcessMemory {
 public:
  explicit ProcessMemory(const lldb::SBProcess& p)
      : process_(p), cache_([this](uint64_t a, void* b, size_t n) {
          lldb::SBError err;
          return process_.ReadMemory(a, b, n, err) == n && err.Success();
        }) {}
  cgounwind::Memory& mem() { return cache_; }

 private:
  lldb::SBProcess process_;
  cgounwind::PageCache cache_;
};

std::string exe_path(lldb::SBTarget& t) {
  lldb::SBFileSpec f = t.GetExecutable();
  if (!f.IsValid() || f.GetFilename() == nullptr) return {};
  return std::string(f.GetDirectory() ? f.GetDirectory() : ".") + "/" + f.GetFilename();
}

// The core's view of each executable, loaded once; nullptr (with the reason) for non-Go ones.
const GoBinary* binary_for(lldb::SBTarget& t, std::string* why) {
  static std::map<std::string, std::pair<std::unique_ptr<GoBinary>, std::string>> cache;
  std::string path = exe_path(t);
  if (path.empty()) {
    *why = "no executable";
    return nullptr;
  }
  auto it = cache.find(path);
  if (it == cache.end()) {
    std::string err;
    std::unique_ptr<GoBinary> b;
    try {
      b = GoBinary::load(path, &err);
    } catch (const std::exception& e) {
      err = e.what();
    }
    it = cache.emplace(path, std::make_pair(std::move(b), err)).first;
  }
  *why = it->second.second;
  return it->second.first.get();
}

// Registers the scripted frame provider on a Go target, once per target; LLDB < 22 has no frame
// providers, which is said once.
void register_provider(const lldb::SBTarget& t) {
  static std::vector<lldb::SBTarget> done;
  for (const auto& d : done) {
    if (d == t) return;
  }
  done.push_back(t);
  lldb::SBDebugger dbg = t.GetDebugger();
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  lldb::SBCommandReturnObject r;
  static bool imported = false, unsupported = false;
  if (unsupported) return;
  if (!imported) {
    ci.HandleCommand(
        fmt::format("command script import \"{}/{}.py\"", plugin_dir(), kProviderModule).c_str(),
        r);
    if (!r.Succeeded()) {
      unsupported = true;
      say(dbg, fmt::format("cannot load the frame provider ({}); `bt` is LLDB's own",
                           r.GetError() ? r.GetError() : "unknown error"));
      return;
    }
    imported = true;
  }
  lldb::SBExecutionContext ctx(t);
  r.Clear();
  ci.HandleCommand(fmt::format("target frame-provider register -C {}", kProviderClass).c_str(), ctx,
                   r);
  if (!r.Succeeded()) {
    std::string err = r.GetError() ? r.GetError() : "";
    if (err.find("invalid command") != std::string::npos) {
      unsupported = true;
      say(dbg,
          "stack splicing needs LLDB >= 22 (no scripted frame providers here); `bt` is "
          "LLDB's own, goroutine commands work");
    } else {
      while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
      say(dbg, "cannot register the frame provider: " + err);
    }
  }
}

bool configure(lldb::SBTarget t, bool quiet, lldb::SBCommandReturnObject& result) {
  std::string why;
  const GoBinary* bin = binary_for(t, &why);
  if (bin == nullptr) {
    if (!quiet) result.AppendMessage(fmt::format("cgounwind: not a Go program ({})", why).c_str());
    return true;
  }
  register_provider(t);
  lldb::SBProcess p = t.GetProcess();
  if (p.IsValid()) {
    lldb::SBUnixSignals sig = p.GetUnixSignals();
    int32_t urg = sig.GetSignalNumberFromName("SIGURG");
    if (urg > 0) {
      sig.SetShouldStop(urg, false);
      sig.SetShouldNotify(urg, false);
      sig.SetShouldSuppress(urg, false);
    }
  }
  if (!quiet) {
    result.AppendMessage(
        fmt::format("cgounwind: {} ({}); SIGURG passed silently", bin->path(), bin->describe())
            .c_str());
  }
  return true;
}

// Target, process and Go binary for a goroutine command, or an error in `result`.
struct Context {
  lldb::SBTarget target;
  lldb::SBProcess process;
  const GoBinary* bin = nullptr;
};
bool context(lldb::SBDebugger dbg, Context& c, lldb::SBCommandReturnObject& result) {
  c.target = dbg.GetSelectedTarget();
  std::string why;
  c.bin = c.target.IsValid() ? binary_for(c.target, &why) : nullptr;
  c.process = c.target.GetProcess();
  if (c.bin == nullptr) {
    result.SetError(fmt::format("cgounwind: the selected target is not a Go program{}",
                                why.empty() ? "" : " (" + why + ")")
                        .c_str());
    return false;
  }
  if (!c.process.IsValid()) {
    result.SetError("cgounwind: no process (launch, attach or load a core file first)");
    return false;
  }
  return true;
}

std::string location(const std::string& func, const std::string& file, int line, uint64_t pc) {
  std::string out = func.empty() ? fmt::format("{:#x}", pc) : func;
  if (!file.empty()) out += fmt::format(" at {}:{}", file, line);
  return out;
}

class ConfigureCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    bool quiet = argv != nullptr && argv[0] != nullptr && std::string(argv[0]) == "-q";
    lldb::SBTarget t = dbg.GetSelectedTarget();
    if (t.IsValid()) configure(t, quiet, result);
    return true;
  }
};

class GoroutineListCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char**, lldb::SBCommandReturnObject& result) override {
    Context c;
    if (!context(dbg, c, result)) return false;
    ProcessMemory mem(c.process);
    auto table = cgounwind::read_goroutines(*c.bin, mem.mem());
    std::string out = fmt::format("  {:<8} {:<28} {:<8} {:<5} {}\n", "Id", "Status", "Thread",
                                  "In C", "Location");
    for (const auto& g : table.goroutines) {
      std::string status = g.status_name;
      if (!g.wait_reason.empty()) status += " (" + g.wait_reason + ")";
      lldb::SBThread th = g.lwp ? c.process.GetThreadByID(g.lwp) : lldb::SBThread();
      std::string thread = th.IsValid() ? std::to_string(th.GetIndexID()) : "-";
      out +=
          fmt::format("{} {:<8} {:<28} {:<8} {:<5} {}\n", g.m ? '*' : ' ', g.goid, status, thread,
                      g.in_c ? "yes" : "no", location(g.func, g.file, g.line, g.regs.pc));
    }
    result.AppendMessage(out.c_str());
    if (!table.error.empty()) result.AppendWarning(("cgounwind: " + table.error).c_str());
    return true;
  }
};

// One goroutine's stack: when it is inside C, the thread's own frames down to the switch and then
// its Go frames from where it entered the cgo call; otherwise its Go frames.
std::string goroutine_stack(Context& c, cgounwind::Memory& mem, const cgounwind::Goroutine& g,
                            std::string* warning) {
  std::string out = fmt::format("goroutine {} ({}):\n", g.goid, g.status_name);
  int n = 0;
  lldb::SBThread th = g.lwp ? c.process.GetThreadByID(g.lwp) : lldb::SBThread();
  if (g.in_c && th.IsValid()) {
    for (uint32_t i = 0; i < th.GetNumFrames() && i < 1024; ++i) {
      lldb::SBFrame f = th.GetFrameAtIndex(i);
      const char* fn = f.GetFunctionName();
      std::string name = fn ? fn : "";
      lldb::SBLineEntry le = f.GetLineEntry();
      std::string file =
          le.IsValid() && le.GetFileSpec().GetFilename() ? le.GetFileSpec().GetFilename() : "";
      out += fmt::format("  frame #{}: {:#018x} {}\n", n++, f.GetPC(),
                         location(name, file, static_cast<int>(le.GetLine()), f.GetPC()));
      if (name.rfind("runtime.asmcgocall", 0) == 0) break;
    }
  }
  auto stack = cgounwind::walk_goroutine(*c.bin, mem, g.addr, g.regs, 1024);
  for (const auto& f : stack.frames) {
    out += fmt::format("  frame #{}: {:#018x} {}\n", n++, f.pc,
                       location(f.func, f.file, f.line, f.pc));
  }
  if (!stack.error.empty()) {
    *warning +=
        fmt::format("cgounwind: goroutine {}: {}; backtrace truncated\n", g.goid, stack.error);
  }
  return out;
}

class GoroutineBtCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    if (argv == nullptr || argv[0] == nullptr) {
      result.SetError("usage: goroutine bt ID | goroutine bt all");
      return false;
    }
    std::string which = argv[0];
    Context c;
    if (!context(dbg, c, result)) return false;
    ProcessMemory mem(c.process);
    auto table = cgounwind::read_goroutines(*c.bin, mem.mem());
    std::string out, warning;
    for (const auto& g : table.goroutines) {
      if (which == "all" || std::to_string(g.goid) == which) {
        out += goroutine_stack(c, mem.mem(), g, &warning);
      }
    }
    if (out.empty()) {
      result.SetError(fmt::format("cgounwind: no goroutine {}", which).c_str());
      return false;
    }
    result.AppendMessage(out.c_str());
    if (!warning.empty()) result.AppendWarning(warning.c_str());
    return true;
  }
};

}  // namespace

namespace lldb {
__attribute__((used)) bool PluginInitialize(lldb::SBDebugger dbg) {
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  lldb::SBCommand cgo = ci.AddMultiwordCommand("cgo", "cgounwind: Go + C debugging");
  cgo.AddCommand("configure", new ConfigureCmd,
                 "Configure the selected target if it is a Go program (done automatically).");
  lldb::SBCommand goroutine = ci.AddMultiwordCommand("goroutine", "Go goroutines (cgounwind)");
  goroutine.AddCommand("list", new GoroutineListCmd,
                       "List goroutines: id, status, thread, whether inside C, location.");
  goroutine.AddCommand("bt", new GoroutineBtCmd,
                       "goroutine bt ID|all: backtrace of goroutine ID (or of every goroutine); "
                       "its C frames first when it is inside C.");
  // A stop-hook runs `cgo configure -q` at each target's stops (the first one comes before any
  // breakpoint: launch, attach and core-file load all stop once). On the dummy target it is
  // copied into every target created later, as lldb-dap creates its own after initCommands;
  // `lldb FILE` has created its target before the plugin loads, so existing targets get it too.
  const char* hook = "target stop-hook add -o \"cgo configure -q\"";
  lldb::SBCommandReturnObject r;
  for (uint32_t i = 0; i < dbg.GetNumTargets(); ++i) {
    lldb::SBTarget t = dbg.GetTargetAtIndex(i);
    configure(t, true, r);
    lldb::SBExecutionContext ctx(t);
    ci.HandleCommand(hook, ctx, r);
  }
  // SBDebugger::GetDummyTarget is new in LLDB 22: looked up at run time, so that the same .so
  // loads into LLDB 19 (a direct reference would fail to bind there).
  using DummyTargetFn = lldb::SBTarget (*)(lldb::SBDebugger*);
  auto dummy_target = reinterpret_cast<DummyTargetFn>(
      dlsym(RTLD_DEFAULT, "_ZN4lldb10SBDebugger14GetDummyTargetEv"));
  if (dummy_target != nullptr) {
    lldb::SBExecutionContext dummy(dummy_target(&dbg));
    ci.HandleCommand(hook, dummy, r);
  } else if (dbg.GetNumTargets() == 0) {
    ci.HandleCommand(hook, r);  // LLDB < 22: with no target, commands go to the dummy target
  }
  return true;
}
}  // namespace lldb
