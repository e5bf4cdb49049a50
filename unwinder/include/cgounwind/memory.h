// Debugger-neutral access to the inferior: memory and registers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace cgounwind {

// Reads inferior memory. Implementations return false on any failure (unmapped, short read);
// they never throw.
class Memory {
 public:
  virtual ~Memory() = default;
  virtual bool read(uint64_t addr, void* buf, size_t len) = 0;
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

// The `size` bytes at each address, in one buffer (addrs[i]'s at i * size): nearby addresses
// are read together, one read_uncached of at most 256 KiB per run (one round trip for a remote
// target) rather than one read per page or per field; an address whose run cannot be read is
// read alone. ok[i] says whether addrs[i] was read.
std::vector<uint8_t> read_many(Memory& mem, const std::vector<uint64_t>& addrs, size_t size,
                               std::vector<bool>& ok);

}  // namespace cgounwind
