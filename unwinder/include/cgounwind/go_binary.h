// Everything the core knows about one Go executable: ELF, pclntab, Go version, runtime layout and
// the addresses of the runtime functions that switch stacks.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

  const std::string& path() const { return path_; }
  const ElfFile& elf() const { return elf_; }
  const Pclntab& pcln() const { return pcln_; }
  const RuntimeLayout& layout() const { return layout_; }
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

 private:
  std::string path_;
  ElfFile elf_;
  Pclntab pcln_;
  RuntimeLayout layout_;
  std::string version_;
  int minor_ = 0;
  bool has_dwarf_ = false;
  bool has_go_cfi_ = false;
  std::optional<ElfSymbol> c_thread_entry_;
};

}  // namespace cgounwind
