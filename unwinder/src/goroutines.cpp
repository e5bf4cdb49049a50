#include "cgounwind/goroutines.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace cgounwind {
namespace {

std::string status_name(const RuntimeLayout& L, uint32_t st) {
  for (const auto& [name, v] : L.constants)
    if (name.rfind("_G", 0) == 0 && name.rfind("_Gscan", 0) != 0 && v == static_cast<int64_t>(st))
      return name.substr(2);  // "_Grunning" → "running"
  return fmt::format("status {}", st);
}

uint64_t field(const std::vector<uint8_t>& g, int64_t off, size_t size = 8) {
  uint64_t v = 0;
  if (off >= 0 && static_cast<size_t>(off) + size <= g.size())
    std::memcpy(&v, g.data() + off, size);
  return v;
}

std::string read_go_string(Memory& mem, uint64_t hdr, size_t max_len = 256) {
  auto p = mem.u64(hdr), n = mem.u64(hdr + 8);
  if (!p || !n || *n == 0 || *n > max_len) return {};
  std::string s(*n, '\0');
  if (!mem.read(*p, s.data(), s.size())) return {};
  return s;
}

}  // namespace

GoroutineTable read_goroutines(const GoModule& bin, Memory& mem, size_t limit) {
  GoroutineTable t;
  const auto& L = bin.layout();
  auto allgs = bin.data_symbol("runtime.allgs");
  if (!allgs) {
    t.error = "runtime.allgs not found (binary stripped of its symbol table?)";
    return t;
  }
  if (!L.complete()) {
    t.error = "runtime layout unknown: " + L.missing();
    return t;
  }
  auto ptr = mem.u64(*allgs), len = mem.u64(*allgs + 8), cap = mem.u64(*allgs + 16);
  if (!ptr || !len || !cap) {
    t.error = "cannot read runtime.allgs";
    return t;
  }
  if (*len > *cap || *len > 50'000'000) {
    t.error = fmt::format("runtime.allgs length {} (capacity {}) is implausible", *len, *cap);
    return t;
  }
  uint64_t n = std::min<uint64_t>(*len, limit);
  t.truncated = n < *len;
  // In chunks, so a bad pointer fails after one chunk instead of a huge allocation and read.
  constexpr uint64_t kChunk = 65536;
  std::vector<uint64_t> gs;
  for (uint64_t i = 0; i < n; i += kChunk) {
    uint64_t k = std::min(kChunk, n - i);
    size_t at = gs.size();
    gs.resize(at + k);
    if (!mem.read_uncached(*ptr + i * 8, gs.data() + at, k * 8) &&
        !mem.read(*ptr + i * 8, gs.data() + at, k * 8)) {
      gs.resize(at);
      t.error = fmt::format("cannot read the allgs array at entry {}", i);
      t.truncated = true;
      break;
    }
  }
  int64_t gsize = 0;
  for (int64_t off : {L.g_stack_hi, L.g_m, L.g_sched + L.gobuf_bp, L.g_syscallsp, L.g_syscallpc,
                      L.g_atomicstatus, L.g_goid, L.g_waitreason, L.g_startpc, L.g_gopc})
    gsize = std::max(gsize, off + 8);
  auto wr_strings = bin.data_symbol("runtime.waitReasonStrings");
  // _Gdeadextra (Go 1.26): a dead goroutine kept for a C thread's extra M; Go's own
  // tracebacks leave it out too.
  const int64_t deadextra = L.constant("_Gdeadextra", -1);
  const int64_t dead = L.constant("_Gdead", 6), syscall = L.constant("_Gsyscall", 3),
                waiting = L.constant("_Gwaiting", 4);
  // The g structs in a few large reads rather than one per page (or per field).
  std::vector<bool> read_ok;
  const std::vector<uint8_t> all = read_many(mem, gs, static_cast<size_t>(gsize), read_ok);
  std::vector<uint8_t> buf(gsize);
  // Most goroutines wait at the same few pcs: look each up once.
  std::unordered_map<uint64_t, std::tuple<std::string, std::string, int>> where;
  for (size_t i = 0; i < gs.size(); ++i) {
    uint64_t gp = gs[i];
    if (gp == 0) continue;
    if (!read_ok[i]) {
      t.error = fmt::format("unreadable g at {:#x}", gp);
      continue;
    }
    std::memcpy(buf.data(), all.data() + i * buf.size(), buf.size());
    Goroutine g;
    g.addr = gp;
    g.status = static_cast<uint32_t>(field(buf, L.g_atomicstatus, 4)) & ~0x1000u;
    if (g.status == dead || g.status == deadextra) continue;
    g.goid = field(buf, L.g_goid);
    g.status_name = status_name(L, g.status);
    // For the listing's options (goroutine_query.h): read now, resolved only when asked for.
    g.startpc = field(buf, L.g_startpc);
    g.gopc = field(buf, L.g_gopc);
    g.stack_lo = field(buf, L.g_stack_lo);
    g.stack_hi = field(buf, L.g_stack_hi);
    g.m = field(buf, L.g_m);
    if (g.m) g.lwp = mem.u64(g.m + L.m_procid).value_or(0);
    uint64_t base = L.g_sched;
    g.regs =
        Regs{field(buf, base + L.gobuf_pc), field(buf, base + L.gobuf_sp),
             field(buf, base + L.gobuf_bp), L.gobuf_lr >= 0 ? field(buf, base + L.gobuf_lr) : 0};
    if (g.status == syscall) {
      g.regs.lr = 0;
      uint64_t spc = field(buf, L.g_syscallpc);
      g.in_c = bin.in_func(spc - 1, "runtime.cgocall") || bin.in_func(spc, "runtime.cgocall");
      g.regs.pc = spc;
      g.regs.sp = field(buf, L.g_syscallsp);
    }
    if (g.status == waiting && wr_strings && L.g_waitreason >= 0) {
      uint64_t reason = field(buf, L.g_waitreason, 1);
      if (reason < 256) g.wait_reason = read_go_string(mem, *wr_strings + reason * 16);
    }
    uint64_t lookup = g.regs.pc ? g.regs.pc - 1 : 0;
    auto it = where.find(lookup);
    if (it == where.end()) {
      std::tuple<std::string, std::string, int> w;
      if (auto f = bin.func_for_pc(lookup)) {
        std::get<0>(w) = f->name;
        if (auto fl = bin.file_line(lookup)) std::tie(std::get<1>(w), std::get<2>(w)) = *fl;
      }
      it = where.emplace(lookup, std::move(w)).first;
    }
    std::tie(g.func, g.file, g.line) = it->second;
    t.goroutines.push_back(std::move(g));
  }
  return t;
}

GoroutineTable read_all_goroutines(const GoModules& mods, Memory& mem, size_t limit) {
  if (mods.all().size() == 1) return read_goroutines(mods.all().front(), mem, limit);
  GoroutineTable all;
  for (const GoModule& m : mods.all()) {
    GoroutineTable t = read_goroutines(m, mem, limit);
    std::string name = m.binary().path();
    name = name.substr(name.find_last_of('/') + 1);
    for (Goroutine& g : t.goroutines) {
      g.module = name;
      all.goroutines.push_back(std::move(g));
    }
    if (!t.error.empty())
      all.error += (all.error.empty() ? "" : "; ") + fmt::format("{}: {}", name, t.error);
    all.truncated = all.truncated || t.truncated;
  }
  return all;
}

std::string location_text(const std::string& func, const std::string& file, int line, uint64_t pc) {
  std::string where = func.empty() ? fmt::format("{:#x}", pc) : func;
  if (!file.empty()) where += fmt::format(" at {}:{}", file, line);
  return where;
}

bool stack_is_its_threads(const Goroutine& g) {
  return g.lwp != 0 && (g.in_c || g.status_name == "running");
}

std::string goroutine_header(const Goroutine& g) {
  std::string what = g.status_name;
  if (!g.wait_reason.empty()) what += ", " + g.wait_reason;
  if (!g.module.empty()) what += ", " + g.module;
  return fmt::format("goroutine {} ({}):", g.goid, what);
}

std::string backtrace_line(BtStyle style, int index, uint64_t pc, const std::string& func,
                           const std::string& file, int line) {
  if (style == BtStyle::Lldb)
    return fmt::format("  frame #{}: {:#018x} {}", index, pc, location_text(func, file, line, pc));
  std::string at = file.empty() ? "" : fmt::format(" at {}:{}", file, line);
  return fmt::format("#{:<3}{:#018x} in {} (){}", index, pc, func.empty() ? "??" : func, at);
}

std::string format_goroutine_table(const GoroutineTable& t,
                                   const std::function<std::string(uint64_t)>& thread_label) {
  return format_goroutine_table(t, thread_label, GoroutineTableStyle{});
}

std::string format_goroutine_table(const GoroutineTable& t,
                                   const std::function<std::string(uint64_t)>& thread_label,
                                   const GoroutineTableStyle& style) {
  // By hand rather than with fmt: 100k lines are a tenth of a second through fmt.
  // With several Go runtimes in the process, a Module column says whose goroutine each one is.
  size_t module_width = 0;
  for (const Goroutine& g : t.goroutines) module_width = std::max(module_width, g.module.size());
  if (module_width) module_width = std::max<size_t>(module_width, 6);
  std::string out =
      fmt::format("  {:<8} {:<28} {:<8} {:<5} ", "Id", "Status", "Thread", "In C") +
      (module_width ? fmt::format("{:<{}} ", "Module", module_width) : std::string()) +
      style.location_header + "\n";
  out.reserve(out.size() + t.goroutines.size() * 112);
  auto column = [&out](std::string_view text, size_t width) {
    out.append(text);
    if (text.size() < width) out.append(width - text.size(), ' ');
  };
  std::unordered_map<uint64_t, std::string> labels, places;
  std::string status;
  char id[24];
  for (size_t i = 0; i < t.goroutines.size(); ++i) {
    const Goroutine& g = t.goroutines[i];
    status = g.status_name;
    if (!g.wait_reason.empty()) status.append(" (").append(g.wait_reason).append(")");
    std::string_view thread = "-";
    if (g.lwp != 0) {
      auto it = labels.find(g.lwp);
      if (it == labels.end()) it = labels.emplace(g.lwp, thread_label(g.lwp)).first;
      if (!it->second.empty()) thread = it->second;
    }
    auto place = places.end();
    if (!style.location) {
      place = places.find(g.regs.pc);
      if (place == places.end())
        place = places.emplace(g.regs.pc, location_text(g.func, g.file, g.line, g.regs.pc)).first;
    }
    auto [end, ec] = std::to_chars(id, id + sizeof id, g.goid);
    (void)ec;
    out.append(g.m ? "* " : "  ");
    column(std::string_view(id, static_cast<size_t>(end - id)), 8);
    out += ' ';
    column(status, 28);
    out += ' ';
    column(thread, 8);
    out += ' ';
    column(g.in_c ? "yes" : "no", 5);
    out += ' ';
    if (module_width) {
      column(g.module, module_width);
      out += ' ';
    }
    out.append(style.location ? style.location(i) : place->second).append("\n");
    if (style.details) out.append(style.details(i));
  }
  return out;
}

GoStack walk_goroutine(const GoModule& bin, Memory& mem, uint64_t g, Regs start, int max_frames) {
  GoStack out;
  Unwinder unw(bin, mem);
  WalkState st;
  st.spliced = true;  // every Go frame here is ours to unwind
  st.g = g;
  Regs r = start;
  for (int i = 0; i < max_frames; ++i) {
    // A goroutine that has never run is parked at its start function's first instruction
    // (newproc sets g.sched.pc to the entry, the return address into goexit pushed): that pc is
    // no return address, and its frame is not built yet.
    auto entry = i == 0 ? bin.func_for_pc(r.pc) : std::nullopt;
    const bool at_entry = entry && entry->entry == r.pc;
    uint64_t lookup = at_entry ? r.pc : r.pc - 1;
    GoFrame f;
    f.pc = r.pc;
    f.sp = r.sp;
    f.innermost = at_entry;
    if (auto fn = bin.func_for_pc(lookup)) f.func = fn->name;
    if (auto fl = bin.file_line(lookup)) std::tie(f.file, f.line) = *fl;
    if (f.func.empty()) {
      out.error = fmt::format("pc {:#x} is not Go code", r.pc);
      return out;
    }
    Step s = unw.step(r, st, ThreadInfo{}, at_entry);
    f.cfa = s.cfa;
    // systemstack_switch is a marker the runtime saves in g.sched, not a real caller.
    if (f.func != "runtime.systemstack_switch") out.frames.push_back(f);
    if (s.kind == StepKind::Outermost) return out;
    if (s.kind != StepKind::Caller) {
      out.error = s.error.empty() ? "walk stopped" : s.error;
      return out;
    }
    if (s.caller.sp <= r.sp) {
      out.error = fmt::format("stack does not grow outward at pc {:#x}", r.pc);
      return out;
    }
    r = s.caller;
    st = s.state;
  }
  out.error = fmt::format("stopped after {} frames", max_frames);
  return out;
}

}  // namespace cgounwind
