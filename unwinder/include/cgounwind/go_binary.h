// Everything the core knows about one Go executable: ELF, pclntab, Go version, runtime layout and
// the addresses of the runtime functions that switch stacks.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgounwind/arch.h"
#include "cgounwind/elf.h"
#include "cgounwind/pclntab.h"
#include "cgounwind/runtime_layout.h"

namespace cgounwind {

struct Range {
  uint64_t lo = 0, hi = 0;
  bool contains(uint64_t a) const { return a >= lo && a < hi; }
};

class GoBinary {
 public:
  // nullptr + *error when the file is not a Go binary we can handle.
  static std::unique_ptr<GoBinary> load(const std::string& path, std::string* error);
  // The one GoBinary of a file for the whole process (loaded on first use; a failure is kept
  // too): GDB's adapter, the LLDB plugin and its Python shim share it, and its caches.
  static std::shared_ptr<GoBinary> shared(const std::string& path, std::string* error);

  const std::string& path() const { return path_; }
  const ElfFile& elf() const { return elf_; }
  const Pclntab& pcln() const { return pcln_; }
  const RuntimeLayout& layout() const { return layout_; }
  // The architecture's rules, chosen from the ELF header's e_machine.
  const Arch& arch() const { return *arch_; }
  const std::string& go_version() const { return version_; }  // "go1.21.13" or ""
  int go_minor() const { return minor_; }                     // 21, or 0 if unknown
  bool has_dwarf() const { return has_dwarf_; }
  // Whether debuggers can unwind Go frames themselves: Go writes .debug_frame; -ldflags=-w drops
  // it.
  bool has_go_cfi() const { return has_go_cfi_; }
  // runtime/cgo's thread-start trampoline (crosscall1, crosscall_amd64 before Go 1.23), from the
  // ELF symbol table; nullopt when absent or stripped.
  const std::optional<ElfSymbol>& c_thread_entry() const { return c_thread_entry_; }
  // Human-readable one-liner about where facts came from.
  std::string describe() const;

  // Name of the Go function containing pc ("" outside Go text).
  std::string func_name(uint64_t pc) const;
  std::optional<uint64_t> func_entry(const std::string& name) const;
  // All Go functions with this exact name (asm functions can have an ABI wrapper twin).
  std::vector<Range> func_ranges(const std::string& name) const;
  bool in_func(uint64_t pc, const std::string& name) const;
  // Link-time address of a data symbol (runtime.allgs …) from .symtab; nullopt when stripped.
  std::optional<uint64_t> data_symbol(const std::string& name) const;
  // Reads bytes of the executable image (text/rodata) at a link-time address.
  bool read_image(uint64_t addr, void* buf, size_t len) const;
  bool is_go_pc(uint64_t pc) const;
  // Link-time range of the executable sections (Go text and the C code linked with it).
  Range code_range() const { return code_; }

 private:
  std::string path_;
  ElfFile elf_;
  const Arch* arch_ = nullptr;
  Pclntab pcln_;
  RuntimeLayout layout_;
  std::string version_;
  int minor_ = 0;
  bool has_dwarf_ = false;
  bool has_go_cfi_ = false;
  std::optional<ElfSymbol> c_thread_entry_;
  Range code_;
};

// Whether the ELF file at `path` is a Go module (executable or shared library with a Go runtime),
// from its section headers alone: the check a process with hundreds of non-Go libraries pays.
bool looks_like_go(const std::string& path);
// looks_like_go, and of an architecture the core has rules for: what may change a debugger's
// behaviour (anything else is left exactly as the debugger shows it without cgounwind).
bool looks_like_supported_go(const std::string& path);

// A Go binary as one process has it loaded: the file's facts (link-time addresses) plus the load
// bias the debugger reports for it (0 for a non-PIE executable; where the loader put a PIE or a
// c-shared library otherwise). Every address going in and out of a GoModule is a run-time
// address; the GoBinary behind it stays shared and must outlive the module.
class GoModule {
 public:
  GoModule(const GoBinary& bin, uint64_t bias = 0)  // NOLINT(google-explicit-constructor)
      : bin_(&bin), bias_(bias) {}

  const GoBinary& binary() const { return *bin_; }
  uint64_t bias() const { return bias_; }
  const RuntimeLayout& layout() const { return bin_->layout(); }
  const Arch& arch() const { return bin_->arch(); }
  int go_minor() const { return bin_->go_minor(); }
  bool has_go_cfi() const { return bin_->has_go_cfi(); }
  // A stable name for this loaded module (its run-time code start), carried in walk states.
  uint64_t id() const { return bin_->code_range().lo + bias_; }
  // pc lies in the module's code (Go text or the C code linked into the same file).
  bool contains(uint64_t pc) const {
    return bin_->code_range().contains(pc - bias_) && pc >= bias_;
  }

  std::optional<GoFunc> func_for_pc(uint64_t pc) const;
  std::optional<int64_t> sp_delta(uint64_t pc) const;
  std::optional<std::pair<std::string, int>> file_line(uint64_t pc) const;
  std::string func_name(uint64_t pc) const;
  std::optional<uint64_t> func_entry(const std::string& name) const;
  bool in_func(uint64_t pc, const std::string& name) const;
  bool is_go_pc(uint64_t pc) const;
  std::optional<uint64_t> data_symbol(const std::string& name) const;
  bool read_image(uint64_t addr, void* buf, size_t len) const;
  std::optional<ElfSymbol> c_thread_entry() const;
  std::optional<ElfSymbol> symbol_at(uint64_t addr) const;

 private:
  uint64_t link(uint64_t addr) const { return addr - bias_; }
  const GoBinary* bin_;
  uint64_t bias_;
};

// The Go modules loaded in one process: usually one (the executable, or one c-shared library),
// several when a host loads more than one Go library (one runtime each).
class GoModules {
 public:
  GoModules() = default;
  GoModules(const GoModule& m) : mods_{m} {}            // NOLINT(google-explicit-constructor)
  GoModules(const GoBinary& b) : mods_{GoModule(b)} {}  // NOLINT(google-explicit-constructor)
  void add(const GoModule& m) { mods_.push_back(m); }
  // The module whose code holds pc, or nullptr (C code of the host and its libraries).
  const GoModule* for_pc(uint64_t pc) const;
  const std::vector<GoModule>& all() const { return mods_; }
  bool empty() const { return mods_.empty(); }

 private:
  std::vector<GoModule> mods_;
};

}  // namespace cgounwind
