// Call frame information (.eh_frame) for C frames: CIE/FDE parsing and the CFA program, so the
// core can unwind C code where the debugger's own unwinder cannot be asked to (LLDB has no SB API
// that unwinds from registers the caller supplies). Defensive: any malformed input gives "no row".
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgounwind/arch.h"
#include "cgounwind/elf.h"
#include "cgounwind/memory.h"

namespace cgounwind {

// DWARF register numbers 0..kCfiRegs-1 of every supported architecture (Arch::pc_reg() and the
// others are below it); rules for higher numbers (vector registers) are ignored.
constexpr int kCfiRegs = kMaxCfiRegs;

struct CfiRule {
  enum Kind : uint8_t {
    Same,
    Undefined,
    Offset,
    ValOffset,
    Register,
    Expression,     // saved at the address a DWARF expression computes (the CFA pushed first)
    ValExpression,  // the value a DWARF expression computes (the CFA pushed first)
    Unsupported
  };
  Kind kind = Same;
  int64_t offset = 0;     // Offset / ValOffset: CFA-relative
  int reg = 0;            // Register
  std::string_view expr;  // Expression / ValExpression: its bytes, in the CfiTable's section
};

// The unwind row in force at one pc.
struct CfiRow {
  int cfa_reg = -1;  // -1: the CFA is the DWARF expression `cfa_expr` (none: unsupported)
  int64_t cfa_offset = 0;
  std::string_view cfa_expr;  // DW_CFA_def_cfa_expression, in the CfiTable's section
  int ra_reg = -1;            // the CIE's return-address column
  bool signal_frame = false;  // 'S' augmentation: the pc is not a return address
  std::array<CfiRule, kCfiRegs> rules{};
};

// One register set while unwinding C: DWARF-numbered, with a validity mask.
struct CRegs {
  std::array<uint64_t, kCfiRegs> r{};
  uint64_t valid = 0;
  bool has(int i) const { return i >= 0 && i < kCfiRegs && (valid >> i & 1u); }
  void set(int i, uint64_t v) {
    if (i < 0 || i >= kCfiRegs) return;
    r[static_cast<size_t>(i)] = v;
    valid |= uint64_t{1} << i;
  }
};

// The FDEs of one .eh_frame section, indexed by pc.
class CfiTable {
 public:
  // `data` is the section's bytes; `vaddr` its link-time address (pc-relative pointers).
  void load_eh_frame(std::string_view data, uint64_t vaddr);
  // Row for a link-time pc, or nullopt (no FDE, malformed, unsupported construct).
  std::optional<CfiRow> row(uint64_t pc) const;
  size_t fdes() const { return fdes_.size(); }

 private:
  struct Fde {
    uint64_t lo = 0, hi = 0;
    uint32_t offset = 0;  // of the FDE in data_
  };
  std::string data_;
  uint64_t vaddr_ = 0;
  std::vector<Fde> fdes_;  // sorted by lo
};

// The executable and shared libraries of one process, each with its load bias.
class CodeModules {
 public:
  // Loads `path` (ELF) mapped at `bias` (0 for a non-PIE executable). False + *error on failure.
  bool add(const std::string& path, uint64_t bias, std::string* error);
  // Uses an already-loaded ELF (the Go executable).
  void add(const ElfFile& elf, uint64_t bias);
  std::optional<CfiRow> row(uint64_t pc) const;
  // Whether pc lies in the executable sections of a module (with or without unwind info).
  bool contains(uint64_t pc) const;
  size_t size() const { return mods_.size(); }

 private:
  struct Module {
    uint64_t lo = 0, hi = 0, bias = 0;  // runtime range of the module's executable sections
    CfiTable cfi;
  };
  void add_sections(const ElfFile& elf, uint64_t bias);
  std::vector<Module> mods_;
};

struct CfiStep {
  bool ok = false;
  bool outermost = false;  // the return address column is undefined (thread start)
  // The frame is a signal trampoline ('S' augmentation: glibc's __restore_rt): its caller is the
  // interrupted code, whose pc is where the signal arrived, not a return address, on whatever
  // stack it ran on (the handler may run on an alternate signal stack, e.g. Go's gsignal).
  bool signal_frame = false;
  CRegs caller;
  uint64_t cfa = 0;
  std::string error;
};

// Unwinds one C frame. `innermost`: the pc (in arch.pc_reg()) is where the thread stopped, not a
// return address.
CfiStep cfi_step(const Arch& arch, const CodeModules& mods, Memory& mem, const CRegs& regs,
                 bool innermost);

}  // namespace cgounwind
