// Go pclntab reader (Go 1.18+ layouts). The spec is the Go source: runtime/symtab.go
// (pcHeader, moduledata, _func, pcvalue, step) and debug/gosym/pclntab.go.
//
//   pcHeader:  magic u32 | pad u8 pad u8 | minLC u8 | ptrSize u8 |
//              nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset,
//              pctabOffset, pclnOffset  (uintptr each)
//   At pclnOffset: functab = nfunc × {entryoff u32, funcoff u32} + sentinel entryoff u32;
//   funcoff is relative to pclnOffset ("funcdata"), entryoff to moduledata.text.
//   _func:     entryOff u32, nameOff i32, args i32, deferreturn u32, pcsp u32, pcfile u32,
//              pcln u32, npcdata u32, cuOffset u32, [Go 1.20+ (magic f1): startLine i32],
//              funcID u8, flag u8, pad u8, nfuncdata u8.
//
// Everything is bounds-checked; malformed input yields false / nullopt, never a crash.
#include "cgounwind/pclntab.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "cgounwind/elf.h"

namespace cgounwind {
namespace {

constexpr uint32_t kMagic12 = 0xfffffffb;
constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;
constexpr uint64_t kPtrSize = 8;
constexpr uint64_t kHeaderSize = 8 + 8 * kPtrSize;
constexpr size_t kMaxName = 64 * 1024;
// Total funcnametab bytes scanned per load (corrupted nameOffs must not make loading slow).
constexpr uint64_t kScanBudget = 256ull << 20;
// pc-value steps that do not advance the pc (real tables have at most a handful in a row).
constexpr int kMaxStallSteps = 256;
constexpr uint32_t kShtProgbits = 1;
constexpr uint64_t kShfWrite = 0x1;
constexpr uint64_t kShfAlloc = 0x2;
constexpr uint64_t kShfExecinstr = 0x4;
// _func field offsets.
constexpr uint32_t kFuncNameOff = 4;
constexpr uint32_t kFuncPcsp = 16;
constexpr uint32_t kFuncPcfile = 20;
constexpr uint32_t kFuncPcln = 24;
constexpr uint32_t kFuncCuOffset = 32;
// moduledata (identical prefix in Go 1.18 … 1.26): pcHeader ptr, 6 slices (funcnametab, cutab,
// filetab, pctab, pclntable, ftab), findfunctab, minpc, maxpc, text, etext.
constexpr uint64_t kMdFuncnametab = 1 * 8;
constexpr uint64_t kMdMinpc = 20 * 8;
constexpr uint64_t kMdMaxpc = 21 * 8;
constexpr uint64_t kMdText = 22 * 8;
constexpr uint64_t kMdEtext = 23 * 8;
constexpr uint64_t kMdSize = 24 * 8;

bool in_range(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

uint32_t le32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}
uint64_t le64(const char* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

std::optional<uint32_t> u32_at(std::string_view d, uint64_t off) {
  if (!in_range(off, 4, d.size())) return std::nullopt;
  return le32(d.data() + off);
}

// NUL-terminated string at `off`, searched no further than `limit` (exclusive).
std::optional<std::string> cstring_at(std::string_view d, uint64_t off, uint64_t limit,
                                      uint64_t* budget = nullptr) {
  limit = std::min<uint64_t>(limit, d.size());
  if (off >= limit) return std::nullopt;
  uint64_t avail = std::min<uint64_t>(limit - off, kMaxName);
  if (budget != nullptr) avail = std::min(avail, *budget);
  const char* start = d.data() + off;
  const void* nul = std::memchr(start, 0, static_cast<size_t>(avail));
  const uint64_t used = nul == nullptr ? avail : static_cast<const char*>(nul) - start + 1;
  if (budget != nullptr) *budget -= std::min(used, *budget);
  if (nul == nullptr) return std::nullopt;
  return std::string(start, static_cast<const char*>(nul));
}

// Go's readvarint (uint32, little-endian base-128). At most 5 bytes.
bool read_varint(std::string_view d, uint64_t& pos, uint32_t& out) {
  uint32_t v = 0;
  for (uint32_t shift = 0; shift < 35; shift += 7) {
    if (pos >= d.size()) return false;
    auto b = static_cast<uint8_t>(d[pos++]);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      out = v;
      return true;
    }
  }
  return false;
}

struct Header {
  uint32_t magic = 0;
  uint32_t quantum = 0;
  uint64_t nfunc = 0, nfiles = 0, text_start = 0;
  uint64_t funcname = 0, cu = 0, filetab = 0, pctab = 0, pcln = 0;
};

// Parses and validates a Go 1.18+ pcHeader at the start of d.
bool parse_header(std::string_view d, Header& h, std::string& why) {
  if (d.size() < 8) {
    why = fmt::format("pclntab too small ({} bytes)", d.size());
    return false;
  }
  h.magic = le32(d.data());
  if (h.magic == kMagic12 || h.magic == kMagic116) {
    why = fmt::format("unsupported pclntab magic {:#x} (Go < 1.18 layout)", h.magic);
    return false;
  }
  if (h.magic != kMagic118 && h.magic != kMagic120) {
    why = fmt::format("bad pclntab magic {:#x}", h.magic);
    return false;
  }
  const auto* u = reinterpret_cast<const uint8_t*>(d.data());
  if (u[4] != 0 || u[5] != 0) {
    why = "bad pclntab header padding";
    return false;
  }
  h.quantum = u[6];
  if (h.quantum != 1 && h.quantum != 2 && h.quantum != 4) {
    why = fmt::format("bad pclntab pc quantum {}", h.quantum);
    return false;
  }
  if (u[7] != kPtrSize) {
    why = fmt::format("unsupported pclntab pointer size {} (only 64-bit is supported)", u[7]);
    return false;
  }
  if (d.size() < kHeaderSize) {
    why = fmt::format("pclntab header truncated ({} bytes)", d.size());
    return false;
  }
  auto word = [&](int i) { return le64(d.data() + 8 + i * kPtrSize); };
  h.nfunc = word(0);
  h.nfiles = word(1);
  h.text_start = word(2);
  h.funcname = word(3);
  h.cu = word(4);
  h.filetab = word(5);
  h.pctab = word(6);
  h.pcln = word(7);
  const uint64_t size = d.size();
  if (h.funcname < kHeaderSize || h.funcname > h.cu || h.cu > h.filetab || h.filetab > h.pctab ||
      h.pctab > h.pcln || h.pcln >= size) {
    why = fmt::format(
        "bad pclntab table offsets (funcname {:#x}, cu {:#x}, filetab {:#x}, pctab {:#x}, "
        "pcln {:#x}, size {:#x})",
        h.funcname, h.cu, h.filetab, h.pctab, h.pcln, size);
    return false;
  }
  if (h.nfunc == 0 || h.nfunc > (size - h.pcln) / 8) {
    why = fmt::format("bad pclntab function count {}", h.nfunc);
    return false;
  }
  if (!in_range(h.pcln, (h.nfunc * 2 + 1) * 4, size)) {
    why = "pclntab function table does not fit";
    return false;
  }
  return true;
}

// Bytes from virtual address `addr` to the end of the allocated PROGBITS section holding it.
std::string_view view_vaddr(const ElfFile& elf, uint64_t addr) {
  for (const ElfSection& s : elf.sections()) {
    if (s.type != kShtProgbits || (s.flags & kShfAlloc) == 0) continue;
    if (addr < s.addr || addr - s.addr >= s.size) continue;
    std::string_view d = elf.section_data(s);
    if (d.size() != s.size) continue;
    return d.substr(addr - s.addr);
  }
  return {};
}

bool in_exec_section(const ElfFile& elf, uint64_t addr) {
  for (const ElfSection& s : elf.sections()) {
    if ((s.flags & (kShfAlloc | kShfExecinstr)) != (kShfAlloc | kShfExecinstr)) continue;
    if (addr >= s.addr && addr - s.addr < s.size) return true;
  }
  return false;
}

bool has_exec_section(const ElfFile& elf) {
  for (const ElfSection& s : elf.sections()) {
    if ((s.flags & (kShfAlloc | kShfExecinstr)) == (kShfAlloc | kShfExecinstr) && s.size != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<uint32_t> Pclntab::func_field(uint32_t func_off, uint32_t field_off) const {
  const uint64_t rec = pcln_off_ + func_off;
  if (!in_range(rec, func_size_, data_.size())) return std::nullopt;
  return u32_at(data_, rec + field_off);
}

// Where function entry offsets are measured from (moduledata.text == runtime.text). With
// internal linking that is the start of .text; with external linking (every cgo binary) the C
// runtime objects come first, so .text starts earlier. Go 1.18-1.23 also store it in the
// pcHeader (it needs a relocation); Go 1.26 stores 0 there. Sources, most trusted first:
//   1. the runtime.text symbol (absent when stripped),
//   2. moduledata.text, found by scanning the data sections for the moduledata record that
//      points at this pclntab (works for stripped binaries; in .go.module since Go 1.26,
//      .noptrdata before),
//   3. pcHeader.textStart,
//   4. the .text section address.
// A candidate must put the first function and the end sentinel into an executable section.
// Multiple text sections (moduledata.textsectmap; only ARM, PPC64 and darwin/arm64 external
// links split text) are not supported, same as debug/gosym.
uint64_t Pclntab::find_text_start(const ElfFile& elf, uint64_t pclntab_addr,
                                  uint64_t hdr_text) const {
  const uint32_t first_off = le32(data_.data() + pcln_off_);
  const uint32_t end_off = le32(data_.data() + pcln_off_ + nfunc_ * 8);
  const bool check_exec = has_exec_section(elf);
  auto plausible = [&](uint64_t text) {
    if (text == 0) return false;
    if (!check_exec) return true;
    if (!in_exec_section(elf, text + first_off)) return false;
    return end_off <= first_off || in_exec_section(elf, text + end_off - 1);
  };

  if (auto sym = elf.symbol("runtime.text"); sym && plausible(sym->value)) return sym->value;

  if (pclntab_addr != 0) {
    for (const ElfSection& s : elf.sections()) {
      // moduledata is writable data (.noptrdata, .go.module).
      constexpr uint64_t kWA = kShfAlloc | kShfWrite;
      if (s.type != kShtProgbits || (s.flags & kWA) != kWA || (s.flags & kShfExecinstr)) {
        continue;
      }
      std::string_view d = elf.section_data(s);
      // Candidate positions are pointer-aligned virtual addresses.
      uint64_t start = (8 - (s.addr & 7)) & 7;
      for (uint64_t off = start; off + kMdSize <= d.size(); off += 8) {
        if (le64(d.data() + off) != pclntab_addr) continue;
        if (le64(d.data() + off + kMdFuncnametab) != pclntab_addr + funcname_off_) continue;
        const uint64_t minpc = le64(d.data() + off + kMdMinpc);
        const uint64_t maxpc = le64(d.data() + off + kMdMaxpc);
        const uint64_t text = le64(d.data() + off + kMdText);
        const uint64_t etext = le64(d.data() + off + kMdEtext);
        if (minpc - text != first_off || maxpc - text != end_off || etext < maxpc) continue;
        if (plausible(text)) return text;
      }
    }
  }

  if (plausible(hdr_text)) return hdr_text;
  if (const ElfSection* t = elf.section(".text"); t && plausible(t->addr)) return t->addr;
  return hdr_text;
}

bool Pclntab::load(const ElfFile& elf) {
  *this = Pclntab();
  try {
    // 1. The .gopclntab section (internal and external linking, stripped or not).
    std::string_view d;
    uint64_t addr = 0;
    std::string why;
    Header h;
    bool ok = false;
    if (const ElfSection* s = elf.section(".gopclntab")) {
      d = elf.section_data(*s);
      addr = s->addr;
      if (d.empty()) {
        error_ = ".gopclntab section has no data in the file";
        return false;
      }
      ok = parse_header(d, h, why);
      if (!ok) {
        error_ = fmt::format(".gopclntab: {}", why);
        return false;
      }
    }
    // 2. PIE binaries of Go < 1.26 put the pclntab into .data.rel.ro: runtime.pclntab marks it.
    if (!ok) {
      if (auto sym = elf.symbol("runtime.pclntab"); sym && sym->value != 0) {
        d = view_vaddr(elf, sym->value);
        if (auto end = elf.symbol("runtime.epclntab");
            end && end->value > sym->value && end->value - sym->value <= d.size()) {
          d = d.substr(0, end->value - sym->value);
        }
        addr = sym->value;
        ok = parse_header(d, h, why);
        if (!ok) {
          error_ = fmt::format("runtime.pclntab: {}", why);
          return false;
        }
      }
    }
    // 3. Stripped PIE: look for a valid pcHeader in the read-only/relro data sections.
    if (!ok) {
      for (const ElfSection& s : elf.sections()) {
        if (ok) break;
        if (s.type != kShtProgbits || (s.flags & kShfAlloc) == 0 || (s.flags & kShfExecinstr)) {
          continue;
        }
        std::string_view sd = elf.section_data(s);
        uint64_t start = (8 - (s.addr & 7)) & 7;
        for (uint64_t off = start; off + kHeaderSize <= sd.size(); off += 8) {
          uint32_t m = le32(sd.data() + off);
          if (m != kMagic118 && m != kMagic120) continue;
          std::string ignored;
          if (parse_header(sd.substr(off), h, ignored)) {
            d = sd.substr(off);
            addr = s.addr + off;
            ok = true;
            break;
          }
        }
      }
    }
    if (!ok) {
      error_ = "no Go pclntab found (no .gopclntab section: not a Go 1.18+ binary?)";
      return false;
    }

    data_ = d;
    magic_ = h.magic;
    quantum_ = h.quantum;
    func_size_ = h.magic == kMagic120 ? 44 : 40;
    const uint32_t funcid_off = h.magic == kMagic120 ? 40 : 36;
    nfunc_ = h.nfunc;
    nfiles_ = h.nfiles;
    funcname_off_ = h.funcname;
    cu_off_ = h.cu;
    filetab_off_ = h.filetab;
    pctab_off_ = h.pctab;
    pcln_off_ = h.pcln;
    text_start_ = find_text_start(elf, addr, h.text_start);

    uint64_t budget = kScanBudget;
    funcs_.reserve(static_cast<size_t>(nfunc_));
    const char* ft = data_.data() + pcln_off_;
    for (uint64_t i = 0; i < nfunc_; ++i) {
      GoFunc f;
      f.entry = text_start_ + le32(ft + i * 8);
      f.func_off = le32(ft + i * 8 + 4);
      const uint64_t rec = pcln_off_ + f.func_off;
      if (in_range(rec, func_size_, data_.size())) {
        const char* r = data_.data() + rec;
        auto name_off = static_cast<int32_t>(le32(r + kFuncNameOff));
        if (name_off >= 0) {
          // Names live in funcnametab, which ends where cutab begins.
          if (auto n = cstring_at(data_, funcname_off_ + static_cast<uint64_t>(name_off), cu_off_,
                                  &budget)) {
            f.name = std::move(*n);
          }
        }
        f.func_id = static_cast<uint8_t>(r[funcid_off]);
        f.flag = static_cast<uint8_t>(r[funcid_off + 1]);
      }
      funcs_.push_back(std::move(f));
    }
    if (budget == 0) {
      *this = Pclntab();
      error_ = "pclntab function name table is corrupt";
      return false;
    }
    const uint64_t sentinel = text_start_ + le32(ft + nfunc_ * 8);
    auto by_entry = [](const GoFunc& a, const GoFunc& b) { return a.entry < b.entry; };
    if (!std::is_sorted(funcs_.begin(), funcs_.end(), by_entry)) {
      std::stable_sort(funcs_.begin(), funcs_.end(), by_entry);
    }
    for (size_t i = 0; i + 1 < funcs_.size(); ++i) funcs_[i].end = funcs_[i + 1].entry;
    funcs_.back().end = std::max(sentinel, funcs_.back().entry);

    // Name index. Names are not unique: a function with an ABI wrapper appears twice under
    // the same name (the ELF symtab says "name" for the ABIInternal symbol and "name.abi0" for
    // the ABI0 one). The wrapper carries abi.FuncIDWrapper, always the largest FuncID of a
    // release, so among equal names the lowest func_id is the real body (the assembly body of
    // runtime.asmcgocall, the Go body of runtime.cgocallbackg); then the lowest entry.
    by_name_.resize(funcs_.size());
    for (size_t i = 0; i < funcs_.size(); ++i) by_name_[i] = static_cast<uint32_t>(i);
    std::sort(by_name_.begin(), by_name_.end(), [this](uint32_t a, uint32_t b) {
      const GoFunc& x = funcs_[a];
      const GoFunc& y = funcs_[b];
      if (int c = x.name.compare(y.name); c != 0) return c < 0;
      if (x.func_id != y.func_id) return x.func_id < y.func_id;
      return x.entry < y.entry;
    });
    return true;
  } catch (const std::exception& e) {
    error_ = fmt::format("pclntab parse failed: {}", e.what());
  } catch (...) {
    error_ = "pclntab parse failed";
  }
  std::string err = std::move(error_);
  *this = Pclntab();
  error_ = std::move(err);
  return false;
}

std::optional<GoFunc> Pclntab::func_for_pc(uint64_t pc) const {
  auto it = std::upper_bound(funcs_.begin(), funcs_.end(), pc,
                             [](uint64_t p, const GoFunc& f) { return p < f.entry; });
  if (it == funcs_.begin()) return std::nullopt;
  --it;
  if (pc >= it->end) return std::nullopt;
  return *it;
}

std::optional<GoFunc> Pclntab::func_by_name(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [this](uint32_t i, std::string_view n) { return funcs_[i].name < n; });
  if (it == by_name_.end() || funcs_[*it].name != name || name.empty()) return std::nullopt;
  return funcs_[*it];
}

// runtime.pcvalue / debug/gosym LineTable.pcvalue: value deltas are zigzag varints, pc deltas
// varints scaled by the pc quantum; the value starts at -1. A zero value delta ends the table,
// except while still at the entry pc.
std::optional<int64_t> Pclntab::pcvalue(uint32_t table_off, uint64_t entry, uint64_t pc) const {
  if (table_off == 0 || pc < entry) return std::nullopt;
  uint64_t pos = pctab_off_ + table_off;
  if (pos >= data_.size()) return std::nullopt;
  int32_t val = -1;
  uint64_t cur = entry;
  int stalled = 0;
  // Every step consumes at least two bytes, so this terminates within the table's size; steps
  // that do not advance the pc are capped so corrupted tables stay cheap.
  for (;;) {
    uint32_t uv = 0, pcdelta = 0;
    if (!read_varint(data_, pos, uv)) return std::nullopt;
    if (uv == 0 && cur != entry) return std::nullopt;  // end of table: pc not covered
    uint32_t vdelta = (uv & 1) ? ~(uv >> 1) : (uv >> 1);
    if (!read_varint(data_, pos, pcdelta)) return std::nullopt;
    if (pcdelta != 0) {
      stalled = 0;
    } else if (++stalled > kMaxStallSteps) {
      return std::nullopt;
    }
    cur += static_cast<uint32_t>(pcdelta * quantum_);
    val = static_cast<int32_t>(static_cast<uint32_t>(val) + vdelta);
    if (pc < cur) return val;
  }
}

// The same walk as pcvalue, keeping every run; bounded by the table's size and by `end`.
std::vector<std::pair<uint64_t, int64_t>> Pclntab::pcvalue_runs(uint32_t table_off, uint64_t entry,
                                                                uint64_t end) const {
  std::vector<std::pair<uint64_t, int64_t>> runs;
  if (table_off == 0) return runs;
  uint64_t pos = pctab_off_ + table_off;
  int32_t val = -1;
  uint64_t cur = entry;
  int stalled = 0;
  while (pos < data_.size() && cur < end) {
    uint32_t uv = 0, pcdelta = 0;
    if (!read_varint(data_, pos, uv) || (uv == 0 && cur != entry)) break;
    uint32_t vdelta = (uv & 1) ? ~(uv >> 1) : (uv >> 1);
    if (!read_varint(data_, pos, pcdelta)) break;
    if (pcdelta != 0) {
      stalled = 0;
    } else if (++stalled > kMaxStallSteps) {
      break;
    }
    val = static_cast<int32_t>(static_cast<uint32_t>(val) + vdelta);
    if (pcdelta != 0) runs.emplace_back(cur, val);
    cur += static_cast<uint32_t>(pcdelta * quantum_);
  }
  return runs;
}

std::vector<Pclntab::LineRun> Pclntab::line_runs(uint64_t pc) const {
  std::vector<LineRun> out;
  auto f = func_for_pc(pc);
  if (!f) return out;
  auto pcfile = func_field(f->func_off, kFuncPcfile);
  auto pcln = func_field(f->func_off, kFuncPcln);
  if (!pcfile || !pcln) return out;
  auto files = pcvalue_runs(*pcfile, f->entry, f->end);
  auto lines = pcvalue_runs(*pcln, f->entry, f->end);
  // Merge both tables' run starts: at each, the file and line in force there.
  size_t i = 0, j = 0;
  while (i < files.size() && j < lines.size()) {
    uint64_t at = std::max(files[i].first, lines[j].first);
    out.push_back(LineRun{at, files[i].second, lines[j].second});
    const uint64_t fnext = i + 1 < files.size() ? files[i + 1].first : f->end;
    const uint64_t lnext = j + 1 < lines.size() ? lines[j + 1].first : f->end;
    if (fnext <= lnext) ++i;
    if (lnext <= fnext) ++j;
  }
  return out;
}

std::optional<int64_t> Pclntab::sp_delta(uint64_t pc) const {
  auto f = func_for_pc(pc);
  if (!f) return std::nullopt;
  auto off = func_field(f->func_off, kFuncPcsp);
  if (!off) return std::nullopt;
  return pcvalue(*off, f->entry, pc);
}

std::optional<std::pair<std::string, int>> Pclntab::file_line(uint64_t pc) const {
  auto f = func_for_pc(pc);
  if (!f) return std::nullopt;
  auto pcfile = func_field(f->func_off, kFuncPcfile);
  auto pcln = func_field(f->func_off, kFuncPcln);
  auto cu = func_field(f->func_off, kFuncCuOffset);
  if (!pcfile || !pcln || !cu) return std::nullopt;
  auto fno = pcvalue(*pcfile, f->entry, pc);
  auto line = pcvalue(*pcln, f->entry, pc);
  if (!fno || *fno < 0 || !line) return std::nullopt;
  // cutab is a []uint32 indexed by cuOffset + file number; entries are filetab offsets.
  const uint64_t idx = static_cast<uint64_t>(*cu) + static_cast<uint64_t>(*fno);
  if (idx >= (filetab_off_ - cu_off_) / 4) return std::nullopt;  // cutab ends at filetab
  auto file_off = u32_at(data_, cu_off_ + idx * 4);
  if (!file_off || *file_off == ~uint32_t{0}) return std::nullopt;
  auto name = cstring_at(data_, filetab_off_ + *file_off, pctab_off_);
  if (!name) return std::nullopt;
  return std::make_pair(std::move(*name), static_cast<int>(*line));
}

std::string go_build_version(const ElfFile& elf) {
  try {
    static constexpr char kMagic[] = "\xff Go buildinf:";
    constexpr size_t kMagicLen = 14;
    constexpr size_t kHdrLen = 32;
    std::string_view d;
    if (const ElfSection* s = elf.section(".go.buildinfo")) d = elf.section_data(*s);
    if (d.size() < kHdrLen || std::memcmp(d.data(), kMagic, kMagicLen) != 0) {
      // No section (or not at its start): search writable data, 16-byte aligned, like
      // debug/buildinfo does.
      d = {};
      for (const ElfSection& s : elf.sections()) {
        if (!d.empty()) break;
        constexpr uint64_t kWA = kShfAlloc | kShfWrite;
        if (s.type != kShtProgbits || (s.flags & kWA) != kWA) {
          continue;
        }
        std::string_view sd = elf.section_data(s);
        for (size_t off = 0; off + kHdrLen <= sd.size(); off += 16) {
          if (std::memcmp(sd.data() + off, kMagic, kMagicLen) == 0) {
            d = sd.substr(off);
            break;
          }
        }
      }
    }
    if (d.size() < kHdrLen) return {};
    const auto ptr_size = static_cast<uint8_t>(d[14]);
    const auto flags = static_cast<uint8_t>(d[15]);
    if (flags & 2) {
      // Go 1.18+: inline, uvarint-length-prefixed strings after the 32-byte header.
      uint64_t len = 0;
      uint64_t pos = kHdrLen;
      bool done = false;
      for (uint32_t shift = 0; shift < 64 && pos < d.size(); shift += 7) {
        auto b = static_cast<uint8_t>(d[pos++]);
        len |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          done = true;
          break;
        }
      }
      if (!done || !in_range(pos, len, d.size())) return {};
      return std::string(d.substr(pos, len));
    }
    // Pre-1.18: a pointer to a Go string header (ptr, len). Little-endian 64-bit only.
    if ((flags & 1) != 0 || ptr_size != 8) return {};
    const uint64_t str_hdr = le64(d.data() + 16);
    char hdr[16];
    if (!elf.read_vaddr(str_hdr, hdr, sizeof hdr)) return {};
    const uint64_t str_ptr = le64(hdr);
    const uint64_t str_len = le64(hdr + 8);
    if (str_len == 0 || str_len > 1024) return {};
    std::string out(str_len, '\0');
    if (!elf.read_vaddr(str_ptr, out.data(), out.size())) return {};
    return out;
  } catch (...) {
    return {};
  }
}

}  // namespace cgounwind
