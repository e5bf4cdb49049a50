#include "cgounwind/goroutine_threads.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <unordered_map>

namespace cgounwind {
namespace {

// Frames searched for the user's function when naming a goroutine thread.
constexpr int kNameFrames = 16;

// Delve's thread name: "[Go ID] FUNCTION", FUNCTION the innermost frame of user code, then (ours)
// why the goroutine is not running, as `info goroutines` says it.
std::string thread_name(const GoModule& mod, Memory& mem, const Goroutine& g) {
  std::string func = g.func;
  GoStack s = walk_goroutine(mod, mem, g.addr, g.regs, kNameFrames);
  for (const GoFrame& f : s.frames) {
    if (!is_runtime_function(f.func)) {
      func = f.func;
      break;
    }
  }
  if (func.empty()) func = fmt::format("{:#x}", g.regs.pc);
  std::string why = g.wait_reason.empty() ? g.status_name : g.wait_reason;
  return fmt::format("[Go {}] {} ({})", g.goid, func, why);
}

}  // namespace

uint64_t goroutine_tid(size_t module_index, uint64_t goid) {
  return kGoroutineTidBase + module_index * kGoroutineTidModuleStride +
         (goid & (kGoroutineTidModuleStride - 1));
}

std::optional<std::pair<size_t, uint64_t>> goroutine_of_tid(uint64_t tid) {
  if (tid < kGoroutineTidBase) return std::nullopt;
  uint64_t rel = tid - kGoroutineTidBase;
  size_t module = static_cast<size_t>(rel / kGoroutineTidModuleStride);
  if (module >= 64) return std::nullopt;
  return std::make_pair(module, rel % kGoroutineTidModuleStride);
}

bool is_runtime_function(const std::string& func) {
  // The runtime, its internal packages and cgo's generated glue (_cgo_…, _Cfunc_…, _cgoexp_…),
  // which sit between user code and the runtime on every cgo call.
  for (const char* prefix : {"runtime.", "runtime/", "internal/", "_cgo", "crosscall"}) {
    if (func.rfind(prefix, 0) == 0) return true;
  }
  return func.find("._Cfunc_") != std::string::npos ||
         func.find("._cgoexp_") != std::string::npos || func.find("._Cgo_ptr") != std::string::npos;
}

GoroutineThreadList goroutine_threads(const GoModules& mods, Memory& mem, size_t max,
                                      const std::vector<uint64_t>& keep) {
  GoroutineThreadList out;
  for (size_t mi = 0; mi < mods.all().size(); ++mi) {
    const GoModule& mod = mods.all()[mi];
    GoroutineTable t = read_goroutines(mod, mem);
    if (!t.error.empty()) out.error = t.error;
    for (const Goroutine& g : t.goroutines) {
      // On a thread (running Go or inside C): that thread is the goroutine already.
      if (g.m != 0 && g.lwp != 0) continue;
      uint64_t tid = goroutine_tid(mi, g.goid);
      bool kept = std::find(keep.begin(), keep.end(), tid) != keep.end();
      if (max != 0 && out.threads.size() >= max && !kept) {
        ++out.left_out;
        continue;
      }
      GoroutineThread th;
      th.tid = tid;
      th.goid = g.goid;
      th.g = g.addr;
      th.regs = g.regs;
      try {
        th.name = thread_name(mod, mem, g);
      } catch (const std::exception&) {
        th.name = fmt::format("[Go {}] {}", g.goid, g.func);
      }
      out.threads.push_back(std::move(th));
    }
  }
  return out;
}

namespace {

// The name of a running goroutine's thread: LLDB keeps the name a thread id had when it first
// listed it, so it says what does not change while the goroutine lives (the function it started
// in) rather than where it is or why it waits.
std::string running_name(const GoModule& mod, Memory& mem, uint64_t g, uint64_t goid) {
  const auto& L = mod.layout();
  auto startpc = L.g_startpc >= 0 ? mem.u64(g + L.g_startpc) : std::nullopt;
  std::string func = startpc ? mod.func_name(*startpc) : "";
  return func.empty() ? fmt::format("[Go {}]", goid) : fmt::format("[Go {}] {}", goid, func);
}

}  // namespace

std::vector<RunningGoroutine> running_goroutines(const GoModules& mods, Memory& mem,
                                                 const std::vector<uint64_t>& lwps) {
  std::vector<RunningGoroutine> out;
  std::unordered_map<uint64_t, RunningGoroutine> by_lwp;
  for (size_t mi = 0; mi < mods.all().size(); ++mi) {
    const GoModule& mod = mods.all()[mi];
    const auto& L = mod.layout();
    auto allm = mod.data_symbol("runtime.allm");
    if (!L.complete() || !allm) continue;
    auto m = mem.u64(*allm);
    // Bounded like the unwinder's walk of allm (a garbage list ends at the first unreadable M).
    for (int n = 0; m && *m != 0 && n < 100000; ++n, m = mem.u64(*m + L.m_alllink)) {
      auto procid = mem.u64(*m + L.m_procid), curg = mem.u64(*m + L.m_curg);
      if (!procid) break;
      // A thread with two Ms (runtime.badsignal's second extra M, curg 0): the one with a curg.
      // An M whose curg cannot be read runs no goroutine we could name: the next M.
      if (!curg || *procid == 0 || *curg == 0 || by_lwp.count(*procid)) continue;
      auto goid = mem.u64(*curg + L.g_goid);
      if (!goid) continue;
      RunningGoroutine r{goroutine_tid(mi, *goid), *goid, *curg, *procid, ""};
      r.name = running_name(mod, mem, *curg, *goid);
      by_lwp.emplace(*procid, std::move(r));
    }
  }
  for (uint64_t lwp : lwps) {
    if (auto it = by_lwp.find(lwp); it != by_lwp.end()) out.push_back(it->second);
  }
  return out;
}

ThreadStack goroutine_thread_stack(const GoModules& mods, Memory& mem, uint64_t g,
                                   const Regs& start, const std::vector<NativeFrame>& native,
                                   int max_frames) {
  ThreadStack out;
  const GoModule* mod = mods.for_pc(start.pc - 1);
  if (mod == nullptr) {
    out.error = fmt::format("goroutine resumes at {:#x}, in no Go module", start.pc);
    return out;
  }
  GoStack s = walk_goroutine(*mod, mem, g, start, max_frames);
  int from = 0;
  for (const GoFrame& f : s.frames) {
    ThreadFrame tf;
    tf.pc = f.pc;
    tf.sp = f.sp;
    tf.cfa = f.cfa;
    tf.innermost = f.innermost;
    tf.native = native_index(native, f.pc, f.sp, from);
    if (tf.native >= 0) from = tf.native + 1;
    tf.rule = "goroutine";
    out.frames.push_back(tf);
  }
  out.error = s.error;
  return out;
}

}  // namespace cgounwind
