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
#include <fcntl.h>
#include <fmt/format.h>
#include <lldb/API/LLDB.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cgounwind/c_view.h"
#include "cgounwind/go_binary.h"
#include "cgounwind/go_format.h"
#include "cgounwind/go_text.h"
#include "cgounwind/go_values.h"
#include "cgounwind/goroutine_query.h"
#include "cgounwind/goroutine_threads.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/page_cache.h"

namespace {

constexpr const char* kProviderModule = "cgounwind_lldb";
constexpr const char* kProviderClass = "cgounwind_lldb.CgoFrameProvider";
constexpr const char* kRecognizerClass = "cgounwind_lldb.GoRecognizer";
constexpr const char* kPointerSynthetic = "cgounwind_lldb.MirrorPointer";
constexpr const char* kSliceSynthetic = "cgounwind_lldb.MirrorSlice";
constexpr const char* kChildrenSynthetic = "cgounwind_lldb.GoChildren";
constexpr const char* kCgoStructSynthetic = "cgounwind_lldb.CgoStruct";
constexpr const char* kCgoStructRegex = "\\._Ctype_(struct|union)_[A-Za-z0-9_]+$";

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

std::string exe_path(lldb::SBTarget& t);

// /proc/PID/mem of a stopped process of this session on this host, or -1. LLDB on Linux reads
// memory through lldb-server's protocol (about 60 MB/s here: 0.7 s for the g structs of 100k
// goroutines); GDB reads this file. Only when /proc/PID/exe is the target's executable and the
// process has a tracer; core files, remote targets and CGOUNWIND_NO_PROC_MEM=1 use the SB API.
int open_proc_mem(lldb::SBProcess& p) {
  if (std::getenv("CGOUNWIND_NO_PROC_MEM") != nullptr) return -1;
  const char* plugin = p.GetPluginName();
  if (!p.IsValid() || p.GetState() != lldb::eStateStopped || plugin == nullptr ||
      std::string(plugin) != "gdb-remote")
    return -1;
  lldb::SBTarget t = p.GetTarget();
  std::string proc = fmt::format("/proc/{}", p.GetProcessID());
  std::error_code ec;
  auto exe = std::filesystem::canonical(proc + "/exe", ec);
  if (ec || exe != std::filesystem::canonical(exe_path(t), ec) || ec) return -1;
  std::ifstream status(proc + "/status");
  std::string line;
  bool traced = false;
  while (std::getline(status, line))
    if (line.rfind("TracerPid:", 0) == 0) traced = std::strtol(line.c_str() + 10, nullptr, 10) > 0;
  if (!traced) return -1;
  return ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
}

// Process memory, cached per page for one command: /proc/PID/mem when possible, else the SB API.
class ProcessMemory {
 public:
  explicit ProcessMemory(const lldb::SBProcess& p)
      : process_(p), fd_(open_proc_mem(process_)), cache_([this](uint64_t a, void* b, size_t n) {
          if (fd_ >= 0) {
            ssize_t got = ::pread(fd_, b, n, static_cast<off_t>(a));
            return got >= 0 && static_cast<size_t>(got) == n;
          }
          lldb::SBError err;
          return process_.ReadMemory(a, b, n, err) == n && err.Success();
        }) {}
  ~ProcessMemory() {
    if (fd_ >= 0) ::close(fd_);
  }
  ProcessMemory(const ProcessMemory&) = delete;
  ProcessMemory& operator=(const ProcessMemory&) = delete;
  cgounwind::Memory& mem() { return cache_; }

 private:
  lldb::SBProcess process_;
  int fd_ = -1;
  cgounwind::PageCache cache_;
};

std::string exe_path(lldb::SBTarget& t) {
  lldb::SBFileSpec f = t.GetExecutable();
  if (!f.IsValid() || f.GetFilename() == nullptr) return {};
  return std::string(f.GetDirectory() ? f.GetDirectory() : ".") + "/" + f.GetFilename();
}

std::string module_path(const lldb::SBModule& m) {
  lldb::SBFileSpec f = m.GetFileSpec();
  if (!f.IsValid() || f.GetFilename() == nullptr) return {};
  return std::string(f.GetDirectory() ? f.GetDirectory() : ".") + "/" + f.GetFilename();
}

// The core's view of one Go file (GoBinary::shared: the Python shim, which imports this same
// library as its `_cgounwind`, shares it); nullptr (with the reason) when it cannot be read as Go.
const GoBinary* load_go_file(const std::string& path, std::string* why) {
  return GoBinary::shared(path, why).get();
}

// The Go modules LLDB has loaded for this target (the executable, c-shared libraries, dlopen'ed
// ones; several Go runtimes), each with its load bias (where the module's header is loaded minus
// where its file says it is). Which files are Go is read from their section headers, once per
// file: a host with hundreds of non-Go libraries pays for no more than that.
cgounwind::GoModules go_modules(const lldb::SBTarget& t, std::string* why) {
  static std::map<std::string, bool> is_go;
  cgounwind::GoModules mods;
  *why = "no Go module loaded";
  for (uint32_t i = 0; i < t.GetNumModules(); ++i) {
    lldb::SBModule m = lldb::SBTarget(t).GetModuleAtIndex(i);  // not const in the SB API
    std::string path = module_path(m);
    if (path.empty()) continue;
    auto known = is_go.find(path);
    if (known == is_go.end()) known = is_go.emplace(path, cgounwind::looks_like_go(path)).first;
    if (!known->second) continue;
    lldb::SBAddress header = m.GetObjectFileHeaderAddress();
    uint64_t load = header.IsValid() ? header.GetLoadAddress(t) : LLDB_INVALID_ADDRESS;
    uint64_t bias = 0;
    if (load != LLDB_INVALID_ADDRESS) {
      bias = load - header.GetFileAddress();
    } else if (i != 0) {
      continue;  // a library not loaded (yet): nothing of it is in the process
    }
    std::string err;
    const GoBinary* bin = load_go_file(path, &err);
    if (bin == nullptr) {
      *why = err;
      continue;
    }
    mods.add(cgounwind::GoModule(*bin, bias));
  }
  return mods;
}

std::string module_names(const cgounwind::GoModules& mods) {
  std::string out;
  for (const auto& m : mods.all()) {
    out += (out.empty() ? "" : ", ") +
           fmt::format("{} ({}{})", m.binary().path(), m.binary().describe(),
                       m.bias() ? fmt::format(", loaded at +{:#x}", m.bias()) : "");
  }
  return out;
}

// Summary of a Go string (the core's C mirror `struct $string { str; len; }`). The signature is
// SBTypeSummary::FormatCallback's.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
bool go_string_summary(lldb::SBValue value, lldb::SBTypeSummaryOptions, lldb::SBStream& out) {
  namespace mirror = cgounwind::mirror;
  lldb::SBValue str = value.GetChildMemberWithName(mirror::kStringData);
  lldb::SBValue len = value.GetChildMemberWithName(mirror::kStringLen);
  lldb::SBError err;
  int64_t n = len.GetValueAsSigned(err, -1);
  if (!err.Success()) return false;
  uint64_t addr = str.GetValueAsUnsigned(0);
  std::string bytes;
  if (n > 0 && addr != 0) {
    bytes.resize(static_cast<size_t>(
        std::min<uint64_t>(static_cast<uint64_t>(n), cgounwind::kMaxStringBytes)));
    lldb::SBProcess p = value.GetProcess();
    if (p.ReadMemory(addr, bytes.data(), bytes.size(), err) != bytes.size() || !err.Success()) {
      out.Printf("<unreadable string at %#llx>", static_cast<unsigned long long>(addr));
      return true;
    }
  }
  std::string text = cgounwind::quote_go_string(bytes, n);
  out.Printf("%s", text.c_str());
  return true;
}

// Go types of one executable for the formatters (loaded on first use), with runtime.types.
struct GoTypes {
  std::shared_ptr<const cgounwind::GoDwarf> dwarf;  // GoDwarf::shared
  uint64_t types_base = 0;
};
// The types of the target's first Go module (the shim declares that module's types to LLDB).
const GoTypes& go_types(const lldb::SBTarget& t) {
  static std::map<std::pair<std::string, uint64_t>, GoTypes> cache;
  static const GoTypes none;
  std::string why;
  cgounwind::GoModules mods = go_modules(t, &why);
  if (mods.empty()) return none;
  const cgounwind::GoModule& mod = mods.all().front();
  auto key = std::make_pair(mod.binary().path(), mod.bias());
  auto it = cache.find(key);
  if (it == cache.end()) {
    GoTypes g;
    try {
      g.dwarf = cgounwind::GoDwarf::shared(key.first, &why);
      if (auto base = mod.data_symbol("runtime.types")) g.types_base = *base;
    } catch (const std::exception&) {
      g.dwarf.reset();
    }
    it = cache.emplace(key, std::move(g)).first;
  }
  return it->second;
}

// Writes the core's text for `value` (type id `id`, C type if `c`) to `out`; false when the
// value's bytes cannot be had (LLDB then shows no summary).
bool summarize(lldb::SBValue& value, const GoTypes& types, uint64_t id, bool c,
               lldb::SBStream& out) {
  lldb::SBData data = value.GetData();
  if (id == 0 || !types.dwarf || !data.IsValid()) return false;
  std::vector<uint8_t> bytes(data.GetByteSize());
  lldb::SBError err;
  if (!bytes.empty() && data.ReadRawData(err, 0, bytes.data(), bytes.size()) != bytes.size())
    return false;
  ProcessMemory mem(value.GetProcess());
  cgounwind::GoFormatter f{*types.dwarf, mem.mem(), types.types_base};
  std::string text = c ? f.format_c(id, bytes) : f.format(id, bytes);
  out.Printf("%s", text.c_str());
  return true;
}

// Summary of a Go value the core formats as a whole (interfaces, channels, maps): the mirror's
// name carries the Go type id, its bytes are the Go value's.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
bool go_value_summary(lldb::SBValue value, lldb::SBTypeSummaryOptions, lldb::SBStream& out) {
  std::string name = value.GetType().GetName() ? value.GetType().GetName() : "";
  if (name.rfind("struct ", 0) == 0) name.erase(0, 7);
  return summarize(value, go_types(value.GetTarget()), cgounwind::type_id_from_mirror(name), false,
                   out);
}

// Summary of a C struct or union that Go code uses through cgo (and so is shown in Go frames as
// its C type): the core's C text, with a tagged union's active member first and marked.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
bool c_value_summary(lldb::SBValue value, lldb::SBTypeSummaryOptions, lldb::SBStream& out) {
  const GoTypes& types = go_types(value.GetTarget());
  if (!types.dwarf) return false;
  lldb::SBType type = value.GetType().GetUnqualifiedType();
  auto id = types.dwarf->c_type_by_name(type.GetName() ? type.GetName() : "");
  return id && summarize(value, types, *id, true, out);
}

// Summary of a value of LLDB's own Go variables, typed by Go's DWARF read as C (add_c_views):
// Go's text for what C shows badly (a string's bytes past its length, a map's or channel's
// runtime header, an interface's two words, cgo's byte-array copies of C unions).
// NOLINTNEXTLINE(performance-unnecessary-value-param)
bool go_named_summary(lldb::SBValue value, lldb::SBTypeSummaryOptions, lldb::SBStream& out) {
  const GoTypes& types = go_types(value.GetTarget());
  if (!types.dwarf) return false;
  lldb::SBType type = value.GetType();
  auto id = types.dwarf->type_by_name(type.GetName() ? type.GetName() : "");
  if (!id) return false;
  if (auto c = types.dwarf->c_type_id_for(*id)) return summarize(value, types, *c, true, out);
  return summarize(value, types, *id, false, out);
}

// Summaries for the C types behind the binary's cgo structs (once per executable).// Summaries for
// the C types behind the binary's cgo structs (once per executable).
void add_c_summaries(const lldb::SBTarget& t) {
  static std::set<const cgounwind::GoDwarf*> done;
  const GoTypes& types = go_types(t);
  if (!types.dwarf || !done.insert(types.dwarf.get()).second) return;
  lldb::SBTypeCategory cat = t.GetDebugger().GetCategory("cgounwind");
  if (!cat.IsValid()) return;
  for (std::string name : types.dwarf->cgo_c_types()) {
    for (const char* kw : {"struct ", "union "})
      if (name.rfind(kw, 0) == 0) name.erase(0, std::string(kw).size());  // LLDB's C names
    cat.AddTypeSummary(lldb::SBTypeNameSpecifier(name.c_str(), false),
                       lldb::SBTypeSummary::CreateWithCallback(
                           c_value_summary, lldb::eTypeOptionHideChildren, "cgo C value"));
  }
}

// Go value formatting for the core's C mirror types, in a category of our own.
void add_formatters(lldb::SBDebugger dbg) {
  lldb::SBTypeCategory cat = dbg.GetCategory("cgounwind");
  if (!cat.IsValid()) cat = dbg.CreateCategory("cgounwind");
  namespace mirror = cgounwind::mirror;
  cat.AddTypeSummary(lldb::SBTypeNameSpecifier(mirror::kStringRegex, true),
                     lldb::SBTypeSummary::CreateWithCallback(
                         go_string_summary, lldb::eTypeOptionHideChildren, "Go string"));
  cat.AddTypeSummary(lldb::SBTypeNameSpecifier(mirror::kFormattedRegex, true),
                     lldb::SBTypeSummary::CreateWithCallback(
                         go_value_summary, lldb::eTypeOptionHideChildren, "Go value"));
  cat.AddTypeSummary(
      lldb::SBTypeNameSpecifier(mirror::kSliceRegex, true),
      lldb::SBTypeSummary::CreateWithSummaryString("len: ${var.len}, cap: ${var.cap}", 0));
  cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier(mirror::kSliceRegex, true),
                       lldb::SBTypeSynthetic::CreateWithClassName(kSliceSynthetic));
  cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier(mirror::kFormattedRegex, true),
                       lldb::SBTypeSynthetic::CreateWithClassName(kChildrenSynthetic));
  cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier(mirror::kStructPointerRegex, true),
                       lldb::SBTypeSynthetic::CreateWithClassName(kPointerSynthetic));
  // LLDB's own Go variables (the C view): Go's type names.
  for (const char* go_name :
       {"^string$", "^error$", "^map\\[", "^(<-)?chan[ <]", "^interface \\{"}) {
    cat.AddTypeSummary(lldb::SBTypeNameSpecifier(go_name, true),
                       lldb::SBTypeSummary::CreateWithCallback(
                           go_named_summary,
                           lldb::eTypeOptionHideChildren | lldb::eTypeOptionHideValue, "Go value"));
  }
  // cgo's copies of C structs and unions: the C text, and the C type's members as children.
  cat.AddTypeSummary(lldb::SBTypeNameSpecifier(kCgoStructRegex, true),
                     lldb::SBTypeSummary::CreateWithCallback(
                         go_named_summary, lldb::eTypeOptionHideChildren, "cgo C value"));
  cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier(kCgoStructRegex, true),
                       lldb::SBTypeSynthetic::CreateWithClassName(kCgoStructSynthetic));
  // A pointer to one expands into the C members too (LLDB expands a pointer into its pointee's
  // own members, not the pointee's synthetic children).
  cat.AddTypeSynthetic(
      lldb::SBTypeNameSpecifier("\\._Ctype_(struct|union)_[A-Za-z0-9_]+ \\*$", true),
      lldb::SBTypeSynthetic::CreateWithClassName(kPointerSynthetic));
  cat.AddTypeSummary(
      lldb::SBTypeNameSpecifier("^\\[\\]", true),
      lldb::SBTypeSummary::CreateWithSummaryString("len: ${var.len}, cap: ${var.cap}", 0));
  cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier("^\\[\\]", true),
                       lldb::SBTypeSynthetic::CreateWithClassName(kSliceSynthetic));
  for (const char* go_name : {"^error$", "^map\\[", "^(<-)?chan[ <]", "^interface \\{"}) {
    cat.AddTypeSynthetic(lldb::SBTypeNameSpecifier(go_name, true),
                         lldb::SBTypeSynthetic::CreateWithClassName(kChildrenSynthetic));
  }
  cat.SetEnabled(true);
}

// Imports the Python shim next to this plugin, once; false (said once) when it cannot be.
bool import_shim(lldb::SBDebugger dbg) {
  static int state = 0;  // 0: not tried, 1: imported, -1: failed
  if (state == 0) {
    lldb::SBCommandReturnObject r;
    dbg.GetCommandInterpreter().HandleCommand(
        fmt::format("command script import \"{}/{}.py\"", plugin_dir(), kProviderModule).c_str(),
        r);
    state = r.Succeeded() ? 1 : -1;
    if (state < 0) {
      say(dbg, fmt::format("cannot load the Python shim ({}); `bt` is LLDB's own",
                           r.GetError() ? r.GetError() : "unknown error"));
    }
  }
  return state > 0;
}

// Registers the scripted frame provider on a Go target, once per target; LLDB < 22 has no frame
// providers, which is said once.
// Go variables: recognized arguments of every frame of each Go module (LLDB 19 and 22), added
// once per target and module, also for a Go library loaded after the target was configured.
void add_recognizers(const lldb::SBTarget& t, const cgounwind::GoModules& mods) {
  static std::vector<std::pair<lldb::SBTarget, std::string>> done;
  lldb::SBDebugger dbg = t.GetDebugger();
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  lldb::SBExecutionContext ctx(t);
  for (const auto& m : mods.all()) {
    std::string path = m.binary().path();
    std::string file = path.substr(path.find_last_of('/') + 1);
    if (std::find(done.begin(), done.end(), std::make_pair(t, file)) != done.end()) continue;
    done.emplace_back(t, file);
    lldb::SBCommandReturnObject r;
    ci.HandleCommand(
        fmt::format("frame recognizer add -f false -l {} -s \"{}\" -x -n .", kRecognizerClass, file)
            .c_str(),
        ctx, r);
    if (!r.Succeeded())
      say(dbg, std::string("cannot show Go variables: ") + (r.GetError() ? r.GetError() : "?"));
  }
}

void register_provider(const lldb::SBTarget& t, const cgounwind::GoModules& mods) {
  lldb::SBDebugger dbg = t.GetDebugger();
  if (!import_shim(dbg)) return;
  add_recognizers(t, mods);
  static std::vector<lldb::SBTarget> done;
  for (const auto& d : done) {
    if (d == t) return;
  }
  done.push_back(t);
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  lldb::SBCommandReturnObject r;
  static bool unsupported = false;  // no frame providers in this LLDB
  lldb::SBExecutionContext ctx(t);
  ci.HandleCommand("settings set target.display-recognized-arguments true", r);
  if (unsupported) return;
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

// A Go library loaded while the process runs (a C host's DT_NEEDED libraries load after the
// initial stop; dlopen, Python's ctypes) starts a Go runtime that preempts with SIGURG before the
// next stop at which the stop-hook could configure the target. LLDB broadcasts each batch of
// loaded modules: a thread of ours makes SIGURG silent as soon as a Go module is among them (the
// rest of the configuration follows at the next stop). Signals are the only thing touched here,
// from outside LLDB's command thread.
void make_sigurg_silent(lldb::SBProcess p) {
  lldb::SBUnixSignals sig = p.GetUnixSignals();
  int32_t urg = sig.IsValid() ? sig.GetSignalNumberFromName("SIGURG") : 0;
  if (urg > 0) {
    sig.SetShouldStop(urg, false);
    sig.SetShouldNotify(urg, false);
    sig.SetShouldSuppress(urg, false);
  }
}

// One line, once per file, for a module that looks like Go but that the core cannot read (an
// architecture without rules): LLDB's behaviour stays exactly as without cgounwind.
void say_unsupported(const lldb::SBTarget& t, const lldb::SBEvent& ev) {
  static std::set<std::string> seen;
  uint32_t n = lldb::SBTarget::GetNumModulesFromEvent(ev);
  for (uint32_t i = 0; i < n; ++i) {
    std::string path = module_path(lldb::SBTarget::GetModuleAtIndexFromEvent(i, ev));
    if (path.empty() || !seen.insert(path).second) continue;
    // The ELF header first (20 bytes): a file of a supported architecture needs nothing more.
    if (cgounwind::arch_for_machine(cgounwind::elf_machine(path)) != nullptr ||
        !cgounwind::looks_like_go(path))
      continue;
    std::string why;
    if (load_go_file(path, &why) == nullptr) say(t.GetDebugger(), why + "; left to LLDB");
  }
}

// Goroutines as threads: LLDB's Python OS plugin (cgounwind_threads.py, next to this plugin)
// lists the goroutines that are on no OS thread (`cgo threads`). Whether this LLDB is lldb-dap.
bool in_lldb_dap() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name.rfind("lldb-dap", 0) == 0;
}

// `cgo threads`: off (LLDB's own threads), running (each goroutine on an OS thread is a thread
// of its own that follows it from OS thread to OS thread: what makes LLDB's `next` and `finish`
// stay with a goroutine), on (also every goroutine on no OS thread). lldb-dap lists them all, as
// its Threads pane is the IDE's goroutine list. The command line keeps LLDB's own threads unless
// asked: their numbers are GDB's, `process save-core` writes what is listed, and `goroutine list`
// is at hand.
enum class ThreadsMode { Off, Running, On };
struct ThreadsSetting {
  ThreadsMode mode = in_lldb_dap() ? ThreadsMode::On : ThreadsMode::Off;
  size_t max = cgounwind::kDefaultGoroutineThreads;
};
const char* mode_name(ThreadsMode m) {
  return m == ThreadsMode::On ? "on" : m == ThreadsMode::Running ? "running" : "off";
}
ThreadsSetting& threads_setting() {
  static ThreadsSetting s;
  return s;
}

// Sets (or clears) the OS plugin of a Go process; setting it again makes LLDB load it afresh and
// rebuild the thread list.
void apply_goroutine_threads(const lldb::SBProcess& p) {
  lldb::SBDebugger dbg = p.GetTarget().GetDebugger();
  lldb::SBCommandReturnObject r;
  lldb::SBExecutionContext ctx(p);
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  ci.HandleCommand(fmt::format("script cgounwind_lldb.set_threads('{}', {})",
                               mode_name(threads_setting().mode), threads_setting().max)
                       .c_str(),
                   ctx, r);
  ci.HandleCommand("settings clear target.process.python-os-plugin-path", ctx, r);
  if (threads_setting().mode == ThreadsMode::Off) return;
  r.Clear();
  ci.HandleCommand(
      fmt::format("settings set target.process.python-os-plugin-path \"{}/cgounwind_threads.py\"",
                  plugin_dir())
          .c_str(),
      ctx, r);
  if (!r.Succeeded()) {
    std::string err = r.GetError() ? r.GetError() : "?";
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    say(dbg, "goroutines are not shown as threads: " + err);
  }
}

// Goroutines as threads, on each Go process once, unless off: in lldb-dap (its Call Stack pane
// lists threads); in the command line after `cgo threads on|running` (there `goroutine list` is
// at hand, LLDB prints every thread of a core it loads, and `process save-core` writes every
// listed thread into the core).
void show_goroutine_threads(lldb::SBProcess p) {
  static std::set<std::pair<lldb::user_id_t, uint64_t>> done;  // (debugger, process)
  if (threads_setting().mode == ThreadsMode::Off || !p.IsValid() ||
      !import_shim(p.GetTarget().GetDebugger()))
    return;
  if (!done.emplace(p.GetTarget().GetDebugger().GetID(), p.GetUniqueID()).second) return;
  apply_goroutine_threads(p);
}

class ThreadsCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    std::vector<std::string> words;
    for (char** a = argv; a != nullptr && *a != nullptr; ++a) words.emplace_back(*a);
    ThreadsSetting& s = threads_setting();
    if (words == std::vector<std::string>{"on"}) {
      s.mode = ThreadsMode::On;
    } else if (words == std::vector<std::string>{"running"}) {
      s.mode = ThreadsMode::Running;
    } else if (words == std::vector<std::string>{"off"}) {
      s.mode = ThreadsMode::Off;
    } else if (words.size() == 2 && words[0] == "max" && !words[1].empty() &&
               words[1].find_first_not_of("0123456789") == std::string::npos &&
               words[1].size() < 10) {
      s.max = std::stoul(words[1]);
    } else if (!words.empty()) {
      result.SetError("usage: cgo threads [on|running|off|max N]");
      return false;
    }
    lldb::SBProcess p = dbg.GetSelectedTarget().GetProcess();
    std::string why;
    if (!words.empty() && p.IsValid() && import_shim(dbg) &&
        !go_modules(p.GetTarget(), &why).empty())
      apply_goroutine_threads(p);
    std::string detail =
        s.mode == ThreadsMode::On
            ? fmt::format(" ({} listed)", s.max == 0 ? "all" : fmt::format("at most {}", s.max))
        : s.mode == ThreadsMode::Running
            ? " (a goroutine on an OS thread is a thread that follows it)"
            : "";
    result.AppendMessage(
        fmt::format("cgounwind: goroutines as threads: {}{}", mode_name(s.mode), detail).c_str());
    return true;
  }
};

// LLDB's major version (0 if unknown). LLDB 19 drops the locations of breakpoints already set in
// a module whose symbol file is replaced at a stop (the C view): a launched program then runs past
// them; 22 resolves them again.
int lldb_major() {
  const char* v = lldb::SBDebugger::GetVersionString();
  std::string text = v ? v : "";
  auto at = text.find("version ");
  return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 8);
}

// Where the C view of a Go file is kept: one directory per file version (path, size, mtime), the
// file named like the binary plus ".debug" (LLDB also matches a symbol file by that name when the
// binary has no build-id).
std::string c_view_path(const std::string& binary) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto size = fs::file_size(binary, ec);
  auto mtime = fs::last_write_time(binary, ec).time_since_epoch().count();
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string root = xdg && *xdg ? xdg : std::string(home && *home ? home : "/tmp") + "/.cache";
  // The version of the C view's rules (c_view.cpp): a cached file of older rules is not reused.
  constexpr int kCViewRules = 3;
  size_t key =
      std::hash<std::string>{}(fmt::format("{}\n{}\n{}\n{}", binary, size, mtime, kCViewRules));
  std::string name = binary.substr(binary.find_last_of('/') + 1);
  return fmt::format("{}/cgounwind/c-view/{:016x}/{}.debug", root, key, name);
}

// Go variables by name in LLDB's own commands (`v NAME`, `p NAME`, `expression`, lldb-dap's
// hover): each Go module's DWARF as C (cgounwind/c_view.h), added as the module's symbol file,
// once per target and file. CGOUNWIND_NO_C_VIEW=1 leaves LLDB's symbols as they are.
void add_c_views(const lldb::SBTarget& t, const cgounwind::GoModules& mods) {
  static std::vector<std::pair<lldb::SBTarget, std::string>> done;  // (target, binary)
  if (std::getenv("CGOUNWIND_NO_C_VIEW") != nullptr || lldb_major() < 22) return;
  // Only before the process's first reported stop (no process yet, or its initial stop): at a
  // stop LLDB reports, its event thread prints the threads' frames while this runs, and frames
  // made meanwhile keep the symbols of before for good (unnamed frames were seen, in a core just
  // loaded and in a Go library loaded by a C host). Go modules seen later (those libraries,
  // cores) get their Go values from the recognizer.
  lldb::SBProcess p = lldb::SBTarget(t).GetProcess();
  const std::string kind = p.IsValid() && p.GetPluginName() ? p.GetPluginName() : "";
  if (kind == "elf-core" || kind == "minidump" || (p.IsValid() && p.GetStopID() > 1)) return;
  lldb::SBDebugger dbg = t.GetDebugger();
  for (const auto& m : mods.all()) {
    const std::string& path = m.binary().path();
    auto key = std::make_pair(t, path);
    if (std::find(done.begin(), done.end(), key) != done.end()) continue;
    done.push_back(key);
    std::string view = c_view_path(path), err;
    std::error_code ec;
    if (!std::filesystem::exists(view, ec)) {
      std::filesystem::create_directories(std::filesystem::path(view).parent_path(), ec);
      bool ok = false;
      try {
        ok = cgounwind::write_c_view_debug_file(path, view, nullptr, &err);
      } catch (const std::exception& e) {
        err = e.what();
      }
      // Without Go DWARF (-ldflags=-w) the recognizer says so already.
      if (!ok && err.find("no Go compile unit") == std::string::npos &&
          err.find(".debug_info") == std::string::npos) {
        say(dbg, fmt::format("{}: Go variables are not known to LLDB by name ({}); `go print NAME` "
                             "and `frame variable` show them",
                             path.substr(path.find_last_of('/') + 1), err));
      }
      if (!ok) continue;
    }
    lldb::SBCommandReturnObject r;
    lldb::SBExecutionContext ctx(t);
    dbg.GetCommandInterpreter().HandleCommand(
        fmt::format("target symbols add \"{}\"", view).c_str(), ctx, r);
    if (!r.Succeeded()) {
      std::string e = r.GetError() ? r.GetError() : "?";
      while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
      say(dbg, "cannot add the Go variables' C view: " + e);
    }
  }
}

bool configure(lldb::SBTarget t, bool quiet, lldb::SBCommandReturnObject& result) {
  std::string why;
  cgounwind::GoModules mods = go_modules(t, &why);
  if (mods.empty()) {
    if (!quiet) {
      result.AppendMessage(fmt::format("cgounwind: not a Go program ({})", why).c_str());
    }
    // A Go file the core cannot read (an architecture without rules, a damaged file) is said
    // once by the module-load listener (said here, at a stop, it would replace LLDB's own stop
    // description), and the target is left exactly as LLDB shows it without us.
    return true;
  }
  register_provider(t, mods);
  add_c_views(t, mods);
  add_c_summaries(t);
  lldb::SBProcess p = t.GetProcess();
  show_goroutine_threads(p);
  if (!p.IsValid()) {
    // No process yet: the target's own signal settings, applied when it launches or attaches
    // (before LLDB 21 no stop-hook runs before the first reported stop, for Go SIGURG's).
    lldb::SBCommandReturnObject r;
    lldb::SBExecutionContext ctx(t);
    t.GetDebugger().GetCommandInterpreter().HandleCommand(
        "process handle -p true -s false -n false SIGURG", ctx, r);
  } else {
    make_sigurg_silent(p);
  }
  if (!quiet) {
    result.AppendMessage(
        fmt::format("cgounwind: {}; SIGURG passed silently", module_names(mods)).c_str());
  }
  return true;
}

// Target, process and Go binary for a goroutine command, or an error in `result`.
struct Context {
  lldb::SBTarget target;
  lldb::SBProcess process;
  cgounwind::GoModules mods;
};
bool context(lldb::SBDebugger dbg, Context& c, lldb::SBCommandReturnObject& result) {
  c.target = dbg.GetSelectedTarget();
  std::string why = "no target";
  if (c.target.IsValid()) c.mods = go_modules(c.target, &why);
  c.process = c.target.GetProcess();
  if (c.mods.empty()) {
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

class ConfigureCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    bool quiet = argv != nullptr && argv[0] != nullptr && std::string(argv[0]) == "-q";
    lldb::SBTarget t = dbg.GetSelectedTarget();
    if (t.IsValid()) configure(t, quiet, result);
    return true;
  }
};

// go print EXPR: a Go variable of the selected frame, or a field, element or pointee of one.
// (`frame variable` lists Go variables but cannot look them up by name: they are the frame
// recognizer's values, not LLDB's own.)
// cgo's copy of a C struct or union among LLDB's own Go variables (the C view types it
// `main._Ctype_struct___7`, a union as bytes) as a value of the C type it stands for, so that
// its members (those of anonymous unions too) are found by name; other values as they are.
lldb::SBValue as_c_value(lldb::SBTarget& target, lldb::SBValue v) {
  std::string name = v.GetType().GetName() ? v.GetType().GetName() : "";
  if (name.find("._Ctype_struct_") == std::string::npos &&
      name.find("._Ctype_union_") == std::string::npos)
    return v;
  const GoTypes& types = go_types(target);
  auto id = types.dwarf ? types.dwarf->type_by_name(name) : std::nullopt;
  std::string c = id ? types.dwarf->c_type_for(*id).value_or("") : "";
  for (const char* kw : {"struct ", "union "})
    if (c.rfind(kw, 0) == 0) c.erase(0, std::string(kw).size());
  lldb::SBType ctype = c.empty() ? lldb::SBType() : target.FindFirstType(c.c_str());
  if (!ctype.IsValid() || ctype.GetByteSize() != v.GetByteSize()) return v;
  lldb::addr_t addr = v.GetLoadAddress();
  if (addr != LLDB_INVALID_ADDRESS)
    return target.CreateValueFromAddress(v.GetName(), lldb::SBAddress(addr, target), ctype);
  return target.CreateValueFromData(v.GetName(), v.GetData(), ctype);
}

class GoPrintCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    std::string text;
    for (char** a = argv; a != nullptr && *a != nullptr; ++a) text += std::string(*a) + " ";
    cgounwind::GoPath path = cgounwind::parse_go_path(text);
    if (!path.error.empty()) {
      result.SetError(("go print: " + path.error).c_str());
      return false;
    }
    lldb::SBFrame frame =
        dbg.GetSelectedTarget().GetProcess().GetSelectedThread().GetSelectedFrame();
    if (!frame.IsValid()) {
      result.SetError("go print: no frame selected");
      return false;
    }
    lldb::SBVariablesOptions opts;
    opts.SetIncludeArguments(true);
    opts.SetIncludeLocals(true);
    opts.SetIncludeRecognizedArguments(true);
    opts.SetInScopeOnly(true);
    lldb::SBValue v = frame.GetVariables(opts).GetFirstValueByName(path.root.c_str());
    std::string shown = path.root;
    if (!v.IsValid()) {
      result.SetError(fmt::format("go print: no variable '{}' in frame #{} (optimized out, or "
                                  "not a Go frame)",
                                  path.root, frame.GetFrameID())
                          .c_str());
      return false;
    }
    namespace mirror = cgounwind::mirror;
    lldb::SBTarget target = frame.GetThread().GetProcess().GetTarget();
    // The recognizer's values cannot be dereferenced by LLDB ("parent is NULL"): read the
    // pointee at the pointer's value instead.
    auto deref = [&](lldb::SBValue p, const std::string& name) {
      uint64_t addr = p.GetValueAsUnsigned(0);
      if (addr == 0) return lldb::SBValue();
      return as_c_value(target,
                        target.CreateValueFromAddress(name.c_str(), lldb::SBAddress(addr, target),
                                                      p.GetType().GetPointeeType()));
    };
    v = as_c_value(target, v);
    for (const auto& step : path.steps) {
      lldb::SBValue next;
      if (step.kind == cgounwind::GoPathStep::Deref) {
        shown.insert(0, "*");
        next = deref(v, shown);
      } else if (step.kind == cgounwind::GoPathStep::Field) {
        lldb::SBValue base = v.GetType().IsPointerType() ? deref(v, shown) : v;  // Go's p.f
        next = as_c_value(target, base.GetChildMemberWithName(step.field.c_str()));
        shown += "." + step.field;
      } else {
        std::string type = v.GetType().GetName() ? v.GetType().GetName() : "";
        // A slice: the core's mirror, or the C view's Go type ("[]int").
        if (type.rfind(mirror::kSlicePrefix, 0) == 0 || type.rfind("[]", 0) == 0) {
          lldb::SBValue raw = v.GetNonSyntheticValue();  // the fields, not the elements
          int64_t len = raw.GetChildMemberWithName(mirror::kSliceLen).GetValueAsSigned(-1);
          if (len < 0 || step.index >= static_cast<uint64_t>(len)) {
            result.SetError(
                fmt::format("go print: index {} out of range [0:{}]", step.index, len).c_str());
            return false;
          }
          next =
              raw.GetChildMemberWithName(mirror::kSliceArray)
                  .GetChildAtIndex(static_cast<uint32_t>(step.index), lldb::eNoDynamicValues, true);
        } else if (v.GetType().IsArrayType() && step.index < v.GetNumChildren()) {
          next = v.GetChildAtIndex(static_cast<uint32_t>(step.index));
        }
        shown += fmt::format("[{}]", step.index);
      }
      if (!next.IsValid()) {
        result.SetError(fmt::format("go print: cannot evaluate {}", shown).c_str());
        return false;
      }
      v = next;
    }
    lldb::SBStream out;
    v.GetDescription(out);
    std::string desc = out.GetData() ? out.GetData() : "";
    result.AppendMessage(desc.c_str());
    return true;
  }
};

// The LLDB thread on OS thread `lwp`: its running goroutine's own thread (`cgo threads running`,
// `on`), else the OS thread itself.
lldb::SBThread thread_on(lldb::SBProcess& p, const cgounwind::GoModules& mods,
                         cgounwind::Memory& mem, uint64_t lwp) {
  for (const auto& r : cgounwind::running_goroutines(mods, mem, {lwp})) {
    lldb::SBThread th = p.GetThreadByID(r.tid);
    if (th.IsValid()) return th;
  }
  return p.GetThreadByID(lwp);
}

// goroutine list [ARGS]: the core parses ARGS (goroutine_query.h), filters, groups and formats;
// GDB's `info goroutines ARGS` prints the same text.
class GoroutineListCmd : public lldb::SBCommandPluginInterface {
 public:
  bool DoExecute(lldb::SBDebugger dbg, char** argv, lldb::SBCommandReturnObject& result) override {
    // LLDB hands over the words already split (its quotes removed): quoted again for the core.
    std::vector<std::string> words;
    for (char** a = argv; a != nullptr && *a != nullptr; ++a) words.emplace_back(*a);
    Context c;
    if (!context(dbg, c, result)) return false;
    ProcessMemory mem(c.process);
    auto listing = cgounwind::goroutine_listing(
        c.mods, mem.mem(), cgounwind::join_args(words), [&](uint64_t lwp) {
          lldb::SBThread th = thread_on(c.process, c.mods, mem.mem(), lwp);
          return th.IsValid() ? std::to_string(th.GetIndexID()) : std::string();
        });
    if (!listing.error.empty()) {
      result.SetError(("cgounwind: goroutine list: " + listing.error).c_str());
      return false;
    }
    result.AppendMessage(listing.text.c_str());
    if (!listing.warning.empty()) result.AppendWarning(("cgounwind: " + listing.warning).c_str());
    return true;
  }
};

// One goroutine's stack, by the core's rule (stack_is_its_threads): its thread's frames as LLDB
// lists them (spliced by the frame provider), or its Go frames from where it was parked.
std::string goroutine_stack(Context& c, cgounwind::Memory& mem, const cgounwind::Goroutine& g,
                            std::string* warning) {
  using cgounwind::BtStyle;
  std::string out = cgounwind::goroutine_header(g) + "\n";
  lldb::SBThread th = g.lwp ? thread_on(c.process, c.mods, mem, g.lwp) : lldb::SBThread();
  int n = 0;
  if (cgounwind::stack_is_its_threads(g) && th.IsValid()) {
    uint32_t frames = std::min<uint32_t>(th.GetNumFrames(), cgounwind::kMaxClaimedFrames);
    std::string last;
    for (uint32_t i = 0; i < frames; ++i) {
      lldb::SBFrame f = th.GetFrameAtIndex(i);
      const char* fn = f.GetFunctionName();
      last = fn ? fn : "";
      lldb::SBLineEntry le = f.GetLineEntry();
      std::string file =
          le.IsValid() && le.GetFileSpec().GetFilename() ? le.GetFileSpec().GetFilename() : "";
      out += cgounwind::backtrace_line(BtStyle::Lldb, n++, f.GetPC(), last, file,
                                       static_cast<int>(le.GetLine())) +
             "\n";
      // LLDB's own frames (LLDB < 22: no frame provider) end in the runtime's switch to the
      // system stack: the Go frames below are walked from where the goroutine entered C.
      if (!g.in_c || last.rfind("runtime.asmcgocall", 0) != 0) continue;
      lldb::SBFrame next = th.GetFrameAtIndex(i + 1);
      if (next.IsValid() && next.GetFunctionName() != nullptr &&
          std::string(next.GetFunctionName()).rfind("runtime.cgocall", 0) == 0)
        continue;  // spliced: the thread's frames go on into Go
      break;
    }
    if (!g.in_c || last.rfind("runtime.asmcgocall", 0) != 0) return out;
  }
  // The goroutine's runtime is the module holding its saved pc.
  const cgounwind::GoModule* mod = c.mods.for_pc(g.regs.pc - 1);
  if (mod == nullptr) mod = &c.mods.all().front();
  auto stack = cgounwind::walk_goroutine(*mod, mem, g.addr, g.regs, cgounwind::kMaxClaimedFrames);
  for (const auto& f : stack.frames) {
    out += cgounwind::backtrace_line(BtStyle::Lldb, n++, f.pc, f.func, f.file, f.line) + "\n";
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
    auto table = cgounwind::read_all_goroutines(c.mods, mem.mem());
    std::string out, warning;
    if (!table.error.empty()) warning += "cgounwind: " + table.error + "\n";
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

lldb::SBListener& module_listener() {
  static lldb::SBListener listener("cgounwind.modules");
  return listener;
}

// Targets created before the plugin loaded (`lldb FILE`) are not reached by the class-wide
// registration below: each is added on its own.
void watch_target(const lldb::SBTarget& t) {
  static std::vector<lldb::SBTarget> done;
  if (!t.IsValid() || std::find(done.begin(), done.end(), t) != done.end()) return;
  done.push_back(t);
  t.GetBroadcaster().AddListener(module_listener(), lldb::SBTarget::eBroadcastBitModulesLoaded);
}

void watch_module_loads(lldb::SBDebugger dbg) {
  static bool started = false;
  if (started) return;
  started = true;
  lldb::SBListener listener = module_listener();
  listener.StartListeningForEventClass(dbg, lldb::SBTarget::GetBroadcasterClassName(),
                                       lldb::SBTarget::eBroadcastBitModulesLoaded);
  for (uint32_t i = 0; i < dbg.GetNumTargets(); ++i) watch_target(dbg.GetTargetAtIndex(i));
  std::thread([listener]() mutable {
    std::map<std::string, bool> is_go;  // this thread's own cache
    lldb::SBEvent ev;
    for (;;) {
      if (!listener.WaitForEvent(UINT32_MAX, ev) || !ev.IsValid()) continue;
      try {
        lldb::SBTarget t = lldb::SBTarget::GetTargetFromEvent(ev);
        if (!t.IsValid()) continue;
        // SIGURG first: the Go runtime that just loaded preempts with it at once. The notice
        // about unsupported files (more file reads) comes after.
        uint32_t n = lldb::SBTarget::GetNumModulesFromEvent(ev);
        for (uint32_t i = 0; t.GetProcess().IsValid() && i < n; ++i) {
          std::string path = module_path(lldb::SBTarget::GetModuleAtIndexFromEvent(i, ev));
          if (path.empty()) continue;
          auto known = is_go.find(path);
          if (known == is_go.end())
            known = is_go.emplace(path, cgounwind::looks_like_supported_go(path)).first;
          if (known->second) {
            make_sigurg_silent(t.GetProcess());
            break;
          }
        }
        say_unsupported(t, ev);
      } catch (const std::exception&) {  // nothing may escape into LLDB
      }
    }
  }).detach();
}

}  // namespace

namespace lldb {
__attribute__((used)) bool PluginInitialize(lldb::SBDebugger dbg) {
  lldb::SBCommandInterpreter ci = dbg.GetCommandInterpreter();
  add_formatters(dbg);
  lldb::SBCommand cgo = ci.AddMultiwordCommand("cgo", "cgounwind: Go + C debugging");
  cgo.AddCommand("configure", new ConfigureCmd,
                 "Configure the selected target if it is a Go program (done automatically).");
  cgo.AddCommand("threads", new ThreadsCmd,
                 "cgo threads [on|running|off|max N]: goroutines as threads. on: every "
                 "goroutine (lldb-dap's default; at most 1024 listed, max 0: all); running: each "
                 "goroutine on an OS thread is a thread that follows it, so that next/finish "
                 "stay on it; off: LLDB's own threads (the command line's default). Applied at "
                 "once.");
  lldb::SBCommand go = ci.AddMultiwordCommand("go", "Go values (cgounwind)");
  go.AddCommand("print", new GoPrintCmd,
                "go print EXPR: a Go variable of the selected frame; EXPR is NAME followed by "
                ".field, [index] and prefixed by * (pointers are followed for .field).");
  lldb::SBCommand goroutine = ci.AddMultiwordCommand("goroutine", "Go goroutines (cgounwind)");
  goroutine.AddCommand(
      "list", new GoroutineListCmd,
      "List goroutines: id, status, thread, whether inside C, location. Options as Delve's "
      "goroutines (GDB's info goroutines takes the same): -u/-r/-s Location column: user code, "
      "where it is now (default), start function; -g a 'created by' line (its go statement) and "
      "-l its pprof labels under each goroutine; -with/-without KIND ARG keep the goroutines "
      "that match / do not: curloc|userloc|goloc|startloc EXPR (part of the location text), "
      "label KEY[=VALUE], status EXPR, running (on a thread), user (not the runtime's); -group "
      "KIND [KEY] counts per value, largest first, with a few goroutine ids each. Quote an EXPR "
      "that has blanks.",
      "goroutine list [-u|-r|-s] [-g] [-l] [-with|-without KIND [ARG]]... [-group KIND [KEY]]");
  goroutine.AddCommand("bt", new GoroutineBtCmd,
                       "goroutine bt ID|all: backtrace of goroutine ID (or of every goroutine); "
                       "its C frames first when it is inside C.");
  // A stop-hook runs `cgo configure -q` at each target's stops (the first one comes before any
  // breakpoint: launch, attach and core-file load all stop once). On the dummy target it is
  // copied into every target created later, as lldb-dap creates its own after initCommands;
  // `lldb FILE` has created its target before the plugin loads, so existing targets get it too.
  // Before LLDB 21 stop-hooks run only at reported stops, the first of which, for a Go program,
  // is SIGURG: there the Python hook cgounwind_lldb.StopHook configures and resumes.
  lldb::SBCommandReturnObject r;
  ci.HandleCommand("help target stop-hook add", r);
  const bool initial_stop =
      r.GetOutput() != nullptr &&
      std::string(r.GetOutput()).find("--at-initial-stop") != std::string::npos;
  // The Python hook also resumes a stop that was only for SIGURG: a Go library that a C host
  // loads can preempt before the module-load listener has made SIGURG silent (seen under load).
  std::string hook = "target stop-hook add -o \"cgo configure -q\"";
  if (import_shim(dbg)) {
    hook = initial_stop ? "target stop-hook add -P cgounwind_lldb.StopHook --at-initial-stop true"
                        : "target stop-hook add -P cgounwind_lldb.StopHook";
  }
  watch_module_loads(dbg);
  for (uint32_t i = 0; i < dbg.GetNumTargets(); ++i) {
    lldb::SBTarget t = dbg.GetTargetAtIndex(i);
    configure(t, true, r);
    lldb::SBExecutionContext ctx(t);
    ci.HandleCommand(hook.c_str(), ctx, r);
  }
  // SBDebugger::GetDummyTarget is public in LLDB 22 (and exported, as a private member, by older
  // ones): looked up at run time, so that the same .so loads into LLDB 19. Only LLDB >= 20 adds
  // a stop-hook to the execution context's target; LLDB 19 adds it to the selected one.
  using DummyTargetFn = lldb::SBTarget (*)(lldb::SBDebugger*);
  auto dummy_target = reinterpret_cast<DummyTargetFn>(
      dlsym(RTLD_DEFAULT, "_ZN4lldb10SBDebugger14GetDummyTargetEv"));
  if (dummy_target != nullptr && initial_stop) {
    lldb::SBExecutionContext dummy(dummy_target(&dbg));
    ci.HandleCommand(hook.c_str(), dummy, r);
  } else if (dbg.GetNumTargets() == 0) {
    ci.HandleCommand(hook.c_str(), r);  // with no target, commands go to the dummy target
  }
  return true;
}
}  // namespace lldb
