// .eh_frame parsing and CFA programs (DWARF 5 §6.4, LSB's .eh_frame pointer encodings). Every
// read is bounds-checked; loops are bounded by the section size.
#include "cgounwind/cfi.h"

#include <fmt/format.h>

#include <algorithm>

#include "cgounwind/arch.h"

namespace cgounwind {
namespace {

constexpr uint64_t kShfExecinstr = 0x4;
constexpr size_t kMaxStates = 16;  // remember_state nesting

// A cursor over bytes that turns every overrun into a sticky failure.
class Reader {
 public:
  Reader(std::string_view d, size_t pos, size_t end)
      : d_(d), pos_(pos), end_(std::min(end, d.size())) {}
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= end_; }
  void seek(size_t p) {
    if (p > end_) ok_ = false;
    pos_ = std::min(p, end_);
  }
  uint64_t fixed(int n) {
    if (!ok_ || end_ - pos_ < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(d_[pos_ + static_cast<size_t>(i)]))
           << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(fixed(1)); }
  uint64_t uleb() {
    uint64_t v = 0;
    for (int shift = 0; ok_; shift += 7) {
      uint8_t b = u8();
      if (shift < 64) v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      if (shift > 70) ok_ = false;
    }
    return v;
  }
  int64_t sleb() {
    int64_t v = 0;
    int shift = 0;
    uint8_t b = 0;
    do {
      b = u8();
      if (shift < 64) v |= static_cast<int64_t>(static_cast<uint64_t>(b & 0x7f) << shift);
      shift += 7;
      if (shift > 70) ok_ = false;
    } while (ok_ && (b & 0x80));
    if (shift < 64 && (b & 0x40)) v |= -(int64_t{1} << shift);
    return v;
  }
  std::string_view cstr() {
    size_t start = pos_;
    while (ok_ && pos_ < end_ && d_[pos_] != 0) ++pos_;
    if (pos_ >= end_) {
      ok_ = false;
      return {};
    }
    return d_.substr(start, pos_++ - start);
  }
  // An .eh_frame encoded pointer. `vaddr` is the section's link-time address.
  uint64_t pointer(uint8_t enc, uint64_t vaddr) {
    if (enc == 0xff) return 0;  // DW_EH_PE_omit
    uint64_t here = vaddr + pos_;
    uint64_t v = 0;
    switch (enc & 0x0f) {
      case 0x00:
        v = fixed(8);
        break;
      case 0x01:
        v = uleb();
        break;
      case 0x02:
        v = fixed(2);
        break;
      case 0x03:
        v = fixed(4);
        break;
      case 0x04:
        v = fixed(8);
        break;
      case 0x09:
        v = static_cast<uint64_t>(sleb());
        break;
      case 0x0a:
        v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(fixed(2))));
        break;
      case 0x0b:
        v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(fixed(4))));
        break;
      case 0x0c:
        v = fixed(8);
        break;
      default:
        ok_ = false;
        return 0;
    }
    switch (enc & 0x70) {
      case 0x00:
        break;
      case 0x10:
        v += here;
        break;  // pcrel
      default:
        ok_ = false;
        return 0;  // textrel/datarel/funcrel: not used by gcc/clang here
    }
    if (enc & 0x80) ok_ = false;  // indirect: only personality pointers, which we skip
    return v;
  }

 private:
  std::string_view d_;
  size_t pos_, end_;
  bool ok_ = true;
};

struct Cie {
  uint64_t code_align = 1;
  int64_t data_align = 1;
  int ra_reg = -1;
  uint8_t fde_enc = 0;
  bool has_z = false;
  bool signal = false;
  size_t insns = 0, insns_end = 0;
};

// Reads the CIE at `off` (its length field). False when malformed.
bool parse_cie(std::string_view d, uint64_t vaddr, size_t off, Cie& cie) {
  Reader r(d, off, d.size());
  uint64_t len = r.fixed(4);
  if (len == 0xffffffff) return false;  // 64-bit DWARF: not produced for .eh_frame on amd64
  size_t end = r.pos() + len;
  if (!r.ok() || end > d.size() || r.fixed(4) != 0) return false;  // CIE id 0
  Reader c(d, r.pos(), end);
  uint8_t version = c.u8();
  if (version != 1 && version != 3) return false;
  std::string_view aug = c.cstr();
  cie.code_align = c.uleb();
  cie.data_align = c.sleb();
  cie.ra_reg = version == 1 ? c.u8() : static_cast<int>(c.uleb());
  if (!aug.empty() && aug[0] == 'z') {
    cie.has_z = true;
    uint64_t alen = c.uleb();
    size_t aend = c.pos() + alen;
    for (size_t i = 1; i < aug.size() && c.ok(); ++i) {
      switch (aug[i]) {
        case 'R':
          cie.fde_enc = c.u8();
          break;
        case 'L':
          c.u8();
          break;
        case 'P': {
          uint8_t penc = c.u8();
          c.pointer(static_cast<uint8_t>(penc & 0x7f), vaddr);  // skip the (maybe indirect) pointer
          break;
        }
        case 'S':
          cie.signal = true;
          break;
        case 'B':
          break;
        default:
          i = aug.size();
          break;  // unknown: the augmentation length lets us skip it
      }
    }
    c.seek(aend);
  } else if (!aug.empty()) {
    return false;  // "eh" and others: not produced by current compilers
  }
  cie.insns = c.pos();
  cie.insns_end = end;
  return c.ok() && cie.ra_reg >= 0 && cie.ra_reg < kCfiRegs;
}

// Runs CFA instructions [pos, end) until the location passes `target`.
bool run_program(std::string_view d, uint64_t vaddr, size_t pos, size_t end, const Cie& cie,
                 uint64_t loc, uint64_t target, CfiRow& row, const CfiRow& initial) {
  Reader r(d, pos, end);
  std::vector<CfiRow> stack;
  auto reg_ok = [](uint64_t reg) { return reg < static_cast<uint64_t>(kCfiRegs); };
  auto set = [&](uint64_t reg, CfiRule rule) {
    if (reg_ok(reg)) row.rules[static_cast<size_t>(reg)] = rule;
  };
  auto restore = [&](uint64_t reg) {
    if (reg_ok(reg)) row.rules[static_cast<size_t>(reg)] = initial.rules[static_cast<size_t>(reg)];
  };
  auto advance = [&](uint64_t delta) {
    loc += delta * cie.code_align;
    return loc <= target;
  };
  while (r.ok() && !r.at_end()) {
    uint8_t op = r.u8();
    uint8_t hi = op & 0xc0, low = op & 0x3f;
    if (hi == 0x40) {
      if (!advance(low)) return true;
      continue;
    }
    if (hi == 0x80) {
      set(low, {CfiRule::Offset, static_cast<int64_t>(r.uleb()) * cie.data_align, 0, {}});
      continue;
    }
    if (hi == 0xc0) {
      restore(low);
      continue;
    }
    switch (op) {
      case 0x00:
        break;      // nop
      case 0x01: {  // set_loc
        uint64_t l = r.pointer(cie.fde_enc, vaddr);
        if (l > target) return true;
        loc = l;
        break;
      }
      case 0x02:
        if (!advance(r.u8())) return true;
        break;
      case 0x03:
        if (!advance(r.fixed(2))) return true;
        break;
      case 0x04:
        if (!advance(r.fixed(4))) return true;
        break;
      case 0x05: {
        uint64_t reg = r.uleb();
        set(reg, {CfiRule::Offset, static_cast<int64_t>(r.uleb()) * cie.data_align, 0, {}});
        break;
      }
      case 0x06:
        restore(r.uleb());
        break;
      case 0x07:
        set(r.uleb(), {CfiRule::Undefined, 0, 0, {}});
        break;
      case 0x08:
        set(r.uleb(), {CfiRule::Same, 0, 0, {}});
        break;
      case 0x09: {
        uint64_t reg = r.uleb(), other = r.uleb();
        set(reg, reg_ok(other) ? CfiRule{CfiRule::Register, 0, static_cast<int>(other), {}}
                               : CfiRule{CfiRule::Unsupported, 0, 0, {}});
        break;
      }
      case 0x0a:
        if (stack.size() >= kMaxStates) return false;
        stack.push_back(row);
        break;
      case 0x0b: {
        if (stack.empty()) return false;
        // restore_state restores register rules; the CFA rule too (as GCC and LLVM unwinders do).
        row = stack.back();
        stack.pop_back();
        break;
      }
      case 0x0c: {
        uint64_t reg = r.uleb();
        row.cfa_reg = reg_ok(reg) ? static_cast<int>(reg) : -1;
        row.cfa_offset = static_cast<int64_t>(r.uleb());
        row.cfa_expr = {};
        break;
      }
      case 0x0d: {
        uint64_t reg = r.uleb();
        row.cfa_reg = reg_ok(reg) ? static_cast<int>(reg) : -1;
        row.cfa_expr = {};
        break;
      }
      case 0x0e:
        row.cfa_offset = static_cast<int64_t>(r.uleb());
        break;
      case 0x0f: {  // def_cfa_expression
        uint64_t n = r.uleb();
        size_t at = r.pos();
        r.seek(at + n);
        row.cfa_reg = -1;
        row.cfa_expr = r.ok() ? d.substr(at, n) : std::string_view{};
        break;
      }
      case 0x10:
      case 0x16: {  // expression / val_expression
        uint64_t reg = r.uleb(), n = r.uleb();
        size_t at = r.pos();
        r.seek(at + n);
        if (!r.ok()) return false;
        set(reg,
            {op == 0x10 ? CfiRule::Expression : CfiRule::ValExpression, 0, 0, d.substr(at, n)});
        break;
      }
      case 0x11: {
        uint64_t reg = r.uleb();
        set(reg, {CfiRule::Offset, r.sleb() * cie.data_align, 0, {}});
        break;
      }
      case 0x12: {
        uint64_t reg = r.uleb();
        row.cfa_reg = reg_ok(reg) ? static_cast<int>(reg) : -1;
        row.cfa_offset = r.sleb() * cie.data_align;
        row.cfa_expr = {};
        break;
      }
      case 0x13:
        row.cfa_offset = r.sleb() * cie.data_align;
        break;
      case 0x14: {
        uint64_t reg = r.uleb();
        set(reg, {CfiRule::ValOffset, static_cast<int64_t>(r.uleb()) * cie.data_align, 0, {}});
        break;
      }
      case 0x15: {
        uint64_t reg = r.uleb();
        set(reg, {CfiRule::ValOffset, r.sleb() * cie.data_align, 0, {}});
        break;
      }
      case 0x2e:
        r.uleb();
        break;      // GNU_args_size
      case 0x2f: {  // GNU_negative_offset_extended
        uint64_t reg = r.uleb();
        set(reg, {CfiRule::Offset, -static_cast<int64_t>(r.uleb()) * cie.data_align, 0, {}});
        break;
      }
      default:
        return false;
    }
  }
  return r.ok();
}

// Evaluates a CFI DWARF expression (DWARF 5 §2.5) over the registers of the frame being unwound:
// the subset unwind tables use (glibc's signal trampoline __restore_rt on x86-64 has
// `DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) 160; DW_OP_deref` and one
// `DW_CFA_expression: rN: DW_OP_breg7 (rsp) OFF` per register: the kernel's ucontext_t at rsp,
// its uc_mcontext at +40). `initial`: pushed first (the CFA, for register rules). nullopt when
// an operation is not in the subset, a register is unknown or memory unreadable.
std::optional<uint64_t> eval_expr(std::string_view expr, const CRegs& regs, Memory& mem,
                                  std::optional<uint64_t> initial) {
  constexpr size_t kMaxStack = 32;
  std::vector<uint64_t> st;
  if (initial) st.push_back(*initial);
  Reader r(expr, 0, expr.size());
  auto pop = [&]() -> std::optional<uint64_t> {
    if (st.empty()) return std::nullopt;
    uint64_t v = st.back();
    st.pop_back();
    return v;
  };
  auto breg = [&](uint64_t reg, int64_t off) {
    if (reg >= static_cast<uint64_t>(kCfiRegs) || !regs.has(static_cast<int>(reg))) return false;
    st.push_back(regs.r[static_cast<size_t>(reg)] + static_cast<uint64_t>(off));
    return true;
  };
  while (r.ok() && !r.at_end()) {
    if (st.size() > kMaxStack) return std::nullopt;
    uint8_t op = r.u8();
    if (op >= 0x30 && op <= 0x4f) {  // lit0..lit31
      st.push_back(op - 0x30u);
      continue;
    }
    if (op >= 0x70 && op <= 0x8f) {  // breg0..breg31
      if (!breg(op - 0x70u, r.sleb())) return std::nullopt;
      continue;
    }
    switch (op) {
      case 0x92: {  // bregx
        uint64_t reg = r.uleb();
        if (!breg(reg, r.sleb())) return std::nullopt;
        break;
      }
      case 0x06: {  // deref
        auto a = pop();
        if (!a) return std::nullopt;
        auto v = mem.u64(*a);
        if (!v) return std::nullopt;
        st.push_back(*v);
        break;
      }
      case 0x08:
        st.push_back(r.fixed(1));
        break;
      case 0x0a:
        st.push_back(r.fixed(2));
        break;
      case 0x0c:
        st.push_back(r.fixed(4));
        break;
      case 0x0e:
        st.push_back(r.fixed(8));
        break;
      case 0x10:
        st.push_back(r.uleb());
        break;
      case 0x11:
        st.push_back(static_cast<uint64_t>(r.sleb()));
        break;
      case 0x12:  // dup
        if (st.empty()) return std::nullopt;
        st.push_back(st.back());
        break;
      case 0x13:  // drop
        if (!pop()) return std::nullopt;
        break;
      case 0x1a:    // and
      case 0x1c:    // minus
      case 0x22: {  // plus
        auto b = pop(), a = pop();
        if (!a || !b) return std::nullopt;
        st.push_back(op == 0x1a ? (*a & *b) : op == 0x1c ? *a - *b : *a + *b);
        break;
      }
      case 0x23:  // plus_uconst
        if (st.empty()) return std::nullopt;
        st.back() += r.uleb();
        break;
      default:
        return std::nullopt;
    }
  }
  if (!r.ok() || st.empty()) return std::nullopt;
  return st.back();
}

}  // namespace

void CfiTable::load_eh_frame(std::string_view data, uint64_t vaddr) {
  data_.assign(data);
  vaddr_ = vaddr;
  fdes_.clear();
  std::string_view d = data_;
  size_t off = 0;
  while (off + 8 <= d.size()) {
    Reader r(d, off, d.size());
    uint64_t len = r.fixed(4);
    if (len == 0 || len == 0xffffffff) break;  // terminator (or 64-bit: unsupported)
    size_t body = r.pos(), end = body + len;
    if (end > d.size() || len < 4) break;
    uint64_t id = r.fixed(4);
    if (id != 0 && id <= body) {  // an FDE: id is the distance back to its CIE
      Cie cie;
      if (parse_cie(d, vaddr, body - id, cie)) {
        Reader f(d, r.pos(), end);
        uint64_t lo = f.pointer(cie.fde_enc, vaddr);
        uint64_t range = f.pointer(static_cast<uint8_t>(cie.fde_enc & 0x0f), vaddr);
        if (f.ok() && range > 0 && lo + range > lo)
          fdes_.push_back({lo, lo + range, static_cast<uint32_t>(off)});
      }
    }
    off = end;
  }
  std::sort(fdes_.begin(), fdes_.end(), [](const Fde& a, const Fde& b) { return a.lo < b.lo; });
}

std::optional<CfiRow> CfiTable::row(uint64_t pc) const {
  auto it = std::upper_bound(fdes_.begin(), fdes_.end(), pc,
                             [](uint64_t p, const Fde& f) { return p < f.lo; });
  if (it == fdes_.begin()) return std::nullopt;
  --it;
  if (pc >= it->hi) return std::nullopt;
  std::string_view d = data_;
  Reader r(d, it->offset, d.size());
  uint64_t len = r.fixed(4);
  size_t body = r.pos(), end = body + len;
  uint64_t id = r.fixed(4);
  Cie cie;
  if (!r.ok() || end > d.size() || !parse_cie(d, vaddr_, body - id, cie)) return std::nullopt;
  Reader f(d, r.pos(), end);
  uint64_t lo = f.pointer(cie.fde_enc, vaddr_);
  f.pointer(static_cast<uint8_t>(cie.fde_enc & 0x0f), vaddr_);
  if (cie.has_z) {
    uint64_t alen = f.uleb();
    f.seek(f.pos() + alen);
  }
  if (!f.ok()) return std::nullopt;
  CfiRow initial;
  initial.ra_reg = cie.ra_reg;
  initial.signal_frame = cie.signal;
  if (!run_program(d, vaddr_, cie.insns, cie.insns_end, cie, 0, 0, initial, CfiRow{}))
    return std::nullopt;
  CfiRow row = initial;
  if (!run_program(d, vaddr_, f.pos(), end, cie, lo, pc, row, initial)) return std::nullopt;
  return row;
}

void CodeModules::add_sections(const ElfFile& elf, uint64_t bias) {
  Module m;
  m.bias = bias;
  m.lo = UINT64_MAX;
  for (const auto& s : elf.sections()) {
    if (!(s.flags & kShfExecinstr) || s.size == 0) continue;
    m.lo = std::min(m.lo, s.addr + bias);
    m.hi = std::max(m.hi, s.addr + s.size + bias);
  }
  if (m.lo >= m.hi) return;
  // Kept without .eh_frame too: contains() answers for all of the module's code.
  if (const ElfSection* eh = elf.section(".eh_frame"); eh != nullptr)
    m.cfi.load_eh_frame(elf.section_data(*eh), eh->addr);
  mods_.push_back(std::move(m));
}

void CodeModules::add(const ElfFile& elf, uint64_t bias) { add_sections(elf, bias); }

bool CodeModules::add(const std::string& path, uint64_t bias, std::string* error) {
  ElfFile elf;
  if (!elf.load(path)) {
    *error = elf.error();
    return false;
  }
  add_sections(elf, bias);
  return true;
}

bool CodeModules::contains(uint64_t pc) const {
  for (const auto& m : mods_) {
    if (pc >= m.lo && pc < m.hi) return true;
  }
  return false;
}

std::optional<CfiRow> CodeModules::row(uint64_t pc) const {
  for (const auto& m : mods_) {
    if (pc >= m.lo && pc < m.hi) return m.cfi.row(pc - m.bias);
  }
  return std::nullopt;
}

CfiStep cfi_step(const Arch& arch, const CodeModules& mods, Memory& mem, const CRegs& regs,
                 bool innermost) {
  CfiStep out;
  const int pc_reg = arch.pc_reg();
  uint64_t pc = regs.r[static_cast<size_t>(pc_reg)];
  // A return address may be just past the last instruction of a function (a call to noreturn).
  auto row = mods.row(innermost ? pc : pc - 1);
  if (!row) {
    out.error = fmt::format("no unwind information for pc {:#x}", pc);
    return out;
  }
  if (row->cfa_reg >= 0 && regs.has(row->cfa_reg)) {
    out.cfa = regs.r[static_cast<size_t>(row->cfa_reg)] + static_cast<uint64_t>(row->cfa_offset);
  } else if (row->cfa_reg < 0 && !row->cfa_expr.empty()) {
    auto v = eval_expr(row->cfa_expr, regs, mem, std::nullopt);
    if (!v) {
      out.error = fmt::format("unreadable CFA expression at pc {:#x}", pc);
      return out;
    }
    out.cfa = *v;
  } else {
    out.error = fmt::format("unsupported CFA rule at pc {:#x}", pc);
    return out;
  }
  out.signal_frame = row->signal_frame;
  CRegs& c = out.caller;
  for (int i = 0; i < kCfiRegs; ++i) {
    const CfiRule& rule = row->rules[static_cast<size_t>(i)];
    switch (rule.kind) {
      case CfiRule::Same:
        if (regs.has(i) && i != pc_reg) c.set(i, regs.r[static_cast<size_t>(i)]);
        break;
      case CfiRule::Undefined:
      case CfiRule::Unsupported:
        break;
      case CfiRule::Offset: {
        auto v = mem.u64(out.cfa + static_cast<uint64_t>(rule.offset));
        if (v) c.set(i, *v);
        break;
      }
      case CfiRule::ValOffset:
        c.set(i, out.cfa + static_cast<uint64_t>(rule.offset));
        break;
      case CfiRule::Register:
        if (regs.has(rule.reg)) c.set(i, regs.r[static_cast<size_t>(rule.reg)]);
        break;
      case CfiRule::Expression: {
        auto a = eval_expr(rule.expr, regs, mem, out.cfa);
        auto v = a ? mem.u64(*a) : std::nullopt;
        if (v) c.set(i, *v);
        break;
      }
      case CfiRule::ValExpression: {
        auto v = eval_expr(rule.expr, regs, mem, out.cfa);
        if (v) c.set(i, *v);
        break;
      }
    }
  }
  // The CFA is the caller's SP (x86-64 and AArch64 psABIs), unless a rule says where the SP was
  // saved (a signal frame: the interrupted SP from the ucontext).
  CfiRule::Kind sp_kind = row->rules[static_cast<size_t>(arch.sp_reg())].kind;
  if (!((sp_kind == CfiRule::Expression || sp_kind == CfiRule::ValExpression) &&
        c.has(arch.sp_reg())))
    c.set(arch.sp_reg(), out.cfa);
  if (row->ra_reg < 0 || row->ra_reg >= kCfiRegs) {
    out.error = fmt::format("no return-address column at pc {:#x}", pc);
    return out;
  }
  const CfiRule& ra = row->rules[static_cast<size_t>(row->ra_reg)];
  if (ra.kind == CfiRule::Undefined) {
    out.ok = true;
    out.outermost = true;
    return out;
  }
  if (!c.has(row->ra_reg)) {
    out.error = fmt::format("unreadable return address at pc {:#x}", pc);
    return out;
  }
  uint64_t ret = c.r[static_cast<size_t>(row->ra_reg)];
  c.set(pc_reg, ret);
  out.ok = true;
  out.outermost = ret == 0;
  return out;
}

}  // namespace cgounwind
