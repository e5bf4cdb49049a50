#include "cgounwind/image.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "cgounwind/pclntab.h"

namespace cgounwind {
namespace {

constexpr char kMagic[8] = {'C', 'G', 'O', 'U', 'W', 'I', 'M', 'G'};
constexpr uint32_t kTagMeta = 1, kTagRegion = 2, kTagStep = 3, kTagGoroutines = 4, kTagEnd = 0xFFFF;
constexpr uint32_t kMaxString = 1u << 20;
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void bytes(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void str(const std::string& s) {
    size_t n = std::min<size_t>(s.size(), kMaxString);
    u32(static_cast<uint32_t>(n));
    bytes(s.data(), n);
  }
  void state(const WalkState& s) {
    u8(s.spliced);
    u8(s.ended);
    u64(s.floor);
    i32(s.cgocallbacks);
    u64(s.g);
    i32(s.steps);
  }
  // Starts a record; finish() patches its length in.
  size_t begin(uint32_t tag) {
    u32(tag);
    u32(0);
    size_t at = out_.size();
    u64(0);
    return at;
  }
  void finish(size_t at) {
    uint64_t len = out_.size() - at - 8;
    for (int i = 0; i < 8; ++i) out_[at + i] = static_cast<uint8_t>(len >> (8 * i));
  }
  std::vector<uint8_t>& out() { return out_; }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// Bounds-checked reader: every accessor fails (and stays failed) instead of reading past end.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  size_t left() const { return ok_ ? n_ - pos_ : 0; }
  const uint8_t* take(size_t n) {
    if (!ok_ || n > n_ - pos_) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }
  uint64_t le(int n) {
    const uint8_t* b = take(n);
    uint64_t v = 0;
    for (int i = 0; b && i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  bool boolean() {
    uint8_t v = u8();
    if (v > 1) ok_ = false;
    return v == 1;
  }
  std::string str() {
    uint32_t n = u32();
    if (n > kMaxString) ok_ = false;
    const uint8_t* b = ok_ ? take(n) : nullptr;
    return b ? std::string(reinterpret_cast<const char*>(b), n) : std::string();
  }
  WalkState state() {
    WalkState s;
    s.spliced = boolean();
    s.ended = boolean();
    s.floor = u64();
    s.cgocallbacks = i32();
    s.g = u64();
    s.steps = i32();
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_, pos_ = 0;
  bool ok_ = true;
};

void write_step(Writer& w, const RecordedStep& r) {
  w.u64(r.frame.pc);
  w.u64(r.frame.sp);
  w.u64(r.frame.bp);
  w.state(r.state);
  w.u64(r.lwp);
  w.u8(r.innermost);
  const Step& s = r.out;
  w.u8(static_cast<uint8_t>(s.kind));
  w.u64(s.caller.pc);
  w.u64(s.caller.sp);
  w.u64(s.caller.bp);
  w.u64(s.id_sp);
  w.u64(s.cfa);
  w.u64(s.func_entry);
  w.str(s.rule);
  w.str(s.error);
  w.state(s.state);
  // Trailer: the link registers (arm64), absent from images written before it existed.
  w.u64(r.frame.lr);
  w.u64(s.caller.lr);
}

RecordedStep read_step(Reader& r) {
  RecordedStep s;
  s.frame.pc = r.u64();
  s.frame.sp = r.u64();
  s.frame.bp = r.u64();
  s.state = r.state();
  s.lwp = r.u64();
  s.innermost = r.boolean();
  uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(StepKind::Stop)) kind = 0xff;
  s.out.kind = static_cast<StepKind>(kind);
  s.out.caller.pc = r.u64();
  s.out.caller.sp = r.u64();
  s.out.caller.bp = r.u64();
  s.out.id_sp = r.u64();
  s.out.cfa = r.u64();
  s.out.func_entry = r.u64();
  s.out.rule = r.str();
  s.out.error = r.str();
  s.out.state = r.state();
  if (r.left() >= 16) {
    s.frame.lr = r.u64();
    s.out.caller.lr = r.u64();
  }
  return s;
}

void write_goroutines(Writer& w, const GoroutineTable& t) {
  w.str(t.error);
  w.u8(t.truncated);
  w.u32(static_cast<uint32_t>(t.goroutines.size()));
  for (const Goroutine& g : t.goroutines) {
    w.u64(g.addr);
    w.u64(g.goid);
    w.u32(g.status);
    w.str(g.status_name);
    w.str(g.wait_reason);
    w.u64(g.m);
    w.u64(g.lwp);
    w.u8(g.in_c);
    w.u64(g.regs.pc);
    w.u64(g.regs.sp);
    w.u64(g.regs.bp);
    w.str(g.func);
    w.i32(g.line);
  }
}

std::optional<GoroutineTable> read_goroutines_record(Reader& r) {
  GoroutineTable t;
  t.error = r.str();
  t.truncated = r.boolean();
  uint32_t n = r.u32();
  // Each entry takes at least 8+8+4+4+4+8+8+1+24+4+4 bytes: never reserve more than fits.
  if (!r.ok() || n > r.left() / 77) return std::nullopt;
  t.goroutines.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Goroutine g;
    g.addr = r.u64();
    g.goid = r.u64();
    g.status = r.u32();
    g.status_name = r.str();
    g.wait_reason = r.str();
    g.m = r.u64();
    g.lwp = r.u64();
    g.in_c = r.boolean();
    g.regs.pc = r.u64();
    g.regs.sp = r.u64();
    g.regs.bp = r.u64();
    g.func = r.str();
    g.line = r.i32();
    t.goroutines.push_back(std::move(g));
  }
  if (!r.ok()) return std::nullopt;
  return t;
}

uint64_t fnv(uint64_t h, const void* data, size_t n) {
  auto* b = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * kFnvPrime;
  return h;
}
uint64_t fnv_u64(uint64_t h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return fnv(h, b, 8);
}
uint64_t fnv_str(uint64_t h, std::string_view s) {
  h = fnv_u64(h, s.size());
  return fnv(h, s.data(), s.size());
}

}  // namespace

void MemoryImage::add(uint64_t addr, const void* data, size_t len) {
  if (len == 0) return;
  if (len > std::numeric_limits<uint64_t>::max() - addr) len = ~addr;  // clip at 2^64
  if (len == 0) return;
  uint64_t end = addr + len;
  // Every region that overlaps or touches [addr, end) is merged into one.
  auto first = regions_.upper_bound(addr);
  if (first != regions_.begin()) {
    auto prev = std::prev(first);
    if (prev->first + prev->second.size() >= addr) first = prev;
  }
  uint64_t lo = addr, hi = end;
  auto last = first;
  while (last != regions_.end() && last->first <= end) {
    lo = std::min(lo, last->first);
    hi = std::max(hi, last->first + last->second.size());
    ++last;
  }
  std::vector<uint8_t> merged(hi - lo);
  for (auto it = first; it != last; ++it)
    std::memcpy(merged.data() + (it->first - lo), it->second.data(), it->second.size());
  std::memcpy(merged.data() + (addr - lo), data, len);
  regions_.erase(first, last);
  regions_.emplace(lo, std::move(merged));
}

void MemoryImage::erase(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  uint64_t end = len > ~addr ? ~0ull : addr + len;
  auto it = regions_.upper_bound(addr);
  if (it != regions_.begin()) --it;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> keep;
  while (it != regions_.end() && it->first < end) {
    uint64_t lo = it->first, hi = lo + it->second.size();
    if (hi <= addr) {
      ++it;
      continue;
    }
    if (lo < addr)
      keep.emplace_back(lo,
                        std::vector<uint8_t>(it->second.begin(), it->second.begin() + (addr - lo)));
    if (hi > end)
      keep.emplace_back(end,
                        std::vector<uint8_t>(it->second.begin() + (end - lo), it->second.end()));
    it = regions_.erase(it);
  }
  for (auto& [a, b] : keep) regions_.emplace(a, std::move(b));
}

const uint8_t* MemoryImage::find(uint64_t addr, size_t len) const {
  auto it = regions_.upper_bound(addr);
  if (it == regions_.begin()) return nullptr;
  --it;
  uint64_t off = addr - it->first;
  if (off > it->second.size() || len > it->second.size() - off) return nullptr;
  return it->second.data() + off;
}

uint8_t* MemoryImage::find(uint64_t addr, size_t len) {
  return const_cast<uint8_t*>(static_cast<const MemoryImage*>(this)->find(addr, len));
}

size_t MemoryImage::memory_bytes() const {
  size_t n = 0;
  for (const auto& [a, b] : regions_) n += b.size();
  return n;
}

std::vector<uint8_t> MemoryImage::serialize() const {
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kVersion);
  w.u32(0);
  size_t at = w.begin(kTagMeta);
  w.u32(static_cast<uint32_t>(meta.size()));
  for (const auto& [k, v] : meta) {
    w.str(k);
    w.str(v);
  }
  w.finish(at);
  for (const auto& [addr, bytes] : regions_) {
    at = w.begin(kTagRegion);
    w.u64(addr);
    w.bytes(bytes.data(), bytes.size());
    w.finish(at);
  }
  for (const RecordedStep& s : steps) {
    at = w.begin(kTagStep);
    write_step(w, s);
    w.finish(at);
  }
  if (goroutines) {
    at = w.begin(kTagGoroutines);
    write_goroutines(w, *goroutines);
    w.finish(at);
  }
  w.finish(w.begin(kTagEnd));
  return std::move(w.out());
}

std::optional<MemoryImage> MemoryImage::parse(const uint8_t* data, size_t size,
                                              std::string* error) {
  auto fail = [&](std::string why) -> std::optional<MemoryImage> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (data == nullptr || size < 16) return fail("not a cgounwind memory image (too short)");
  if (size > kMaxFileSize) return fail(fmt::format("memory image too large ({} bytes)", size));
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0)
    return fail("not a cgounwind memory image (bad magic)");
  Reader r(data + 8, size - 8);
  uint32_t version = r.u32(), flags = r.u32();
  if (version != kVersion)
    return fail(fmt::format("memory image version {} unsupported (this build reads version {})",
                            version, kVersion));
  if (flags != 0) return fail(fmt::format("memory image flags {:#x} unsupported", flags));
  MemoryImage img;
  bool seen_meta = false, ended = false;
  for (size_t n = 0; !ended; ++n) {
    uint64_t off = size - r.left();
    if (r.left() == 0) return fail("memory image truncated (no end record)");
    uint32_t tag = r.u32(), reserved = r.u32();
    uint64_t len = r.u64();
    if (!r.ok()) return fail(fmt::format("memory image truncated in record {} header", n));
    if (reserved != 0) return fail(fmt::format("record {} at offset {}: bad header", n, off));
    if (len > r.left())
      return fail(
          fmt::format("record {} at offset {}: length {} past the end of the file", n, off, len));
    Reader p(r.take(len), len);
    switch (tag) {
      case kTagMeta: {
        if (seen_meta) return fail("memory image has two metadata records");
        seen_meta = true;
        uint32_t count = p.u32();
        for (uint32_t i = 0; i < count && p.ok(); ++i) {
          std::string k = p.str(), v = p.str();
          if (p.ok() && !img.meta.emplace(std::move(k), std::move(v)).second)
            return fail("metadata record: duplicate key");
        }
        break;
      }
      case kTagRegion: {
        uint64_t addr = p.u64();
        size_t bytes = p.left();
        if (!p.ok() || bytes == 0)
          return fail(fmt::format("record {} at offset {}: empty memory region", n, off));
        if (bytes - 1 > ~addr)
          return fail(fmt::format("memory region {:#x}+{:#x} wraps around", addr, bytes));
        // Regions may not overlap (adjacent is fine: add() merges them).
        auto next = img.regions_.lower_bound(addr);
        if (next != img.regions_.end() && next->first - addr < bytes)
          return fail(fmt::format("memory region {:#x}+{:#x} overlaps another", addr, bytes));
        if (next != img.regions_.begin()) {
          auto prev = std::prev(next);
          if (addr - prev->first < prev->second.size())
            return fail(fmt::format("memory region {:#x}+{:#x} overlaps another", addr, bytes));
        }
        img.add(addr, p.take(bytes), bytes);
        break;
      }
      case kTagStep: {
        RecordedStep s = read_step(p);
        if (p.ok() && s.out.kind == static_cast<StepKind>(0xff))
          return fail(fmt::format("record {} at offset {}: bad step kind", n, off));
        img.steps.push_back(std::move(s));
        break;
      }
      case kTagGoroutines: {
        if (img.goroutines) return fail("memory image has two goroutine tables");
        img.goroutines = read_goroutines_record(p);
        if (!img.goroutines)
          return fail(fmt::format("record {} at offset {}: malformed goroutine table", n, off));
        break;
      }
      case kTagEnd:
        ended = true;
        break;
      default:
        return fail(fmt::format("record {} at offset {}: unknown tag {:#x}", n, off, tag));
    }
    if (!p.ok())
      return fail(fmt::format("record {} (tag {}) at offset {}: malformed", n, tag, off));
    if (p.left() != 0)
      return fail(
          fmt::format("record {} (tag {}) at offset {}: {} trailing bytes", n, tag, off, p.left()));
  }
  if (r.left() != 0) return fail(fmt::format("{} bytes after the end record", r.left()));
  if (!seen_meta) return fail("memory image has no metadata record");
  return img;
}

bool MemoryImage::save(const std::string& path, std::string* error) const {
  std::vector<uint8_t> bytes = serialize();
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) {
      if (error) *error = fmt::format("cannot write {}", tmp);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    if (error) *error = fmt::format("cannot rename {} to {}", tmp, path);
    return false;
  }
  return true;
}

std::optional<MemoryImage> MemoryImage::load(const std::string& path, std::string* error) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) {
    if (error) *error = fmt::format("cannot open {}", path);
    return std::nullopt;
  }
  std::streamoff size = f.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxFileSize) {
    if (error) *error = fmt::format("{}: not a memory image (size {})", path, size);
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(bytes.data()), size)) {
    if (error) *error = fmt::format("cannot read {}", path);
    return std::nullopt;
  }
  std::string why;
  auto img = parse(bytes.data(), bytes.size(), &why);
  if (!img && error) *error = fmt::format("{}: {}", path, why);
  return img;
}

bool ImageMemory::read(uint64_t addr, void* buf, size_t len) {
  if (len == 0) return true;
  const uint8_t* p = image_.find(addr, len);
  if (p == nullptr) return false;
  std::memcpy(buf, p, len);
  return true;
}

std::string fnv64_hex(const uint8_t* data, size_t size) {
  return fmt::format("{:016x}", fnv(kFnvOffset, data, size));
}

std::string binary_fingerprint(const ElfFile& elf, const Pclntab& pcln) {
  constexpr uint64_t kShfWrite = 1, kShfAlloc = 2, kShfExec = 4;
  constexpr uint32_t kShtNobits = 8;
  uint64_t h = kFnvOffset;
  for (const ElfSection& s : elf.sections()) {
    if (!(s.flags & kShfAlloc) || !(s.flags & (kShfExec | kShfWrite))) continue;
    h = fnv_str(h, s.name);
    h = fnv_u64(h, s.addr);
    h = fnv_u64(h, s.size);
    if ((s.flags & kShfExec) && s.type != kShtNobits) h = fnv_str(h, elf.section_data(s));
  }
  h = fnv_u64(h, pcln.funcs().size());
  for (const GoFunc& f : pcln.funcs()) {
    h = fnv_u64(h, f.entry);
    h = fnv_u64(h, f.end);
    h = fnv_u64(h, f.flag);
    h = fnv_str(h, f.name);
  }
  return fmt::format("{:016x}", h);
}

}  // namespace cgounwind
