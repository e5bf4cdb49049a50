// Go's pclntab (Go 1.18+ layouts: magic 0xfffffff0 and 0xfffffff1): function table, names,
// per-pc SP delta (pcsp) and file/line. Present in stripped binaries too (.gopclntab).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgounwind {

class ElfFile;

struct GoFunc {
  uint64_t entry = 0;  // absolute link-time address
  uint64_t end = 0;    // entry of the next function
  std::string name;
  uint32_t func_off = 0;  // offset of the _func record inside the func data (internal)
  uint8_t func_id = 0;    // abi.FuncID (numbering differs by release: compare names)
  uint8_t flag = 0;       // abi.FuncFlag (TopFrame=1, SPWrite=2, Asm=4)
};

class Pclntab {
 public:
  // Finds .gopclntab (or runtime.pclntab / a pcHeader in .data.rel.ro for PIE); false if
  // absent/unsupported. Keeps a view into elf.bytes(): `elf` must outlive this object.
  bool load(const ElfFile& elf);
  const std::string& error() const { return error_; }
  bool loaded() const { return !funcs_.empty(); }

  std::optional<GoFunc> func_for_pc(uint64_t pc) const;
  // Names are not unique: a function with an ABI wrapper is listed twice under one name (the
  // ELF symtab calls the ABI0 one "name.abi0"). This returns the real body, not the wrapper.
  std::optional<GoFunc> func_by_name(std::string_view name) const;
  // SP delta (bytes the function has pushed, excluding the return address) at pc;
  // nullopt if pc is outside Go text or the table is malformed, and for functions without pc
  // tables (C code placed in Go text by the internal linker, "go:" marker symbols).
  std::optional<int64_t> sp_delta(uint64_t pc) const;
  // Source position of pc ("/path/file.go", line).
  std::optional<std::pair<std::string, int>> file_line(uint64_t pc) const;
  // The function holding pc, as runs of one (file number, line): each run's first pc.
  struct LineRun {
    uint64_t pc = 0;
    int64_t file = 0, line = 0;
  };
  std::vector<LineRun> line_runs(uint64_t pc) const;
  const std::vector<GoFunc>& funcs() const { return funcs_; }
  uint64_t text_start() const { return text_start_; }

 private:
  std::optional<int64_t> pcvalue(uint32_t table_off, uint64_t entry, uint64_t pc) const;
  // Every (first pc, value) run of a pc table from entry, up to `end`.
  std::vector<std::pair<uint64_t, int64_t>> pcvalue_runs(uint32_t table_off, uint64_t entry,
                                                         uint64_t end) const;
  // u32 at byte `field_off` of the _func record at `func_off` (bounds-checked).
  std::optional<uint32_t> func_field(uint32_t func_off, uint32_t field_off) const;
  uint64_t find_text_start(const ElfFile& elf, uint64_t pclntab_addr, uint64_t hdr_text) const;
  // Points into the ElfFile's bytes: the ElfFile passed to load() must outlive this object.
  std::string_view data_;
  std::vector<uint32_t> by_name_;  // indices into funcs_, sorted by name
  uint32_t quantum_ = 1;           // pc quantum (minLC)
  uint32_t func_size_ = 0;         // size of the fixed part of a _func record
  std::vector<GoFunc> funcs_;      // sorted by entry
  uint32_t magic_ = 0;
  uint64_t text_start_ = 0;
  uint64_t nfunc_ = 0, nfiles_ = 0;
  uint64_t funcname_off_ = 0, cu_off_ = 0, filetab_off_ = 0, pctab_off_ = 0, pcln_off_ = 0;
  std::string error_;
};

// Go version from the .go.buildinfo section ("go1.21.13"), or empty.
std::string go_build_version(const ElfFile& elf);

}  // namespace cgounwind
