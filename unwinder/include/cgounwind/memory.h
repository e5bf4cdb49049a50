// Debugger-neutral access to the inferior: memory and registers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace cgounwind {

// Reads inferior memory. Implementations return false on any failure (unmapped, short read);
// they never throw.
class Memory {
 public:
  virtual ~Memory() = default;
  virtual bool read(uint64_t addr, void* buf, size_t len) = 0;
  // A hint that [addr, addr+len) of each range will be read soon: a cache may fetch them in
  // a few large reads (one round trip per run of pages, for remote targets) instead of one per
  // page. The default does nothing.
  virtual void prefetch(const std::vector<std::pair<uint64_t, size_t>>& ranges) { (void)ranges; }
  // A read that a cache need not keep (bulk data read once, e.g. the g structs of a listing).
  virtual bool read_uncached(uint64_t addr, void* buf, size_t len) { return read(addr, buf, len); }

  std::optional<uint64_t> u64(uint64_t addr) {
    uint64_t v = 0;
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
  std::optional<uint32_t> u32(uint64_t addr) {
    uint32_t v = 0;
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
};

}  // namespace cgounwind
