// Minimal, defensive ELF64 little-endian reader. Every read is bounds-checked: the input may be
// an arbitrary (corrupted, truncated, fuzzed) file. Nothing here throws to the caller.
#include "cgounwind/elf.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

namespace cgounwind {
namespace {

constexpr uint32_t kShtProgbits = 1;
constexpr uint32_t kShtSymtab = 2;
constexpr uint32_t kShtNobits = 8;
constexpr uint32_t kShtDynsym = 11;
constexpr uint64_t kShfAlloc = 0x2;
constexpr uint8_t kSttObject = 1;
constexpr uint8_t kSttFunc = 2;
constexpr uint16_t kShnUndef = 0;
constexpr uint16_t kShnXindex = 0xffff;
constexpr size_t kEhdrSize = 64;
constexpr size_t kShdrSize = 64;
constexpr size_t kSymSize = 24;
// Longest symbol/section name we accept (bounds the work a corrupted string table can cause).
constexpr size_t kMaxName = 64 * 1024;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

// True if [off, off+len) lies inside a buffer of `size` bytes (overflow-safe).
bool in_range(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

// Total string-table bytes we are willing to scan for one file. Real files need a fraction of
// this; a corrupted symbol table pointing thousands of entries at one long unterminated run
// would otherwise make loading take seconds.
constexpr uint64_t kScanBudget = 256ull << 20;

// NUL-terminated string at `off` inside `table`; empty if out of range or unterminated.
// Charges the bytes examined to `budget`.
std::string table_string(std::string_view table, uint64_t off, uint64_t& budget) {
  if (off >= table.size() || budget == 0) return {};
  size_t avail = static_cast<size_t>(std::min<uint64_t>({table.size() - off, kMaxName, budget}));
  const char* start = table.data() + off;
  const void* nul = std::memchr(start, 0, avail);
  if (nul == nullptr) {
    budget -= avail;
    return {};
  }
  size_t len = static_cast<size_t>(static_cast<const char*>(nul) - start);
  budget -= len + 1 <= budget ? len + 1 : budget;
  return std::string(start, len);
}

bool is_code_or_data(const ElfSymbol& s) {
  return (s.type == kSttFunc || s.type == kSttObject) && s.value != 0 && s.shndx != kShnUndef;
}

}  // namespace

bool ElfFile::load(const std::string& path) {
  error_.clear();
  try {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
      error_ = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
      return false;
    }
    std::vector<uint8_t> buf;
    uint8_t chunk[1 << 16];
    for (;;) {
      size_t n = std::fread(chunk, 1, sizeof chunk, f.get());
      buf.insert(buf.end(), chunk, chunk + n);
      if (n < sizeof chunk) break;
    }
    if (std::ferror(f.get())) {
      error_ = fmt::format("{}: read error", path);
      return false;
    }
    if (!load_bytes(std::move(buf))) {
      error_ = fmt::format("{}: {}", path, error_);
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    error_ = fmt::format("{}: {}", path, e.what());
  } catch (...) {
    error_ = fmt::format("{}: unknown error", path);
  }
  return false;
}

bool ElfFile::load_bytes(std::vector<uint8_t> bytes) {
  error_.clear();
  sections_.clear();
  symbols_.clear();
  by_name_.clear();
  e_type_ = 0;
  e_machine_ = 0;
  try {
    bytes_ = std::move(bytes);
    if (parse()) return true;
  } catch (const std::exception& e) {
    error_ = fmt::format("ELF parse failed: {}", e.what());
  } catch (...) {
    error_ = "ELF parse failed";
  }
  if (error_.empty()) error_ = "ELF parse failed";
  sections_.clear();
  symbols_.clear();
  by_name_.clear();
  return false;
}

bool ElfFile::parse() {
  const uint8_t* b = bytes_.data();
  const uint64_t size = bytes_.size();
  if (size < kEhdrSize) {
    error_ = fmt::format("file too small for an ELF header ({} bytes)", size);
    return false;
  }
  if (std::memcmp(b,
                  "\x7f"
                  "ELF",
                  4) != 0) {
    error_ = "not an ELF file (bad magic)";
    return false;
  }
  if (b[4] != 2) {
    error_ = fmt::format("unsupported ELF class {} (only ELF64 is supported)", b[4]);
    return false;
  }
  if (b[5] != 1) {
    error_ =
        fmt::format("unsupported ELF data encoding {} (only little-endian is supported)", b[5]);
    return false;
  }
  e_type_ = le16(b + 16);
  e_machine_ = le16(b + 18);
  const uint64_t shoff = le64(b + 40);
  const uint16_t shentsize = le16(b + 58);
  uint64_t shnum = le16(b + 60);
  uint32_t shstrndx = le16(b + 62);

  if (shoff == 0) {
    error_ = "ELF file has no section header table";
    return false;
  }
  if (shentsize < kShdrSize) {
    error_ = fmt::format("bad section header entry size {}", shentsize);
    return false;
  }
  if (!in_range(shoff, kShdrSize, size)) {
    error_ = fmt::format("section header table offset {:#x} is outside the file", shoff);
    return false;
  }
  // Extended numbering: the real counts live in section header 0.
  if (shnum == 0) shnum = le64(b + shoff + 32);
  if (shstrndx == kShnXindex) shstrndx = le32(b + shoff + 40);
  if (shnum == 0 || shnum > (size - shoff) / shentsize) {
    error_ = fmt::format("section header table ({} entries at {:#x}) does not fit in the file",
                         shnum, shoff);
    return false;
  }

  struct RawShdr {
    uint32_t name, type, link;
    uint64_t flags, addr, offset, size;
  };
  std::vector<RawShdr> raw(shnum);
  for (uint64_t i = 0; i < shnum; ++i) {
    const uint8_t* h = b + shoff + i * shentsize;
    raw[i] = RawShdr{le32(h),      le32(h + 4),  le32(h + 40), le64(h + 8),
                     le64(h + 16), le64(h + 24), le64(h + 32)};
  }
  std::string_view shstr;
  if (shstrndx < shnum && raw[shstrndx].type != kShtNobits &&
      in_range(raw[shstrndx].offset, raw[shstrndx].size, size)) {
    shstr = std::string_view(reinterpret_cast<const char*>(b + raw[shstrndx].offset),
                             raw[shstrndx].size);
  }
  uint64_t budget = kScanBudget;
  sections_.reserve(shnum);
  for (const RawShdr& r : raw) {
    ElfSection s;
    s.name = table_string(shstr, r.name, budget);
    s.type = r.type;
    s.flags = r.flags;
    s.addr = r.addr;
    s.offset = r.offset;
    s.size = r.size;
    sections_.push_back(std::move(s));
  }

  // Symbols: .symtab, falling back to .dynsym if there is none (or it yields nothing).
  auto read_symtab = [&](uint32_t want_type) {
    for (size_t si = 0; si < raw.size(); ++si) {
      const RawShdr& r = raw[si];
      if (r.type != want_type) continue;
      if (!in_range(r.offset, r.size, size)) continue;
      std::string_view strtab;
      if (r.link < raw.size() && raw[r.link].type != kShtNobits &&
          in_range(raw[r.link].offset, raw[r.link].size, size)) {
        strtab = std::string_view(reinterpret_cast<const char*>(b + raw[r.link].offset),
                                  raw[r.link].size);
      }
      const uint64_t n = r.size / kSymSize;
      symbols_.reserve(symbols_.size() + static_cast<size_t>(n));
      for (uint64_t i = 1; i < n; ++i) {  // entry 0 is the null symbol
        const uint8_t* p = b + r.offset + i * kSymSize;
        ElfSymbol sym;
        sym.name = table_string(strtab, le32(p), budget);
        if (sym.name.empty()) continue;
        sym.type = p[4] & 0xf;
        sym.shndx = le16(p + 6);
        sym.value = le64(p + 8);
        sym.size = le64(p + 16);
        symbols_.push_back(std::move(sym));
      }
    }
  };
  read_symtab(kShtSymtab);
  if (symbols_.empty()) read_symtab(kShtDynsym);
  if (budget == 0) {
    error_ = "string tables are corrupt (too many or unterminated names)";
    return false;
  }
  std::stable_sort(symbols_.begin(), symbols_.end(),
                   [](const ElfSymbol& a, const ElfSymbol& c) { return a.value < c.value; });

  // Name index; among equal names the preferred candidate (code/data with an address) first.
  by_name_.resize(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) by_name_[i] = static_cast<uint32_t>(i);
  std::stable_sort(by_name_.begin(), by_name_.end(), [this](uint32_t x, uint32_t y) {
    const ElfSymbol& a = symbols_[x];
    const ElfSymbol& c = symbols_[y];
    if (int cmp = a.name.compare(c.name); cmp != 0) return cmp < 0;
    return is_code_or_data(a) && !is_code_or_data(c);
  });
  return true;
}

const ElfSection* ElfFile::section(std::string_view name) const {
  for (const ElfSection& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string_view ElfFile::section_data(const ElfSection& s) const {
  if (s.type == kShtNobits || s.type == 0) return {};
  if (!in_range(s.offset, s.size, bytes_.size())) return {};
  return std::string_view(reinterpret_cast<const char*>(bytes_.data() + s.offset), s.size);
}

bool ElfFile::read_vaddr(uint64_t addr, void* buf, size_t len) const {
  for (const ElfSection& s : sections_) {
    if (s.type != kShtProgbits || (s.flags & kShfAlloc) == 0) continue;
    if (addr < s.addr || !in_range(addr - s.addr, len, s.size)) continue;
    std::string_view d = section_data(s);
    if (d.size() != s.size) continue;
    if (len != 0) std::memcpy(buf, d.data() + (addr - s.addr), len);
    return true;
  }
  return false;
}

std::optional<ElfSymbol> ElfFile::symbol(std::string_view name) const {
  auto less = [this](uint32_t i, std::string_view n) { return symbols_[i].name < n; };
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name, less);
  if (it == by_name_.end() || symbols_[*it].name != name) return std::nullopt;
  // The index orders code/data symbols with an address first among equal names.
  return symbols_[*it];
}

std::optional<ElfSymbol> ElfFile::symbol_at(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const ElfSymbol& s) { return a < s.value; });
  // Walk down from the nearest symbol at or below addr. A sized symbol must contain addr; the
  // nearest unsized code/data symbol matches as "nearest below". Bounded walk: overlapping
  // symbols are rare and never far apart.
  constexpr int kMaxWalk = 64;
  int walked = 0;
  while (it != symbols_.begin() && walked < kMaxWalk) {
    --it;
    const ElfSymbol& s = *it;
    if (!is_code_or_data(s)) continue;
    if (s.size == 0) {
      if (walked == 0) return s;  // nearest candidate below addr is unsized
    } else if (addr - s.value < s.size) {
      return s;
    }
    ++walked;
  }
  return std::nullopt;
}

}  // namespace cgounwind

namespace cgounwind {

// Reads the ELF header, the section headers and the section-name table only (a few KiB, not the
// whole file): enough to tell a Go module from the hundreds of libraries a host process maps.
uint16_t elf_machine(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  uint8_t eh[20];
  if (!f || std::fread(eh, 1, sizeof eh, f.get()) != sizeof eh ||
      std::memcmp(eh,
                  "\x7f"
                  "ELF",
                  4) != 0)
    return 0;
  return le16(eh + 18);
}

std::vector<std::string> elf_section_names(const std::string& path) {
  std::vector<std::string> names;
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return names;
  auto read_at = [&](uint64_t off, void* buf, size_t n) {
    return std::fseek(f.get(), static_cast<long>(off), SEEK_SET) == 0 &&
           std::fread(buf, 1, n, f.get()) == n;
  };
  uint8_t eh[kEhdrSize];
  if (!read_at(0, eh, sizeof eh) ||
      std::memcmp(eh,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      eh[4] != 2 || eh[5] != 1)
    return names;
  const uint64_t shoff = le64(eh + 40);
  const uint16_t shentsize = le16(eh + 58);
  const uint16_t shnum = le16(eh + 60), shstrndx = le16(eh + 62);
  if (shoff == 0 || shentsize < kShdrSize || shnum == 0 || shnum > 4096 || shstrndx >= shnum)
    return names;
  std::vector<uint8_t> sh(static_cast<size_t>(shnum) * shentsize);
  if (!read_at(shoff, sh.data(), sh.size())) return names;
  const uint8_t* strhdr = sh.data() + static_cast<size_t>(shstrndx) * shentsize;
  const uint64_t str_off = le64(strhdr + 24), str_size = le64(strhdr + 32);
  if (str_size == 0 || str_size > (1u << 20)) return names;
  std::string table(str_size, '\0');
  if (!read_at(str_off, table.data(), table.size())) return names;
  uint64_t budget = kScanBudget;
  for (uint16_t i = 0; i < shnum; ++i)
    names.push_back(
        table_string(table, le32(sh.data() + static_cast<size_t>(i) * shentsize), budget));
  return names;
}

}  // namespace cgounwind
