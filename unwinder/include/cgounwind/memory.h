// Debugger-neutral access to the inferior: memory and registers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace cgounwind {

// Reads inferior memory. Implementations return false on any failure (unmapped, short read);
// they never throw.
class Memory {
 public:
  virtual ~Memory() = default;
  virtual bool read(uint64_t addr, void* buf, size_t len) = 0;

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
