// A C view of a Go executable's DWARF (see c_view.h): the byte patch over .debug_info and
// .debug_abbrev, and the separate debug file written with binutils' objcopy.
//
// The patch reads only what it needs: every unit header and each unit's root DIE (to find
// DW_AT_language), every DIE of the Go units (to find ABI wrappers), and the abbreviation tables
// those units use. Every change rewrites bytes in place and keeps the length of their encoding,
// so no offset in any section moves. All reads are
// bounds-checked: the input may be any (corrupted, truncated, fuzzed) bytes.
#include "cgounwind/c_view.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace cgounwind {
namespace {

// ---- DWARF constants (DWARF 5 §7.5.4, §7.5.6, §7.12, §7.5.1) ----
constexpr uint64_t kAtName = 0x03, kAtByteSize = 0x0b, kAtLowPc = 0x11, kAtHighPc = 0x12;
constexpr uint64_t kAtLanguage = 0x13, kAtDeclFile = 0x3a, kAtDeclLine = 0x3b;
constexpr uint64_t kAtTrampoline = 0x56;
constexpr uint64_t kTagSubprogram = 0x2e;
constexpr uint8_t kLangGo = 0x16;
constexpr uint8_t kLangC99 = 0x0c;
constexpr uint64_t kTagSubroutineType = 0x15;
constexpr uint8_t kTagPointerType = 0x0f;
constexpr uint64_t kTagFormalParameter = 0x05;
constexpr uint8_t kTagVariable = 0x34;
constexpr uint64_t kFormAddr = 0x01, kFormString = 0x08, kFormFlag = 0x0c;
constexpr uint64_t kFormData1 = 0x0b, kFormData2 = 0x05, kFormData4 = 0x06, kFormData8 = 0x07;
constexpr uint64_t kFormUdata = 0x0f, kFormSdata = 0x0d;
constexpr uint64_t kFormIndirect = 0x16, kFormImplicitConst = 0x21;
constexpr unsigned kUtCompile = 1, kUtType = 2, kUtPartial = 3, kUtSkeleton = 4;
constexpr unsigned kUtSplitCompile = 5, kUtSplitType = 6;

// The largest section we read into memory (a Go program's .debug_info is a few MB; a huge cgo
// program's tens).
constexpr uint64_t kMaxSection = 1ull << 30;

// Little-endian, bounds-checked cursor over [pos, end) of a buffer. A read past `end` fails the
// reader (and returns 0); every later read fails too, so callers check ok() once per step.
class Reader {
 public:
  Reader(const std::vector<uint8_t>& bytes, size_t pos, size_t end)
      : data_(bytes.data()), pos_(pos), end_(std::min(end, bytes.size())), ok_(pos <= end_) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }

  uint64_t fixed(size_t n) {  // n <= 8
    if (!take(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ - n + i]) << (8 * i);
    return v;
  }
  // ULEB128/SLEB128 (DWARF 5 §7.6). Padded encodings are valid, so the length is not capped;
  // bits past the 64th are dropped. Each byte advances the cursor, so this ends with the data.
  uint64_t uleb() {
    uint64_t v = 0;
    for (size_t shift = 0; take(1); shift += 7) {
      const uint8_t b = data_[pos_ - 1];
      if (shift < 64) v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return 0;
  }
  int64_t sleb() {
    uint64_t v = 0;
    for (size_t shift = 0; take(1); shift += 7) {
      const uint8_t b = data_[pos_ - 1];
      if (shift < 64) v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if ((b & 0x40) != 0 && shift + 7 < 64) v |= ~0ull << (shift + 7);  // sign-extend
        return static_cast<int64_t>(v);
      }
    }
    return 0;
  }
  void skip(uint64_t n) { take(n); }
  void skip_cstring() {
    if (!ok_) return;
    const void* nul = std::memchr(data_ + pos_, 0, end_ - pos_);
    if (nul == nullptr) {
      ok_ = false;
      return;
    }
    pos_ = static_cast<size_t>(static_cast<const uint8_t*>(nul) - data_) + 1;
  }

 private:
  bool take(uint64_t n) {
    if (!ok_ || n > end_ - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  const uint8_t* data_;
  size_t pos_;
  size_t end_;
  bool ok_;
};

// ---- .debug_abbrev ----

struct AttrSpec {
  uint64_t at = 0;
  uint64_t form = 0;
  int64_t implicit_const = 0;  // DW_FORM_implicit_const: the value lives in the abbreviation
  size_t const_pos = 0;        // … at this offset of .debug_abbrev
};

struct Abbrev {
  uint64_t tag = 0;
  size_t tag_pos = 0;     // offset of the tag's ULEB128 in .debug_abbrev
  bool children = false;  // DW_CHILDREN_yes: the DIE's children follow it, ended by a null entry
  std::vector<AttrSpec> attrs;
  bool has(uint64_t at) const {
    return std::any_of(attrs.begin(), attrs.end(), [at](const AttrSpec& s) { return s.at == at; });
  }
};

using AbbrevTable = std::unordered_map<uint64_t, Abbrev>;

// (attribute, form) pairs up to the (0, 0) that ends an abbreviation (DWARF 5 §7.5.3);
// DW_FORM_implicit_const carries an SLEB128 right after its form.
bool read_attr_specs(Reader& r, Abbrev* a) {
  while (r.ok()) {
    AttrSpec s;
    s.at = r.uleb();
    s.form = r.uleb();
    if (s.form == kFormImplicitConst) {
      s.const_pos = r.pos();
      s.implicit_const = r.sleb();
    }
    if (s.at == 0 && s.form == 0) return r.ok();
    a->attrs.push_back(s);
  }
  return false;
}

// The table at `off`: entries (code, tag, children flag, specs) up to a 0 code. Each entry
// consumes bytes, so the loop ends with the section. A table that runs into the end of the
// section without its 0 code is accepted when it stops on an entry boundary.
bool parse_abbrev_table(const std::vector<uint8_t>& abbrev, uint64_t off, AbbrevTable* table,
                        std::string* error) {
  if (off >= abbrev.size()) {
    *error = fmt::format("abbreviation table offset {:#x} is outside .debug_abbrev", off);
    return false;
  }
  Reader r(abbrev, off, abbrev.size());
  while (r.ok() && !r.at_end()) {
    const uint64_t code = r.uleb();
    if (r.ok() && code == 0) return true;
    Abbrev a;
    a.tag_pos = r.pos();
    a.tag = r.uleb();
    a.children = r.fixed(1) != 0;  // DW_CHILDREN_yes/no
    if (!read_attr_specs(r, &a)) break;
    table->emplace(code, std::move(a));  // a duplicate code keeps its first definition
  }
  if (r.ok()) return true;
  *error = fmt::format("abbreviation table at {:#x} is truncated", off);
  return false;
}

// ---- .debug_info ----

struct Unit {
  size_t start = 0, die = 0, end = 0;  // unit header, root DIE, one past the unit
  unsigned version = 0, unit_type = kUtCompile, addr_size = 0, off_size = 4;
  uint64_t abbrev_offset = 0;
};

// After the version: DWARF 5 has unit_type, address_size, debug_abbrev_offset and, by unit
// type, a dwo_id (skeleton, split compile) or a type signature and type offset (type units)
// (§7.5.1); DWARF 2-4 have debug_abbrev_offset then address_size.
bool read_header_fields(Reader& h, Unit* u, std::string* error) {
  if (u->version >= 5) {
    u->unit_type = static_cast<unsigned>(h.fixed(1));
    u->addr_size = static_cast<unsigned>(h.fixed(1));
    u->abbrev_offset = h.fixed(u->off_size);
    if (u->unit_type == kUtSkeleton || u->unit_type == kUtSplitCompile) {
      h.skip(8);
    } else if (u->unit_type == kUtType || u->unit_type == kUtSplitType) {
      h.skip(8 + u->off_size);
    } else if (u->unit_type != kUtCompile && u->unit_type != kUtPartial && h.ok()) {
      *error = fmt::format("unit at {:#x}: unknown unit type {:#x}", u->start, u->unit_type);
      return false;
    }
  } else {
    u->abbrev_offset = h.fixed(u->off_size);
    u->addr_size = static_cast<unsigned>(h.fixed(1));
  }
  if (!h.ok()) {
    *error = fmt::format("unit at {:#x}: truncated unit header", u->start);
    return false;
  }
  if (u->addr_size != 2 && u->addr_size != 4 && u->addr_size != 8) {
    *error = fmt::format("unit at {:#x}: bad address size {}", u->start, u->addr_size);
    return false;
  }
  u->die = h.pos();
  return true;
}

// unit_length is 4 bytes, or 0xffffffff then 8 bytes for 64-bit DWARF, whose section offsets
// are then 8 bytes wide; 0xfffffff0-0xfffffffe are reserved (§7.4). The unit must fit in the
// section, so stepping to u->end always moves forward by at least 4 bytes.
bool read_unit(const std::vector<uint8_t>& info, size_t at, Unit* u, std::string* error) {
  u->start = at;
  Reader r(info, at, info.size());
  uint64_t len = r.fixed(4);
  if (len == 0xffffffff) {
    u->off_size = 8;
    len = r.fixed(8);
  } else if (len >= 0xfffffff0) {
    *error = fmt::format("unit at {:#x}: reserved unit length {:#x}", at, len);
    return false;
  }
  if (!r.ok() || len > info.size() - r.pos()) {
    *error = fmt::format("unit at {:#x}: length runs past the end of .debug_info", at);
    return false;
  }
  u->end = r.pos() + static_cast<size_t>(len);
  Reader h(info, r.pos(), u->end);
  u->version = static_cast<unsigned>(h.fixed(2));
  if (h.ok() && (u->version < 2 || u->version > 5)) {
    *error = fmt::format("unit at {:#x}: unsupported DWARF version {}", at, u->version);
    return false;
  }
  return read_header_fields(h, u, error);
}

// How each form's value is laid out in .debug_info (DWARF 5 §7.5.6, table 7.6; the GNU forms of
// split DWARF 4 and of dwz's alternate files from binutils' include/dwarf2.def).
enum class Layout : uint8_t {
  kNone,      // flag_present; implicit_const (its value is in the abbreviation)
  kFixed,     // `bytes` bytes
  kAddr,      // the unit's address size
  kOffset,    // 4 bytes, 8 in 64-bit DWARF
  kRefAddr,   // address-sized in DWARF 2, offset-sized later (§7.5.5)
  kUleb,      // a ULEB128
  kSleb,      // an SLEB128
  kString,    // NUL-terminated
  kBlock,     // a length of `bytes` bytes (0: a ULEB128), then that many bytes
  kIndirect,  // a ULEB128 form, then a value of that form
};

struct FormLayout {
  uint16_t form;
  Layout layout;
  uint8_t bytes = 0;
};

constexpr FormLayout kFormLayouts[] = {
    {0x01, Layout::kAddr},       // DW_FORM_addr
    {0x03, Layout::kBlock, 2},   // DW_FORM_block2
    {0x04, Layout::kBlock, 4},   // DW_FORM_block4
    {0x05, Layout::kFixed, 2},   // DW_FORM_data2
    {0x06, Layout::kFixed, 4},   // DW_FORM_data4
    {0x07, Layout::kFixed, 8},   // DW_FORM_data8
    {0x08, Layout::kString},     // DW_FORM_string
    {0x09, Layout::kBlock, 0},   // DW_FORM_block
    {0x0a, Layout::kBlock, 1},   // DW_FORM_block1
    {0x0b, Layout::kFixed, 1},   // DW_FORM_data1
    {0x0c, Layout::kFixed, 1},   // DW_FORM_flag
    {0x0d, Layout::kSleb},       // DW_FORM_sdata
    {0x0e, Layout::kOffset},     // DW_FORM_strp
    {0x0f, Layout::kUleb},       // DW_FORM_udata
    {0x10, Layout::kRefAddr},    // DW_FORM_ref_addr
    {0x11, Layout::kFixed, 1},   // DW_FORM_ref1
    {0x12, Layout::kFixed, 2},   // DW_FORM_ref2
    {0x13, Layout::kFixed, 4},   // DW_FORM_ref4
    {0x14, Layout::kFixed, 8},   // DW_FORM_ref8
    {0x15, Layout::kUleb},       // DW_FORM_ref_udata
    {0x16, Layout::kIndirect},   // DW_FORM_indirect
    {0x17, Layout::kOffset},     // DW_FORM_sec_offset
    {0x18, Layout::kBlock, 0},   // DW_FORM_exprloc
    {0x19, Layout::kNone},       // DW_FORM_flag_present
    {0x1a, Layout::kUleb},       // DW_FORM_strx
    {0x1b, Layout::kUleb},       // DW_FORM_addrx
    {0x1c, Layout::kFixed, 4},   // DW_FORM_ref_sup4
    {0x1d, Layout::kOffset},     // DW_FORM_strp_sup
    {0x1e, Layout::kFixed, 16},  // DW_FORM_data16
    {0x1f, Layout::kOffset},     // DW_FORM_line_strp
    {0x20, Layout::kFixed, 8},   // DW_FORM_ref_sig8
    {0x21, Layout::kNone},       // DW_FORM_implicit_const
    {0x22, Layout::kUleb},       // DW_FORM_loclistx
    {0x23, Layout::kUleb},       // DW_FORM_rnglistx
    {0x24, Layout::kFixed, 8},   // DW_FORM_ref_sup8
    {0x25, Layout::kFixed, 1},   // DW_FORM_strx1
    {0x26, Layout::kFixed, 2},   // DW_FORM_strx2
    {0x27, Layout::kFixed, 3},   // DW_FORM_strx3
    {0x28, Layout::kFixed, 4},   // DW_FORM_strx4
    {0x29, Layout::kFixed, 1},   // DW_FORM_addrx1
    {0x2a, Layout::kFixed, 2},   // DW_FORM_addrx2
    {0x2b, Layout::kFixed, 3},   // DW_FORM_addrx3
    {0x2c, Layout::kFixed, 4},   // DW_FORM_addrx4
    {0x1f01, Layout::kUleb},     // DW_FORM_GNU_addr_index
    {0x1f02, Layout::kUleb},     // DW_FORM_GNU_str_index
    {0x1f20, Layout::kOffset},   // DW_FORM_GNU_ref_alt
    {0x1f21, Layout::kOffset},   // DW_FORM_GNU_strp_alt
};

const FormLayout* form_layout(uint64_t form) {
  for (const FormLayout& f : kFormLayouts)
    if (f.form == form) return &f;
  return nullptr;
}

// DW_FORM_indirect: the actual form is a ULEB128 in .debug_info before the value (§7.5.3); it
// may be indirect again, but each level consumes a byte, so this ends with the data.
uint64_t resolve_form(Reader& r, uint64_t form) {
  while (form == kFormIndirect && r.ok()) form = r.uleb();
  return form;
}

uint64_t block_length(Reader& r, uint8_t bytes) { return bytes == 0 ? r.uleb() : r.fixed(bytes); }

// Skips the value of a (resolved) form; false for a form this does not know.
bool skip_value(Reader& r, uint64_t form, const Unit& u, std::string* error) {
  const FormLayout* f = form_layout(form);
  if (f == nullptr || f->layout == Layout::kIndirect) {
    *error = fmt::format("unit at {:#x}: unknown attribute form {:#x}", u.start, form);
    return false;
  }
  switch (f->layout) {
    case Layout::kFixed:
      r.skip(f->bytes);
      break;
    case Layout::kAddr:
      r.skip(u.addr_size);
      break;
    case Layout::kOffset:
      r.skip(u.off_size);
      break;
    case Layout::kRefAddr:
      r.skip(u.version <= 2 ? u.addr_size : u.off_size);
      break;
    case Layout::kUleb:
      r.uleb();
      break;
    case Layout::kSleb:
      r.sleb();
      break;
    case Layout::kString:
      r.skip_cstring();
      break;
    case Layout::kBlock:
      r.skip(block_length(r, f->bytes));
      break;
    case Layout::kNone:
    case Layout::kIndirect:
      break;
  }
  return true;
}

// A constant-class attribute value (DW_AT_language, DW_AT_decl_line, …) and where it is.
struct Constant {
  bool present = false;
  uint64_t value = 0;
  bool in_abbrev = false;  // DW_FORM_implicit_const: the value is in .debug_abbrev
  size_t pos = 0;          // offset of its low byte
};

// The value of a constant-class attribute (§7.5.5) at r, per its form. Another form (never
// produced for DW_AT_language, DW_AT_decl_*) leaves it absent and r where it was.
void read_constant(Reader& r, uint64_t form, const AttrSpec& spec, Constant* lang) {
  lang->pos = r.pos();
  switch (form) {
    case kFormData1:
      lang->value = r.fixed(1);
      break;
    case kFormData2:
      lang->value = r.fixed(2);
      break;
    case kFormData4:
      lang->value = r.fixed(4);
      break;
    case kFormData8:
      lang->value = r.fixed(8);
      break;
    case kFormUdata:
      lang->value = r.uleb();
      break;
    case kFormSdata:
      lang->value = static_cast<uint64_t>(r.sleb());
      break;
    case kFormImplicitConst:
      lang->value = static_cast<uint64_t>(spec.implicit_const);
      lang->in_abbrev = true;
      lang->pos = spec.const_pos;
      break;
    default:
      return;
  }
  lang->present = r.ok();
}

// Walks the root DIE's attributes up to DW_AT_language.
bool find_language(Reader& r, const Abbrev& a, const Unit& u, Constant* lang, std::string* error) {
  for (const AttrSpec& spec : a.attrs) {
    const uint64_t form = resolve_form(r, spec.form);
    if (spec.at == kAtLanguage) {
      read_constant(r, form, spec, lang);
      break;
    }
    if (!skip_value(r, form, u, error)) return false;
  }
  if (r.ok()) return true;
  *error = fmt::format("unit at {:#x}: root DIE runs past the end of the unit", u.start);
  return false;
}

// ---- the plan: every byte to change, applied only when the whole walk succeeded ----

// A one-byte change: the low 7 bits of the byte at an offset become `low7`. The byte holds the
// low 7 bits of a ULEB128/SLEB128 (tags, udata/sdata/implicit_const languages; its bit 7 says
// whether more bytes follow, kept), or the low byte of a little-endian data1-8 language (0x16:
// bit 7 clear, higher bytes zero). Old and new values are both below 0x40, so an SLEB128 keeps
// its sign and every encoding keeps its length.
using Patches = std::map<size_t, uint8_t>;
// Whole bytes of .debug_info written as they are (the emptied address ranges): offset -> byte.
using RawPatches = std::map<size_t, uint8_t>;

// What the walk keeps of a DW_TAG_subprogram DIE of a Go unit.
struct Subprogram {
  std::string_view name;  // an inline (DW_FORM_string) name, as Go writes them; else empty
  bool trampoline = false;
  Constant decl_file, decl_line;
  bool has_low = false, has_high = false;
  uint64_t low_form = 0, high_form = 0;
  size_t low_pos = 0, high_pos = 0, high_end = 0;  // offsets of the values in .debug_info
  unsigned addr_size = 0, version = 0;
};

struct Plan {
  Patches info, abbrev;
  RawPatches info_raw;
  std::set<uint64_t> go_tables;  // abbreviation tables used by Go units
  // Go before 1.21 writes no DW_AT_decl_line for functions: its ABI wrappers are the
  // <autogenerated> (file 1) subprograms named like a function declared in another file, decided
  // once every Go unit has been walked.
  std::vector<Subprogram> undecided;
  std::unordered_set<std::string_view> real_names;  // subprograms declared in a file other than 1
  CViewStats stats;
};

const AbbrevTable* table_at(std::map<uint64_t, AbbrevTable>& tables,
                            const std::vector<uint8_t>& abbrev, uint64_t off, std::string* error) {
  auto it = tables.find(off);
  if (it != tables.end()) return &it->second;
  AbbrevTable t;
  if (!parse_abbrev_table(abbrev, off, &t, error)) return nullptr;
  return &tables.emplace(off, std::move(t)).first->second;
}

// ---- ABI wrappers ----
//
// Go emits a DW_TAG_subprogram for each ABI wrapper (runtime.newstack.abi0 around
// runtime.newstack, and the reverse for assembly functions called from Go) with the DW_AT_name of
// the function it wraps, and one for each method wrapper, marked DW_AT_trampoline. Read as C,
// `breakpoint set -n runtime.newstack` resolves to both. A wrapper is marked DW_AT_trampoline
// (go1.19), or declared on line 1 (go1.21 on: <autogenerated>:1; a Go function never is, the
// package clause is there), or, without DW_AT_decl_line (go1.19), declared in file 1
// (<autogenerated>) and named like a subprogram declared in another file. Its range is emptied:
// LLDB then neither resolves breakpoints to it nor names its pcs by DWARF (the ELF symbol
// ….abi0 does, as without the C view).

// The value of one attribute of a subprogram at r, kept in *s when it is one of those above.
bool read_subprogram_attr(const std::vector<uint8_t>& info, Reader& r, const AttrSpec& spec,
                          uint64_t form, const Unit& u, Subprogram* s, std::string* error) {
  const size_t at = r.pos();
  switch (spec.at) {
    case kAtName:
      if (form != kFormString) break;
      r.skip_cstring();
      if (r.ok())
        s->name =
            std::string_view(reinterpret_cast<const char*>(info.data()) + at, r.pos() - at - 1);
      return true;
    case kAtTrampoline:
      if (form == kFormFlag) {
        s->trampoline = r.fixed(1) != 0;
        return true;
      }
      s->trampoline = true;  // flag_present, or the target as a reference, string or address
      break;
    case kAtDeclFile:
    case kAtDeclLine: {
      Constant* c = spec.at == kAtDeclFile ? &s->decl_file : &s->decl_line;
      read_constant(r, form, spec, c);
      if (c->present || !r.ok()) return true;
      break;
    }
    case kAtLowPc:
      s->has_low = true;
      s->low_form = form;
      s->low_pos = at;
      break;
    case kAtHighPc:
      s->has_high = true;
      s->high_form = form;
      s->high_pos = at;
      if (!skip_value(r, form, u, error)) return false;
      s->high_end = r.pos();
      return true;
    default:
      break;
  }
  return skip_value(r, form, u, error);
}

// Plans an empty range for a wrapper: a DW_AT_high_pc that is a length (a constant form, DWARF 4
// on) becomes 0 in the same bytes (an LEB128 as a padded 0: 0x80 … 0x80 0x00); one that is an
// address becomes a copy of an address DW_AT_low_pc. Anything else cannot be done in place.
bool plan_empty_range(const std::vector<uint8_t>& info, const Subprogram& s, Plan* plan) {
  if (!s.has_high || s.high_end <= s.high_pos) return false;
  switch (s.high_form) {
    case kFormData1:
    case kFormData2:
    case kFormData4:
    case kFormData8:
    case kFormUdata:
    case kFormSdata:
      if (s.version < 4) return false;  // a constant high_pc is an offset only since DWARF 4
      for (size_t i = s.high_pos; i < s.high_end; ++i) {
        const bool leb = s.high_form == kFormUdata || s.high_form == kFormSdata;
        plan->info_raw[i] = leb && i + 1 < s.high_end ? 0x80 : 0;
      }
      return true;
    case kFormAddr:
      if (!s.has_low || s.low_form != kFormAddr) return false;
      for (size_t i = 0; i < s.addr_size; ++i) plan->info_raw[s.high_pos + i] = info[s.low_pos + i];
      return true;
    default:
      return false;
  }
}

void empty_wrapper(const std::vector<uint8_t>& info, const Subprogram& s, Plan* plan) {
  if (!s.has_low && !s.has_high) return;  // no range (an abstract or declaration DIE)
  if (plan_empty_range(info, s, plan))
    ++plan->stats.wrappers;
  else
    ++plan->stats.wrappers_skipped;
}

void classify_subprogram(const std::vector<uint8_t>& info, const Subprogram& s, Plan* plan) {
  if (s.decl_file.present && s.decl_file.value != 1 && !s.name.empty())
    plan->real_names.insert(s.name);
  if (s.trampoline || (s.decl_line.present && s.decl_line.value == 1)) {
    empty_wrapper(info, s, plan);
    return;
  }
  if (!s.decl_line.present && s.decl_file.present && s.decl_file.value == 1 && !s.name.empty())
    plan->undecided.push_back(s);
}

void decide_undecided(const std::vector<uint8_t>& info, Plan* plan) {
  for (const Subprogram& s : plan->undecided)
    if (plan->real_names.count(s.name) != 0) empty_wrapper(info, s, plan);
}

// One DIE's attributes, at r after its code.
bool read_die(const std::vector<uint8_t>& info, Reader& r, const Abbrev& a, const Unit& u,
              Plan* plan, std::string* error) {
  if (a.tag != kTagSubprogram) {
    for (const AttrSpec& spec : a.attrs)
      if (!skip_value(r, resolve_form(r, spec.form), u, error)) return false;
    return true;
  }
  Subprogram s;
  s.addr_size = u.addr_size;
  s.version = u.version;
  for (const AttrSpec& spec : a.attrs) {
    const uint64_t form = resolve_form(r, spec.form);
    if (!read_subprogram_attr(info, r, spec, form, u, &s, error)) return false;
  }
  if (r.ok()) classify_subprogram(info, s, plan);
  return true;
}

// Every DIE of a Go unit, in order: a DIE whose abbreviation says DW_CHILDREN_yes is followed by
// its children and a null entry; nulls past the root's children (padding) are accepted. Each
// entry consumes at least a byte, so this ends with the unit.
bool walk_go_unit(const std::vector<uint8_t>& info, const Unit& u, const AbbrevTable& table,
                  Plan* plan, std::string* error) {
  Reader r(info, u.die, u.end);
  size_t depth = 0;
  while (r.ok() && !r.at_end()) {
    const size_t die = r.pos();
    const uint64_t code = r.uleb();
    if (!r.ok()) break;
    if (code == 0) {
      if (depth > 0) --depth;
      continue;
    }
    auto it = table.find(code);
    if (it == table.end()) {
      *error = fmt::format("unit at {:#x}: DIE at {:#x}: abbreviation code {} is not in the table",
                           u.start, die, code);
      return false;
    }
    if (!read_die(info, r, it->second, u, plan, error)) return false;
    if (it->second.children) ++depth;
  }
  if (!r.ok()) {
    *error = fmt::format("unit at {:#x}: a DIE runs past the end of the unit", u.start);
    return false;
  }
  if (depth != 0) {
    *error = fmt::format("unit at {:#x}: {} lists of children are not ended", u.start, depth);
    return false;
  }
  return true;
}

bool plan_unit(const std::vector<uint8_t>& info, const Unit& u, const AbbrevTable& table,
               Plan* plan, std::string* error) {
  Reader r(info, u.die, u.end);
  const uint64_t code = r.uleb();
  if (!r.ok()) {
    *error = fmt::format("unit at {:#x}: no root DIE", u.start);
    return false;
  }
  Constant lang;
  if (code != 0) {  // code 0: a null entry, a unit without a root DIE
    auto it = table.find(code);
    if (it == table.end()) {
      *error = fmt::format("unit at {:#x}: abbreviation code {} is not in the table at {:#x}",
                           u.start, code, u.abbrev_offset);
      return false;
    }
    if (!find_language(r, it->second, u, &lang, error)) return false;
  }
  if (!lang.present || lang.value != kLangGo) {
    ++plan->stats.other_units;
    return true;
  }
  ++plan->stats.go_units;
  (lang.in_abbrev ? plan->abbrev : plan->info)[lang.pos] = kLangC99;
  plan->go_tables.insert(u.abbrev_offset);
  return walk_go_unit(info, u, table, plan, error);
}

// Go's func types (DW_ABRV_FUNCTYPE in cmd/link) are the only subroutine types with a
// DW_AT_byte_size; C compilers never give one. Retagged as DW_TAG_pointer_type without a
// DW_AT_type they read as void*, 8 bytes like the Go func value they describe.
//
// Go's parameters (DW_TAG_formal_parameter, results too) become DW_TAG_variable: a function that
// has arguments is printed by LLDB's frame format with them spliced in at the first '(' of its
// name, which in a Go method name is the receiver's — `runtime.(h=0x…, npages=8192).allocSpan`
// for runtime.(*mheap).allocSpan. As variables they are listed, looked up and evaluated the
// same, and names print as they are. Both tags are one-byte ULEB128s.
void plan_retags(const std::map<uint64_t, AbbrevTable>& tables, Plan* plan) {
  for (uint64_t off : plan->go_tables) {
    for (const auto& entry : tables.at(off)) {
      const Abbrev& a = entry.second;
      if (a.tag == kTagFormalParameter) {
        if (plan->abbrev.emplace(a.tag_pos, kTagVariable).second) ++plan->stats.param_abbrevs;
        continue;
      }
      if (a.tag != kTagSubroutineType || !a.has(kAtByteSize)) continue;
      if (plan->abbrev.emplace(a.tag_pos, kTagPointerType).second) ++plan->stats.func_abbrevs;
    }
  }
}

bool plan_patch(const std::vector<uint8_t>& info, const std::vector<uint8_t>& abbrev, Plan* plan,
                std::string* error) {
  std::map<uint64_t, AbbrevTable> tables;
  for (size_t at = 0; at < info.size();) {  // read_unit guarantees progress
    Unit u;
    if (!read_unit(info, at, &u, error)) return false;
    const AbbrevTable* table = table_at(tables, abbrev, u.abbrev_offset, error);
    if (table == nullptr) return false;
    if (!plan_unit(info, u, *table, plan, error)) return false;
    at = u.end;
  }
  decide_undecided(info, plan);
  plan_retags(tables, plan);
  return true;
}

void apply_patches(const Patches& patches, std::vector<uint8_t>& bytes) {
  for (const auto& [pos, low7] : patches)
    bytes[pos] = static_cast<uint8_t>((bytes[pos] & 0x80) | low7);
}

// ---- files ----

constexpr uint64_t kShfCompressed = 0x800;
constexpr uint32_t kShtNobits = 8;

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0, offset = 0, size = 0;
};

struct ElfInfo {
  uint16_t machine = 0;
  uint64_t file_size = 0;
  std::vector<Section> sections;
  const Section* find(std::string_view name) const {
    for (const Section& s : sections)
      if (s.name == name) return &s;
    return nullptr;
  }
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::strerror(err); }

// pread/pwrite until done (they may transfer less than asked, or be interrupted).
bool pread_all(int fd, void* buf, size_t len, uint64_t off) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    const ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return true;
}

bool pwrite_all(int fd, const void* buf, size_t len, uint64_t off) {
  const auto* p = static_cast<const uint8_t*>(buf);
  while (len > 0) {
    const ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return true;
}

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) { return le16(p) | (static_cast<uint32_t>(le16(p + 2)) << 16); }
uint64_t le64(const uint8_t* p) { return le32(p) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

bool in_file(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

// Section names from .shstrtab (bounded by the table; an unterminated name ends with it).
void name_sections(int fd, ElfInfo* elf, const std::vector<uint64_t>& name_offsets,
                   uint32_t shstrndx) {
  if (shstrndx >= elf->sections.size()) return;
  const Section& t = elf->sections[shstrndx];
  if (t.type == kShtNobits || !in_file(t.offset, t.size, elf->file_size) || t.size > (64u << 20))
    return;
  std::string table(t.size, '\0');
  if (!pread_all(fd, table.data(), table.size(), t.offset)) return;
  for (size_t i = 0; i < elf->sections.size(); ++i) {
    if (name_offsets[i] >= table.size()) continue;
    const char* s = table.data() + name_offsets[i];
    elf->sections[i].name.assign(s, strnlen(s, table.size() - name_offsets[i]));
  }
}

// The section table of an ELF64 little-endian file, read with pread (the file may be large:
// only its headers and .shstrtab are read). Extended numbering: counts in section header 0.
bool read_section_table(int fd, ElfInfo* elf, const uint8_t* eh, std::string* error) {
  const uint64_t shoff = le64(eh + 40);
  const uint16_t shentsize = le16(eh + 58);
  uint64_t shnum = le16(eh + 60);
  uint32_t shstrndx = le16(eh + 62);
  uint8_t first[64];
  if (shoff == 0 || shentsize < 64 || !in_file(shoff, 64, elf->file_size) ||
      !pread_all(fd, first, sizeof first, shoff)) {
    *error = "no readable section header table";
    return false;
  }
  if (shnum == 0) shnum = le64(first + 32);
  if (shstrndx == 0xffff) shstrndx = le32(first + 40);
  if (shnum == 0 || shnum > (elf->file_size - shoff) / shentsize) {
    *error = "section header table does not fit in the file";
    return false;
  }
  std::vector<uint8_t> raw(shnum * shentsize);
  if (!pread_all(fd, raw.data(), raw.size(), shoff)) {
    *error = "cannot read the section header table";
    return false;
  }
  std::vector<uint64_t> names(shnum);
  elf->sections.resize(shnum);
  for (uint64_t i = 0; i < shnum; ++i) {
    const uint8_t* h = raw.data() + i * shentsize;
    names[i] = le32(h);
    elf->sections[i] = Section{{}, le32(h + 4), le64(h + 8), le64(h + 24), le64(h + 32)};
  }
  name_sections(fd, elf, names, shstrndx);
  return true;
}

bool read_elf(int fd, ElfInfo* elf, std::string* error) {
  struct stat st {};
  uint8_t eh[64];
  if (::fstat(fd, &st) != 0 || st.st_size < 64 || !pread_all(fd, eh, sizeof eh, 0) ||
      std::memcmp(eh,
                  "\x7f"
                  "ELF",
                  4) != 0) {
    *error = "not an ELF file";
    return false;
  }
  if (eh[4] != 2 || eh[5] != 1) {
    *error = "not an ELF64 little-endian file";
    return false;
  }
  elf->machine = le16(eh + 18);
  elf->file_size = static_cast<uint64_t>(st.st_size);
  return read_section_table(fd, elf, eh, error);
}

bool read_elf_path(const std::string& path, int flags, Fd* fd, ElfInfo* elf, std::string* error) {
  fd->reset(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd->get() < 0) {
    *error = fmt::format("{}: cannot open: {}", path, errno_text(errno));
    return false;
  }
  if (read_elf(fd->get(), elf, error)) return true;
  *error = fmt::format("{}: {}", path, *error);
  return false;
}

// Size of a section once decompressed: an SHF_COMPRESSED section starts with an Elf64_Chdr
// (ch_size at +8); an old-style .zdebug one with "ZLIB" and a big-endian 64-bit size.
uint64_t uncompressed_size(int fd, const Section& s) {
  uint8_t h[24] = {};
  if (s.type == kShtNobits || s.size < 12 ||
      !pread_all(fd, h, std::min<uint64_t>(s.size, 24), s.offset))
    return s.size;
  if ((s.flags & kShfCompressed) != 0 && s.size >= 24) return le64(h + 8);
  if (s.name.rfind(".zdebug", 0) == 0 && std::memcmp(h, "ZLIB", 4) == 0) {
    uint64_t v = 0;
    for (int i = 4; i < 12; ++i) v = (v << 8) | h[i];
    return v;
  }
  return s.size;
}

// Everything about `exe` checked before running anything.
bool check_exe(const std::string& exe, uint16_t* machine, std::string* error) {
  Fd fd(-1);
  ElfInfo elf;
  if (!read_elf_path(exe, O_RDONLY, &fd, &elf, error)) return false;
  *machine = elf.machine;
  const Section* info = elf.find(".debug_info");
  if (info == nullptr) info = elf.find(".zdebug_info");
  if (info == nullptr || info->type == kShtNobits) {
    *error = fmt::format("{}: no .debug_info section (built with -ldflags=-w, or stripped?)", exe);
    return false;
  }
  if (uint64_t size = uncompressed_size(fd.get(), *info); size > kMaxSection) {
    *error = fmt::format("{}: .debug_info is {} MiB, more than the 1 GiB limit", exe, size >> 20);
    return false;
  }
  return true;
}

// ---- objcopy ----

std::string find_on_path(const std::string& name) {
  const char* env = std::getenv("PATH");
  const std::string path = env != nullptr ? env : "/usr/bin:/bin";
  for (size_t start = 0; start <= path.size();) {  // each step moves past a ':'
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return {};
}

constexpr uint16_t kEmX86_64 = 62, kEmAarch64 = 183, kEmRiscv = 243, kEmPpc64 = 21;
constexpr uint16_t kEmLoongarch = 258;

uint16_t host_machine() {
#if defined(__x86_64__)
  return kEmX86_64;
#elif defined(__aarch64__)
  return kEmAarch64;
#else
  return 0;
#endif
}

// binutils' objcopy reads only the architectures it was configured for: a distribution's plain
// objcopy knows the host's ("Unable to recognise the format" for an arm64 executable on an
// x86-64 host). Cross binutils install <triplet>-objcopy, tried first for a foreign executable.
std::string pick_objcopy(uint16_t machine) {
  static const std::map<uint16_t, const char*> kTriplets = {
      {kEmX86_64, "x86_64-linux-gnu"},
      {kEmAarch64, "aarch64-linux-gnu"},
      {kEmRiscv, "riscv64-linux-gnu"},
      {kEmPpc64, "powerpc64le-linux-gnu"},
      {kEmLoongarch, "loongarch64-linux-gnu"}};
  auto it = kTriplets.find(machine);
  if (machine != host_machine() && it != kTriplets.end()) {
    std::string cross = find_on_path(std::string(it->second) + "-objcopy");
    if (!cross.empty()) return cross;
  }
  return find_on_path("objcopy");
}

// A path as an argument: one starting with '-' would read as an option.
std::string path_arg(const std::string& p) { return p.rfind('-', 0) == 0 ? "./" + p : p; }

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// objcopy can take long on a huge file, never this long: a hung one is killed.
constexpr auto kToolTimeout = std::chrono::seconds(300);

// Collects the child's stderr (first 4 KiB) until it closes it or the deadline passes.
bool collect_stderr(int fd, std::string* text) {
  const auto deadline = std::chrono::steady_clock::now() + kToolTimeout;
  char buf[4096];
  for (;;) {  // ends at EOF, on an error, or at the deadline
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) return true;
    if (rc <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    if (text->size() < sizeof buf) text->append(buf, static_cast<size_t>(n));
  }
}

struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  explicit SpawnSetup(int err_fd) {
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    // A debugger may block or ignore signals; objcopy should start with none of that.
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Waits for our child. ECHILD (a host that reaps every child, as some debuggers' SIGCHLD
// handlers do) leaves the status unknown: the caller checks the file the tool was to write.
bool wait_child(pid_t pid, int* status) {
  for (;;) {  // ends unless waitpid keeps being interrupted by signals
    if (::waitpid(pid, status, 0) == pid) return true;
    if (errno != EINTR) return false;
  }
}

// Starts `tool args…` with stdin and stdout on /dev/null and stderr into err_fd. Returns
// posix_spawn's error number (0 on success).
int spawn(const std::string& tool, const std::vector<std::string>& args, int err_fd, pid_t* pid) {
  std::vector<std::string> storage{tool};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(storage.size() + 1);
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  SpawnSetup setup(err_fd);
  return ::posix_spawn(pid, tool.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
}

bool run_tool(const std::string& tool, const std::vector<std::string>& args, std::string* error) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = fmt::format("pipe: {}", errno_text(errno));
    return false;
  }
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  pid_t pid = 0;
  const int rc = spawn(tool, args, write_end.get(), &pid);
  ::close(write_end.release());  // our copy: EOF on the read end once the child exits
  if (rc != 0) {
    *error = fmt::format("cannot run {}: {}", tool, errno_text(rc));
    return false;
  }
  std::string text;
  const bool finished = collect_stderr(read_end.get(), &text);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  if (!wait_child(pid, &status)) return finished;
  if (finished && WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  *error = !finished ? fmt::format("{} timed out", tool)
                     : fmt::format("{} failed: {}", tool,
                                   text.empty() ? "exit status " + std::to_string(status)
                                                : first_line(text));
  return false;
}

// ---- the debug file ----

// A directory next to `out` for the intermediate files (same filesystem, so the result can be
// renamed into place); removed with everything in it on every path.
class TempDir {
 public:
  explicit TempDir(const std::string& out) {
    std::string tmpl = out + ".cgounwind-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr)
      path_ = tmpl;
    else
      error_ = errno_text(errno);
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_, error_;
};

bool read_section(int fd, const ElfInfo& elf, const char* name, std::vector<uint8_t>* bytes,
                  std::string* error) {
  const Section* s = elf.find(name);
  if (s == nullptr || s->type == kShtNobits) {
    *error = fmt::format("no {} section", name);
    return false;
  }
  if ((s->flags & kShfCompressed) != 0) {
    *error = fmt::format("{} is still compressed after objcopy --decompress-debug-sections", name);
    return false;
  }
  if (s->size > kMaxSection || !in_file(s->offset, s->size, elf.file_size)) {
    *error = fmt::format("{} is larger than 1 GiB or outside the file", name);
    return false;
  }
  bytes->resize(s->size);
  if (pread_all(fd, bytes->data(), bytes->size(), s->offset)) return true;
  *error = fmt::format("cannot read {}: {}", name, errno_text(errno));
  return false;
}

bool write_section(int fd, const ElfInfo& elf, const char* name, const std::vector<uint8_t>& bytes,
                   std::string* error) {
  if (pwrite_all(fd, bytes.data(), bytes.size(), elf.find(name)->offset)) return true;
  *error = fmt::format("cannot write {}: {}", name, errno_text(errno));
  return false;
}

// Patches the decompressed copy in place: its sections keep their sizes and file offsets.
bool patch_file(const std::string& path, CViewStats* stats, std::string* error) {
  Fd fd(-1);
  ElfInfo elf;
  if (!read_elf_path(path, O_RDWR, &fd, &elf, error)) return false;
  std::vector<uint8_t> info, abbrev;
  if (!read_section(fd.get(), elf, ".debug_info", &info, error) ||
      !read_section(fd.get(), elf, ".debug_abbrev", &abbrev, error) ||
      !patch_go_units_as_c(info, abbrev, stats, error))
    return false;
  if (stats->go_units == 0) {
    *error = fmt::format("no Go compile unit in .debug_info ({} other units)", stats->other_units);
    return false;
  }
  if (!write_section(fd.get(), elf, ".debug_info", info, error) ||
      !write_section(fd.get(), elf, ".debug_abbrev", abbrev, error))
    return false;
  if (::close(fd.release()) == 0) return true;
  *error = fmt::format("cannot write {}: {}", path, errno_text(errno));
  return false;
}

// LLDB silently ignores a separate debug file with compressed sections: make sure there are
// none, and that the debug information is there at all.
bool check_output(const std::string& path, std::string* error) {
  Fd fd(-1);
  ElfInfo elf;
  if (!read_elf_path(path, O_RDONLY, &fd, &elf, error)) return false;
  const Section* info = elf.find(".debug_info");
  if (info == nullptr || info->type == kShtNobits) {
    *error = "objcopy --only-keep-debug wrote no .debug_info";
    return false;
  }
  for (const Section& s : elf.sections) {
    if ((s.flags & kShfCompressed) != 0) {
      *error = fmt::format("objcopy --only-keep-debug left {} compressed", s.name);
      return false;
    }
  }
  return true;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

bool write_view(const std::string& exe, const std::string& out, CViewStats* stats,
                std::string* error) {
  if (exe.empty() || out.empty() || same_file(exe, out)) {
    *error = "need an executable and a different output path";
    return false;
  }
  uint16_t machine = 0;
  if (!check_exe(exe, &machine, error)) return false;
  const std::string objcopy = pick_objcopy(machine);
  if (objcopy.empty()) {
    *error = "objcopy (binutils) not found on PATH";
    return false;
  }
  TempDir dir(out);
  if (dir.path().empty()) {
    *error = fmt::format("cannot create a temporary directory next to {}: {}", out, dir.error());
    return false;
  }
  const std::string decompressed = dir.path() + "/decompressed", kept = dir.path() + "/debug";
  if (!run_tool(objcopy, {"--decompress-debug-sections", path_arg(exe), path_arg(decompressed)},
                error) ||
      !patch_file(decompressed, stats, error) ||
      !run_tool(objcopy, {"--only-keep-debug", path_arg(decompressed), path_arg(kept)}, error) ||
      !check_output(kept, error))
    return false;
  if (::rename(kept.c_str(), out.c_str()) == 0) return true;
  *error = fmt::format("cannot write {}: {}", out, errno_text(errno));
  return false;
}

}  // namespace

bool patch_go_units_as_c(std::vector<uint8_t>& debug_info, std::vector<uint8_t>& debug_abbrev,
                         CViewStats* stats, std::string* error) {
  std::string err;
  try {
    Plan plan;
    if (plan_patch(debug_info, debug_abbrev, &plan, &err)) {
      apply_patches(plan.info, debug_info);
      apply_patches(plan.abbrev, debug_abbrev);
      for (const auto& [pos, byte] : plan.info_raw) debug_info[pos] = byte;
      if (stats != nullptr) *stats = plan.stats;
      return true;
    }
  } catch (const std::exception& e) {
    err = fmt::format("DWARF patch failed: {}", e.what());
  } catch (...) {
    err = "DWARF patch failed";
  }
  if (error != nullptr) *error = "DWARF: " + err;
  return false;
}

bool write_c_view_debug_file(const std::string& exe, const std::string& out, CViewStats* stats,
                             std::string* error) {
  std::string err;
  CViewStats local;
  bool ok = false;
  try {
    ok = write_view(exe, out, &local, &err);
  } catch (const std::exception& e) {
    err = e.what();
  } catch (...) {
    err = "unknown error";
  }
  if (stats != nullptr) *stats = local;
  if (!ok && error != nullptr) *error = err.empty() ? "C view: failed" : first_line(err);
  return ok;
}

}  // namespace cgounwind
