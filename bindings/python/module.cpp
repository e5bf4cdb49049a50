// pybind11 bindings: the core for GDB's and LLDB's Python layers. No Go knowledge lives in Python;
// nothing thrown here reaches the debugger (readers' exceptions become failed reads).
#include <fmt/format.h>
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <tuple>

#include "cgounwind/arch.h"
#include "cgounwind/cfi.h"
#include "cgounwind/elf.h"
#include "cgounwind/go_binary.h"
#include "cgounwind/go_format.h"
#include "cgounwind/go_values.h"
#include "cgounwind/goroutine_query.h"
#include "cgounwind/goroutine_threads.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/image.h"
#include "cgounwind/page_cache.h"
#include "cgounwind/stepping.h"
#include "cgounwind/thread_walk.h"
#include "cgounwind/unwinder.h"

namespace py = pybind11;
using namespace cgounwind;

namespace {

// Memory backed by a Python callable `read(addr, size) -> bytes | None`, with a page cache.
class PyMemory {
 public:
  explicit PyMemory(py::object reader)
      : reader_(std::move(reader)),
        cache_([this](uint64_t a, void* b, size_t n) { return call(a, b, n); }) {}
  Memory& mem() { return cache_; }
  void clear() { cache_.clear(); }
  size_t reads() const { return cache_.reads(); }

 private:
  bool call(uint64_t addr, void* buf, size_t len) {
    try {
      py::object r = reader_(addr, len);
      if (r.is_none()) return false;
      char* data = nullptr;
      Py_ssize_t size = 0;  // the bytes' own buffer: no copy into a std::string first
      if (!PyBytes_Check(r.ptr()) || PyBytes_AsStringAndSize(r.ptr(), &data, &size) != 0 ||
          static_cast<size_t>(size) != len) {
        PyErr_Clear();
        return false;
      }
      std::memcpy(buf, data, len);
      return true;
    } catch (py::error_already_set&) {
      return false;
    } catch (std::exception&) {
      return false;
    }
  }
  py::object reader_;
  PageCache cache_;
};

class PyWalker {
 public:
  // `modules`: each Go binary of the process with its load bias (0 for a non-PIE executable).
  PyWalker(const std::vector<std::pair<std::shared_ptr<GoBinary>, uint64_t>>& modules,
           py::object reader)
      : mem_(std::move(reader)) {
    for (const auto& [bin, bias] : modules) {
      if (!bin) continue;
      bins_.push_back(bin);
      mods_.add(GoModule(*bin, bias));
    }
  }
  Step step(uint64_t pc, uint64_t sp, uint64_t bp, const WalkState& st, uint64_t lwp,
            bool innermost, uint64_t lr) {
    Step s;
    try {
      s = step_in(mods_, mem_.mem(), Regs{pc, sp, bp, lr}, st, ThreadInfo{lwp}, innermost);
    } catch (std::exception& e) {
      s = Step{};
      s.kind = StepKind::Stop;
      s.error = std::string("internal error: ") + e.what();
      s.state = st;
    }
    if (recording_)
      recording_->steps.push_back(RecordedStep{Regs{pc, sp, bp, lr}, st, lwp, innermost, s});
    return s;
  }
  // True CFA of a Go frame at (pc, sp); pc is a return address unless innermost.
  std::optional<uint64_t> frame_cfa(uint64_t pc, uint64_t sp, bool innermost) {
    uint64_t lookup = innermost ? pc : pc - 1;
    const GoModule* mod = mods_.for_pc(lookup);
    auto delta = mod ? mod->sp_delta(lookup) : std::nullopt;
    if (!delta || *delta < 0) return std::nullopt;
    return sp + static_cast<uint64_t>(mod->arch().go_frame(*delta, true).size);
  }
  // Name of the Go function at `pc` in whichever module holds it ("" outside Go code).
  std::string func_name(uint64_t pc) const {
    const GoModule* mod = mods_.for_pc(pc);
    return mod ? mod->func_name(pc) : std::string();
  }
  bool is_go_pc(uint64_t pc) const {
    const GoModule* mod = mods_.for_pc(pc);
    return mod && mod->is_go_pc(pc);
  }
  // Index (in the constructor's list) of the module whose code holds pc, or -1.
  int module_index(uint64_t pc) const {
    const GoModule* mod = mods_.for_pc(pc);
    return mod ? static_cast<int>(mod - mods_.all().data()) : -1;
  }
  void clear_cache() { mem_.clear(); }
  size_t reads() const { return mem_.reads(); }
  std::optional<uint64_t> m_for_lwp(uint64_t lwp) {
    for (const GoModule& m : mods_.all())
      if (auto found = Unwinder(m, mem_.mem()).m_for_lwp(lwp)) return found;
    return std::nullopt;
  }
  // `info goroutines`' text (and the table's error): `threads` maps an lwp to the debugger's
  // thread number. One call for 100k goroutines: no per-goroutine Python objects.
  std::pair<std::string, std::string> goroutine_listing(const std::map<uint64_t, int>& threads) {
    GoroutineTable t = goroutines();
    std::string text = format_goroutine_table(t, [&](uint64_t lwp) {
      auto it = threads.find(lwp);
      return it == threads.end() ? std::string() : std::to_string(it->second);
    });
    return {text, t.error};
  }
  // `info goroutines ARGS` (goroutine_query.h): (text, warning, error), error a one-line reason
  // why nothing was listed (bad arguments).
  std::tuple<std::string, std::string, std::string> goroutine_query(
      const std::string& args, const std::map<uint64_t, int>& threads) {
    GoroutineListing l = cgounwind::goroutine_listing(mods_, mem_.mem(), args, [&](uint64_t lwp) {
      auto it = threads.find(lwp);
      return it == threads.end() ? std::string() : std::to_string(it->second);
    });
    return {l.text, l.warning, l.error};
  }
  GoroutineTable goroutines() {
    GoroutineTable t;
    try {
      t = read_all_goroutines(mods_, mem_.mem());
    } catch (std::exception& e) {
      t = GoroutineTable{};
      t.error = std::string("internal error: ") + e.what();
    }
    if (recording_) recording_->goroutines = t;
    return t;
  }
  // Memory images for unit tests (cgounwind/image.h): from start_recording on, every page the
  // cache fetches and every step()/goroutines() call is kept; save_image writes them out.
  void start_recording(const std::string& name) {
    recording_ = std::make_unique<MemoryImage>();
    recording_->meta["name"] = name;
    mem_.clear();  // so that every page the walk needs is fetched (and recorded) again
    cache().set_recording(true);
  }
  void stop_recording() {
    recording_.reset();
    cache().set_recording(false);
  }
  bool recording() const { return recording_ != nullptr; }
  // Writes the image; "" on success, else why not. Recording goes on.
  std::string save_image(const std::string& path) {
    if (!recording_) return "not recording (call start_recording first)";
    try {
      MemoryImage img = *recording_;
      for (const auto& [addr, bytes] : cache().recorded())
        img.add(addr, bytes.data(), bytes.size());
      if (bins_.empty()) return "no Go module";
      const GoBinary& bin = *bins_.front();
      const ElfFile& elf = bin.elf();
      img.meta["go_version"] = bin.go_version();
      img.meta["binary_fnv64"] = fnv64_hex(elf.bytes().data(), elf.bytes().size());
      img.meta["binary_fingerprint"] = binary_fingerprint(elf, bin.pcln());
      img.meta["bias"] = fmt::format("{:#x}", mods_.all().front().bias());
      std::string err;
      return img.save(path, &err) ? std::string() : err;
    } catch (std::exception& e) {
      return std::string("internal error: ") + e.what();
    }
  }
  // The whole stack of a thread, for debuggers that cannot unwind from given registers.
  // `regs`: DWARF register number -> value for the stopped frame; `native`: (pc, sp, fp) of the
  // debugger's own frames, innermost first.
  ThreadStack walk_thread(const CodeModules& mods, const std::map<int, uint64_t>& regs,
                          const std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>& native,
                          uint64_t lwp, int max_frames, bool innermost) {
    try {
      CRegs c;
      for (const auto& [n, v] : regs) {
        if (n >= 0 && n < kCfiRegs) c.set(n, v);
      }
      std::vector<NativeFrame> nf;
      nf.reserve(native.size());
      for (const auto& [pc, sp, fp] : native) nf.push_back(NativeFrame{pc, sp, fp});
      return cgounwind::walk_thread(mods_, mods, mem_.mem(), c, nf, lwp, max_frames, innermost);
    } catch (std::exception& e) {
      ThreadStack s;
      s.error = std::string("internal error: ") + e.what();
      return s;
    }
  }
  GoroutineThreadList goroutine_threads(size_t max, const std::vector<uint64_t>& keep) {
    try {
      return cgounwind::goroutine_threads(mods_, mem_.mem(), max, keep);
    } catch (std::exception& e) {
      GoroutineThreadList l;
      l.error = std::string("internal error: ") + e.what();
      return l;
    }
  }
  std::vector<RunningGoroutine> running_goroutines(const std::vector<uint64_t>& lwps) {
    try {
      return cgounwind::running_goroutines(mods_, mem_.mem(), lwps);
    } catch (std::exception&) {
      return {};  // the OS threads stay as they are
    }
  }
  ThreadStack goroutine_thread_stack(
      uint64_t g, uint64_t pc, uint64_t sp, uint64_t bp, uint64_t lr,
      const std::vector<std::tuple<uint64_t, uint64_t, uint64_t>>& native, int max_frames) {
    try {
      std::vector<NativeFrame> nf;
      nf.reserve(native.size());
      for (const auto& [npc, nsp, nfp] : native) nf.push_back(NativeFrame{npc, nsp, nfp});
      return cgounwind::goroutine_thread_stack(mods_, mem_.mem(), g, Regs{pc, sp, bp, lr}, nf,
                                               max_frames);
    } catch (std::exception& e) {
      ThreadStack s;
      s.error = std::string("internal error: ") + e.what();
      return s;
    }
  }
  GoStack goroutine_stack(uint64_t g, uint64_t pc, uint64_t sp, uint64_t bp, int max_frames,
                          uint64_t lr) {
    try {
      // The goroutine's runtime is the module holding its saved pc.
      const GoModule* mod = mods_.for_pc(pc - 1);
      if (mod == nullptr) mod = mods_.for_pc(pc);
      if (mod == nullptr) {
        GoStack s;
        s.error = fmt::format("pc {:#x} is in no Go module", pc);
        return s;
      }
      return walk_goroutine(*mod, mem_.mem(), g, Regs{pc, sp, bp, lr}, max_frames);
    } catch (std::exception& e) {
      GoStack s;
      s.error = std::string("internal error: ") + e.what();
      return s;
    }
  }

  // Stepping across the cgo boundary (stepping.h): the role of a function, and what to do
  // after the debugger's own step ended in `stack` ([(function, pc, sp)], frame 0 first).
  std::string cgo_role(const std::string& name) { return step_role_name(role_of(name)); }
  py::dict plan_after_step(const std::string& gesture,
                           const std::vector<std::tuple<std::string, uint64_t, uint64_t>>& stack) {
    std::vector<StepFrame> frames;
    frames.reserve(stack.size());
    for (const auto& [fn, pc, sp] : stack) frames.push_back(StepFrame{fn, pc, sp});
    const StepGesture g = gesture == "in"    ? StepGesture::In
                          : gesture == "out" ? StepGesture::Out
                                             : StepGesture::Over;
    // The module whose glue frame 0 is; else the first (a step into a signal handler needs no
    // names, and with user code at frame 0 the plan is done).
    const CgoNames* chosen = names().empty() ? nullptr : &names().front();
    for (const CgoNames& n : names()) {
      if (n.role(frames.empty() ? "" : frames[0].function) == StepRole::User) continue;
      chosen = &n;
      break;
    }
    StepPlan p;
    if (chosen != nullptr) p = cgounwind::plan_after_step(*chosen, g, frames);
    py::dict d;
    d["action"] = p.action == StepPlan::Action::Done            ? "done"
                  : p.action == StepPlan::Action::RunToFunction ? "function"
                                                                : "frame";
    d["function"] = p.function;
    d["frame"] = p.frame;
    d["pc"] = p.pc;
    d["sp"] = p.sp;
    d["finish_line"] = p.finish_line;
    d["why"] = p.why;
    return d;
  }
  // (goid, depth) of the goroutine thread `lwp` runs, or of the g register's goroutine.
  std::optional<std::pair<uint64_t, uint64_t>> goroutine_pos(uint64_t lwp, uint64_t sp) {
    auto p = goroutine_pos_of_thread(mods_, mem_.mem(), lwp, sp);
    return p ? std::optional(std::make_pair(p->goid, p->depth)) : std::nullopt;
  }
  std::optional<std::pair<uint64_t, uint64_t>> goroutine_pos_of_g(uint64_t g, uint64_t sp) {
    auto p = cgounwind::goroutine_pos_of_g(mods_, mem_.mem(), g, sp);
    return p ? std::optional(std::make_pair(p->goid, p->depth)) : std::nullopt;
  }
  std::optional<uint64_t> goid_of_thread(uint64_t lwp) {
    return cgounwind::goid_of_thread(mods_, mem_.mem(), lwp);
  }
  std::vector<uint64_t> line_change_pcs(uint64_t pc) {
    return cgounwind::line_change_pcs(mods_, pc);
  }

 private:
  // PyMemory's Memory is its PageCache.
  PageCache& cache() { return static_cast<PageCache&>(mem_.mem()); }
  const std::vector<CgoNames>& names() {
    if (names_.empty()) {
      for (const auto& b : bins_) names_.emplace_back(*b);
    }
    return names_;
  }
  StepRole role_of(const std::string& name) {
    for (const CgoNames& n : names()) {
      if (StepRole r = n.role(name); r != StepRole::User) return r;
    }
    return StepRole::User;
  }
  std::vector<CgoNames> names_;  // one per module, built on first use

  std::vector<std::shared_ptr<GoBinary>> bins_;  // keep the modules' binaries alive
  GoModules mods_;
  PyMemory mem_;
  std::unique_ptr<MemoryImage> recording_;  // non-null while recording
};

// One Go variable of a frame, ready for a debugger that shows C types: where it lives (an
// address, for live values) or its bytes, and its C mirror type's index in the holder.
struct FrameVar {
  std::string name;
  bool is_arg = false;
  uint64_t type = 0;
  std::string go_type;
  uint64_t size = 0;  // of the Go type
  std::optional<uint64_t> address;
  std::optional<py::bytes> data;
  std::string error;  // why the value is not available
};

// Go values of frames (GoDwarf) and their C mirrors (CMirror), for one debugger target.
class PyGoValues {
 public:
  // The binary is the one load_binary already read: its DWARF is opened here, its symbols reused.
  // `bias`: the module's load bias; frames' pcs and runtime type addresses are run-time ones.
  PyGoValues(const std::shared_ptr<GoBinary>& bin, uint64_t bias) : bias_(bias) {
    try {
      dwarf_ = GoDwarf::shared(bin->path(), &error_);
      // runtime.types: where interfaces' dynamic type descriptors are.
      if (auto base = GoModule(*bin, bias).data_symbol("runtime.types")) types_base_ = *base;
    } catch (std::exception& e) {
      error_ = std::string("internal error: ") + e.what();
    }
    if (dwarf_) mirror_ = std::make_unique<CMirror>(*dwarf_);
  }
  // Whether the core formats values of the Go type with this name for debuggers (format_at):
  // interfaces, channels and maps, which GDB's Go support and runtime-gdb.py print raw or not at
  // all, and cgo structs (C unions that Go sees as bytes) and C strings.
  bool has_formatter(const std::string& go_name) {
    if (!dwarf_) return false;
    auto id = dwarf_->type_by_name(go_name);
    const GoType* t = id ? dwarf_->type(*id) : nullptr;
    if (t == nullptr) return false;
    if (t->kind == GoKind::Struct)  // cgo structs, decoded through C
      return dwarf_->c_type_id_for(*id).has_value();
    if (t->kind == GoKind::Pointer) {  // *C.char: `(*C.char)(0x…) "text"`
      const GoType* e = dwarf_->type(t->elem);
      return e != nullptr && is_c_char(*e);
    }
    return t->kind == GoKind::Interface || t->kind == GoKind::Chan || t->kind == GoKind::Map;
  }
  // For cgo's copy of a C struct or union (`main._Ctype_struct___0`): the C type's name as a C
  // debugger spells it ("Animal", "struct point"); "" otherwise.
  std::string c_type_name(const std::string& go_name) {
    if (!dwarf_) return {};
    auto id = dwarf_->type_by_name(go_name);
    return id ? dwarf_->c_type_for(*id).value_or("") : "";
  }
  // The Go value of type `go_name` at `addr`, as Go-syntax text (None: unknown type).
  std::optional<std::string> format_at(const std::string& go_name, uint64_t addr,
                                       const py::object& reader, size_t max_elements) {
    if (!dwarf_) return std::nullopt;
    try {
      auto id = dwarf_->type_by_name(go_name);
      if (!id) return std::nullopt;
      PyMemory mem(reader);
      GoFormatter f{*dwarf_, mem.mem(), types_base_};
      f.max_elements = std::min<size_t>(max_elements, 100000);
      return f.format_at(*id, addr);
    } catch (std::exception& e) {
      return std::string("<internal error: ") + e.what() + ">";
    }
  }
  // The children (map entries, queued channel elements, an interface's dynamic value) of the Go
  // value whose C mirror type is `mirror_type` (its name carries the Go type id) and whose bytes
  // are `data`, at most `max_elements` of them.
  std::vector<FrameVar> children(std::string mirror_type, const py::bytes& data,
                                 const py::object& reader, size_t max_elements) {
    std::vector<FrameVar> out;
    if (!dwarf_) return out;
    try {
      if (mirror_type.rfind("struct ", 0) == 0) mirror_type.erase(0, 7);
      uint64_t id = type_id_from_mirror(mirror_type);
      if (id == 0) id = dwarf_->type_by_name(mirror_type).value_or(0);  // a C view's Go name
      if (id == 0) return out;
      std::string raw = data;
      std::vector<uint8_t> bytes(raw.begin(), raw.end());
      PyMemory mem(reader);
      GoFormatter f{*dwarf_, mem.mem(), types_base_};
      f.max_elements = std::min<size_t>(max_elements, 100000);
      for (GoChild& c : f.children(id, bytes)) {
        FrameVar v;
        v.name = c.name;
        v.type = c.type;
        v.address = c.address;
        if (!c.address)
          v.data = py::bytes(reinterpret_cast<const char*>(c.data.data()), c.data.size());
        if (const GoType* t = dwarf_->type(c.type)) {
          v.go_type = t->name;
          v.size = t->size;
        }
        out.push_back(std::move(v));
      }
    } catch (std::exception& e) {
      out.clear();
    }
    return out;
  }
  const std::string& error() const { return error_; }
  bool ok() const { return dwarf_ != nullptr; }

  // Variables of the Go frame at `pc` whose CFA is `cfa`; `regs` (DWARF number -> value) only
  // for the innermost frame. `reader(addr, size) -> bytes | None`.
  std::vector<FrameVar> frame(uint64_t pc, bool innermost, uint64_t cfa,
                              const std::map<int, uint64_t>& regs, const py::object& reader,
                              bool results) {
    std::vector<FrameVar> out;
    if (!dwarf_) return out;
    try {
      PyMemory mem(reader);
      uint64_t link_pc = (innermost ? pc : pc - 1) - bias_;  // DWARF speaks link-time addresses
      for (const GoVariable& v : dwarf_->variables(link_pc, results)) {
        FrameVar f;
        f.name = v.name;
        f.is_arg = v.is_arg;
        f.type = v.type;
        const GoType* t = dwarf_->type(v.type);
        f.go_type = t ? t->name : "?";
        f.size = t ? t->size : 0;
        VarLocation loc = locate(v.expr, cfa, regs);
        if (v.expr.empty()) {
          f.error = "optimized out";
        } else if (loc.error.empty() && loc.pieces.size() == 1 &&
                   loc.pieces[0].kind == VarPiece::Memory && loc.pieces[0].size == 0) {
          f.address = loc.pieces[0].where;
        } else if (t != nullptr) {
          std::string why;
          auto bytes = read_variable(loc, t->size, mem.mem(), regs, &why);
          if (bytes) {
            f.data = py::bytes(reinterpret_cast<const char*>(bytes->data()), bytes->size());
          } else {
            f.error = why;
          }
        }
        out.push_back(std::move(f));
      }
    } catch (std::exception& e) {
      FrameVar f;
      f.error = std::string("internal error: ") + e.what();
      out.push_back(std::move(f));
    }
    return out;
  }
  // After the debugger rejected a holder expression: forget every declaration, use new names.
  void reset_mirror() {
    if (dwarf_) mirror_ = std::make_unique<CMirror>(*dwarf_, ++generation_);
  }
  // The C type a cgo struct/union type (by its Go name) stands for, or None.
  std::optional<std::string> c_type_for_name(const std::string& go_name) {
    if (!dwarf_) return std::nullopt;
    try {
      auto id = dwarf_->type_by_name(go_name);
      return id ? dwarf_->c_type_for(*id) : std::nullopt;
    } catch (std::exception&) {
      return std::nullopt;
    }
  }
  std::string holder_expression(const std::vector<uint64_t>& ids) {
    if (!mirror_) return {};
    try {
      return mirror_->holder_expression(ids);
    } catch (std::exception&) {
      return {};
    }
  }

 private:
  std::shared_ptr<const GoDwarf> dwarf_;  // GoDwarf::shared: the plugin's too, in LLDB
  std::unique_ptr<CMirror> mirror_;
  std::string error_;
  int generation_ = 0;
  uint64_t bias_ = 0;
  uint64_t types_base_ = 0;
};

py::tuple load_binary(const std::string& path) {
  std::string err;
  std::shared_ptr<GoBinary> b = GoBinary::shared(path, &err);
  if (!b) return py::make_tuple(py::none(), err);
  return py::make_tuple(b, "");
}

}  // namespace

PYBIND11_MODULE(_cgounwind, m) {
  m.doc() = "cgounwind core: Go/C stack splicing";
  py::class_<GoBinary, std::shared_ptr<GoBinary>>(m, "Binary")
      .def_property_readonly("path", &GoBinary::path)
      .def_property_readonly("go_version", &GoBinary::go_version)
      .def_property_readonly("has_dwarf", &GoBinary::has_dwarf)
      .def_property_readonly(
          "arch", [](const GoBinary& b) { return &b.arch(); }, py::return_value_policy::reference,
          "The architecture's register names and numbers (chosen from the ELF e_machine)")
      .def("describe", &GoBinary::describe)
      .def("layout_complete", [](const GoBinary& b) { return b.layout().complete(); })
      .def("layout_missing", [](const GoBinary& b) { return b.layout().missing(); })
      .def("func_name", &GoBinary::func_name)
      .def("func_entry", &GoBinary::func_entry)
      .def("is_go_pc", &GoBinary::is_go_pc)
      .def(
          "section_address",
          [](const GoBinary& b, const std::string& name) -> std::optional<uint64_t> {
            const ElfSection* sec = b.elf().section(name);
            if (sec == nullptr || sec->addr == 0) return std::nullopt;
            return sec->addr;
          },
          py::arg("name"), "Link-time address of a section (to find the load bias)")
      .def("layout_dict", [](const GoBinary& b) {
        const auto& L = b.layout();
        py::dict d;
#define F(x) d[#x] = L.x
        F(g_stack_lo);
        F(g_stack_hi);
        F(g_m);
        F(g_sched);
        F(g_syscallsp);
        F(g_syscallpc);
        F(g_atomicstatus);
        F(g_goid);
        F(g_waitreason);
        F(g_startpc);
        F(g_gopc);
        F(gobuf_sp);
        F(gobuf_pc);
        F(gobuf_bp);
        F(m_g0);
        F(m_curg);
        F(m_procid);
        F(m_gsignal);
        F(m_alllink);
        F(m_id);
        F(g_labels);
#undef F
        d["constants"] = L.constants;
        d["source"] = L.source;
        return d;
      });
  py::class_<Arch, std::unique_ptr<Arch, py::nodelete>>(m, "Arch")
      .def_property_readonly("name", &Arch::name)
      .def_property_readonly("pc", &Arch::pc_name)
      .def_property_readonly("sp", &Arch::sp_name)
      .def_property_readonly("fp", &Arch::fp_name)
      .def_property_readonly("lr", &Arch::lr_name)
      .def_property_readonly("g", &Arch::g_name)
      .def(
          "dwarf_register_numbers",
          [](const Arch& a) {
            py::dict d;
            for (const auto& r : a.dwarf_registers()) d[r.name] = r.dwarf;
            return d;
          },
          "Register name -> DWARF number, for the registers the core's C unwinder uses");
  m.def(
      "mirror_names",
      [] {
        namespace mr = cgounwind::mirror;
        py::dict d;
        d["slice_array"] = mr::kSliceArray;
        d["slice_len"] = mr::kSliceLen;
        d["max_children"] = 256;
        return d;
      },
      "Field names of the C mirror types that adapters read (slices)");
  m.def(
      "interrupts_caller",
      [](const std::string& name) { return Unwinder::interrupts_caller(name); }, py::arg("name"),
      "True for a function (asyncPreempt, sigpanic) whose caller's pc is exact: name it at pc");
  m.def("load_binary", &load_binary, "Load a Go ELF: returns (Binary | None, error)");
  m.def(
      "looks_like_go",
      [](const std::string& path) {
        try {
          return looks_like_go(path);
        } catch (std::exception&) {
          return false;
        }
      },
      py::arg("path"), "Whether the ELF file is a Go module, from its section headers alone");
  m.def(
      "looks_like_supported_go",
      [](const std::string& path) {
        try {
          return looks_like_supported_go(path);
        } catch (std::exception&) {
          return false;
        }
      },
      py::arg("path"), "looks_like_go, and of an architecture the core has rules for");

  py::class_<WalkState>(m, "WalkState")
      .def(py::init<>())
      .def_readwrite("spliced", &WalkState::spliced)
      .def_readwrite("floor", &WalkState::floor)
      .def_readwrite("cgocallbacks", &WalkState::cgocallbacks)
      .def_readwrite("g", &WalkState::g)
      .def_readwrite("steps", &WalkState::steps);
  py::enum_<StepKind>(m, "StepKind")
      .value("NotMine", StepKind::NotMine)
      .value("Caller", StepKind::Caller)
      .value("Outermost", StepKind::Outermost)
      .value("Stop", StepKind::Stop);
  py::class_<Step>(m, "Step")
      .def_readonly("kind", &Step::kind)
      .def_property_readonly("pc", [](const Step& s) { return s.caller.pc; })
      .def_property_readonly("sp", [](const Step& s) { return s.caller.sp; })
      .def_property_readonly("bp", [](const Step& s) { return s.caller.bp; })
      .def_property_readonly("lr", [](const Step& s) { return s.caller.lr; })
      .def_readonly("id_sp", &Step::id_sp)
      .def_readonly("cfa", &Step::cfa)
      .def_readonly("func_entry", &Step::func_entry)
      .def_readonly("rule", &Step::rule)
      .def_readonly("error", &Step::error)
      .def_readonly("state", &Step::state);
  py::class_<PyWalker>(m, "Walker")
      .def(py::init<const std::vector<std::pair<std::shared_ptr<GoBinary>, uint64_t>>&,
                    py::object>(),
           py::arg("modules"), py::arg("reader"))
      .def(py::init([](const std::shared_ptr<GoBinary>& bin, py::object reader) {
             return std::make_unique<PyWalker>(
                 std::vector<std::pair<std::shared_ptr<GoBinary>, uint64_t>>{{bin, 0}},
                 std::move(reader));
           }),
           py::arg("binary"), py::arg("reader"))
      .def("func_name", &PyWalker::func_name, py::arg("pc"))
      .def("is_go_pc", &PyWalker::is_go_pc, py::arg("pc"))
      .def("module_index", &PyWalker::module_index, py::arg("pc"))
      .def("step", &PyWalker::step, py::arg("pc"), py::arg("sp"), py::arg("bp"), py::arg("state"),
           py::arg("lwp"), py::arg("innermost"), py::arg("lr") = 0)
      .def("frame_cfa", &PyWalker::frame_cfa, py::arg("pc"), py::arg("sp"), py::arg("innermost"))
      .def("clear_cache", &PyWalker::clear_cache)
      .def("reads", &PyWalker::reads)
      .def("m_for_lwp", &PyWalker::m_for_lwp)
      .def("goroutines", &PyWalker::goroutines)
      .def("goroutine_listing", &PyWalker::goroutine_listing, py::arg("threads"))
      .def("goroutine_query", &PyWalker::goroutine_query, py::arg("args"), py::arg("threads"))
      .def("goroutine_stack", &PyWalker::goroutine_stack, py::arg("g"), py::arg("pc"),
           py::arg("sp"), py::arg("bp"), py::arg("max_frames") = 1024, py::arg("lr") = 0)
      .def("goroutine_threads", &PyWalker::goroutine_threads, py::arg("max"), py::arg("keep"))
      .def("running_goroutines", &PyWalker::running_goroutines, py::arg("lwps"))
      .def("goroutine_thread_stack", &PyWalker::goroutine_thread_stack, py::arg("g"), py::arg("pc"),
           py::arg("sp"), py::arg("bp"), py::arg("lr"), py::arg("native"),
           py::arg("max_frames") = kMaxClaimedFrames)
      .def("walk_thread", &PyWalker::walk_thread, py::arg("modules"), py::arg("regs"),
           py::arg("native"), py::arg("lwp"), py::arg("max_frames") = 1024,
           py::arg("innermost") = true)
      .def("start_recording", &PyWalker::start_recording, py::arg("name"))
      .def("stop_recording", &PyWalker::stop_recording)
      .def("recording", &PyWalker::recording)
      .def("save_image", &PyWalker::save_image, py::arg("path"))
      .def("cgo_role", &PyWalker::cgo_role, py::arg("name"))
      .def("plan_after_step", &PyWalker::plan_after_step, py::arg("gesture"), py::arg("stack"))
      .def("goroutine_pos", &PyWalker::goroutine_pos, py::arg("lwp"), py::arg("sp"))
      .def("goroutine_pos_of_g", &PyWalker::goroutine_pos_of_g, py::arg("g"), py::arg("sp"))
      .def("line_change_pcs", &PyWalker::line_change_pcs, py::arg("pc"))
      .def("goid_of_thread", &PyWalker::goid_of_thread, py::arg("lwp"));
  py::class_<FrameVar>(m, "FrameVar")
      .def_readonly("name", &FrameVar::name)
      .def_readonly("is_arg", &FrameVar::is_arg)
      .def_readonly("type", &FrameVar::type)
      .def_readonly("go_type", &FrameVar::go_type)
      .def_readonly("size", &FrameVar::size)
      .def_readonly("address", &FrameVar::address)
      .def_readonly("data", &FrameVar::data)
      .def_readonly("error", &FrameVar::error);
  py::class_<PyGoValues>(m, "GoValues")
      .def(py::init<const std::shared_ptr<GoBinary>&, uint64_t>(), py::arg("binary"),
           py::arg("bias") = 0)
      .def_property_readonly("error", &PyGoValues::error)
      .def("ok", &PyGoValues::ok)
      .def("frame", &PyGoValues::frame, py::arg("pc"), py::arg("innermost"), py::arg("cfa"),
           py::arg("regs"), py::arg("reader"), py::arg("results") = false)
      .def("holder_expression", &PyGoValues::holder_expression, py::arg("type_ids"))
      .def("reset_mirror", &PyGoValues::reset_mirror)
      .def("c_type_for_name", &PyGoValues::c_type_for_name, py::arg("go_name"))
      .def("has_formatter", &PyGoValues::has_formatter, py::arg("go_name"))
      .def("c_type_name", &PyGoValues::c_type_name, py::arg("go_name"))
      .def("children", &PyGoValues::children, py::arg("mirror_type"), py::arg("data"),
           py::arg("reader"), py::arg("max_elements") = GoFormatter::kMaxElements)
      .def("format_at", &PyGoValues::format_at, py::arg("go_name"), py::arg("addr"),
           py::arg("reader"), py::arg("max_elements") = GoFormatter::kMaxElements);
  py::class_<CodeModules, std::shared_ptr<CodeModules>>(m, "CodeModules")
      .def(py::init<>())
      .def(
          "add_binary",
          [](CodeModules& c, const GoBinary& b, uint64_t bias) { c.add(b.elf(), bias); },
          py::arg("binary"), py::arg("bias") = 0)
      .def(
          "add_file",
          [](CodeModules& c, const std::string& path, uint64_t bias) {
            std::string err;
            try {
              if (!c.add(path, bias, &err)) return err.empty() ? std::string("unreadable") : err;
            } catch (std::exception& e) {
              return std::string("internal error: ") + e.what();
            }
            return std::string();
          },
          py::arg("path"), py::arg("bias"), "Adds an ELF file mapped at `bias`: '' or why not")
      .def("__len__", &CodeModules::size);
  py::class_<ThreadFrame>(m, "ThreadFrame")
      .def_readonly("pc", &ThreadFrame::pc)
      .def_readonly("sp", &ThreadFrame::sp)
      .def_readonly("bp", &ThreadFrame::bp)
      .def_readonly("cfa", &ThreadFrame::cfa)
      .def_readonly("native", &ThreadFrame::native)
      .def_readonly("innermost", &ThreadFrame::innermost)
      .def_readonly("trampoline", &ThreadFrame::trampoline)
      .def_readonly("rule", &ThreadFrame::rule);
  py::class_<ThreadStack>(m, "ThreadStack")
      .def_readonly("frames", &ThreadStack::frames)
      .def_readonly("error", &ThreadStack::error);
  py::class_<Goroutine>(m, "Goroutine")
      .def_readonly("addr", &Goroutine::addr)
      .def_readonly("goid", &Goroutine::goid)
      .def_readonly("status", &Goroutine::status)
      .def_readonly("status_name", &Goroutine::status_name)
      .def_readonly("wait_reason", &Goroutine::wait_reason)
      .def_readonly("m", &Goroutine::m)
      .def_readonly("lwp", &Goroutine::lwp)
      .def_readonly("in_c", &Goroutine::in_c)
      .def_readonly("module", &Goroutine::module)
      .def_property_readonly("pc", [](const Goroutine& g) { return g.regs.pc; })
      .def_property_readonly("sp", [](const Goroutine& g) { return g.regs.sp; })
      .def_property_readonly("bp", [](const Goroutine& g) { return g.regs.bp; })
      .def_property_readonly("lr", [](const Goroutine& g) { return g.regs.lr; })
      .def_readonly("func", &Goroutine::func)
      .def_readonly("file", &Goroutine::file)
      .def_readonly("line", &Goroutine::line);
  py::class_<GoroutineTable>(m, "GoroutineTable")
      .def_readonly("goroutines", &GoroutineTable::goroutines)
      .def_readonly("error", &GoroutineTable::error)
      .def_readonly("truncated", &GoroutineTable::truncated);
  py::class_<RunningGoroutine>(m, "RunningGoroutine")
      .def_readonly("tid", &RunningGoroutine::tid)
      .def_readonly("goid", &RunningGoroutine::goid)
      .def_readonly("g", &RunningGoroutine::g)
      .def_readonly("lwp", &RunningGoroutine::lwp)
      .def_readonly("name", &RunningGoroutine::name);
  py::class_<GoroutineThread>(m, "GoroutineThread")
      .def_readonly("tid", &GoroutineThread::tid)
      .def_readonly("goid", &GoroutineThread::goid)
      .def_readonly("g", &GoroutineThread::g)
      .def_readonly("name", &GoroutineThread::name)
      .def_property_readonly("pc", [](const GoroutineThread& t) { return t.regs.pc; })
      .def_property_readonly("sp", [](const GoroutineThread& t) { return t.regs.sp; })
      .def_property_readonly("bp", [](const GoroutineThread& t) { return t.regs.bp; })
      .def_property_readonly("lr", [](const GoroutineThread& t) { return t.regs.lr; });
  py::class_<GoroutineThreadList>(m, "GoroutineThreadList")
      .def_readonly("threads", &GoroutineThreadList::threads)
      .def_readonly("left_out", &GoroutineThreadList::left_out)
      .def_readonly("error", &GoroutineThreadList::error);
  m.def(
      "goroutine_of_tid",
      [](uint64_t tid) -> std::optional<std::pair<size_t, uint64_t>> {
        return goroutine_of_tid(tid);
      },
      py::arg("tid"), "(module index, goroutine id) of a goroutine thread id, or None");
  m.def("stack_is_its_threads", &stack_is_its_threads, py::arg("goroutine"),
        "Whether a goroutine's backtrace is its thread's (running, or inside C on it)");
  m.def("goroutine_header", &goroutine_header, py::arg("goroutine"));
  m.def(
      "backtrace_line",
      [](const std::string& style, int index, uint64_t pc, const std::string& func,
         const std::string& file, int line) {
        return backtrace_line(style == "lldb" ? BtStyle::Lldb : BtStyle::Gdb, index, pc, func, file,
                              line);
      },
      py::arg("style"), py::arg("index"), py::arg("pc"), py::arg("func"), py::arg("file"),
      py::arg("line"), "One frame of a goroutine backtrace as the debugger's own bt shows one");
  m.attr("DEFAULT_GOROUTINE_THREADS") = kDefaultGoroutineThreads;
  m.attr("MAX_FRAMES") = kMaxClaimedFrames;
  py::class_<GoFrame>(m, "GoFrame")
      .def_readonly("pc", &GoFrame::pc)
      .def_readonly("sp", &GoFrame::sp)
      .def_readonly("cfa", &GoFrame::cfa)
      .def_readonly("func", &GoFrame::func)
      .def_readonly("file", &GoFrame::file)
      .def_readonly("line", &GoFrame::line);
  py::class_<GoStack>(m, "GoStack")
      .def_readonly("frames", &GoStack::frames)
      .def_readonly("error", &GoStack::error);
}
