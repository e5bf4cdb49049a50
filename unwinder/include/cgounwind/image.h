// Memory images: the inferior memory a stack walk read, captured from a real process, plus the
// steps the core answered on it. Unit tests replay the steps on the image (tests/unit/images).
//
// File format, version 1 (all integers little-endian; nothing is compressed):
//
//   header   8 bytes  "CGOUWIMG"
//            u32      version (1)
//            u32      flags (0)
//   records  u32 tag, u32 reserved (0), u64 payload length, payload — in any order, except:
//   end      tag 0xFFFF with an empty payload; must be the last record, nothing may follow it.
//
//   str      u32 length (<= 1 MiB) + bytes
//   state    u8 spliced, u8 ended, u64 floor, i32 cgocallbacks, u64 g, i32 steps
//
//   tag 1 META        u32 count, count × (str key, str value). Keys: "name" (e.g.
//                     "go1.23/callback": <toolchain>/<program> of the testdata binary),
//                     "go_version", "binary_fnv64" (FNV-1a 64 of the whole executable),
//                     "binary_fingerprint" (see binary_fingerprint()), anything else free-form.
//   tag 2 REGION      u64 address + the bytes that follow (payload length − 8, >= 1 byte).
//                     Regions may not overlap.
//   tag 3 STEP        one Unwinder::step call, in call order. Inputs: u64 pc, sp, bp; state;
//                     u64 lwp; u8 innermost. Outputs: u8 kind (StepKind: 0 NotMine, 1 Caller,
//                     2 Outermost, 3 Stop); u64 caller pc, sp, bp; u64 id_sp, cfa, func_entry;
//                     str rule; str error; state. Then optionally (every image written since
//                     arm64 support; absent before): u64 lr, u64 caller lr (0 = none).
//   tag 4 GOROUTINES  read_goroutines' result: str error, u8 truncated, u32 count, count ×
//                     (u64 addr, goid; u32 status; str status_name, wait_reason; u64 m, lwp;
//                     u8 in_c; u64 pc, sp, bp; str func; i32 line). Source file paths are left
//                     out: they name the build directory.
//
// Loading is defensive: any malformed, truncated or implausible input is rejected with a
// one-line error; it never crashes and never allocates more than the input's size (plus the
// bookkeeping of its records).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgounwind/elf.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/memory.h"
#include "cgounwind/unwinder.h"

namespace cgounwind {

// One recorded Unwinder::step call: its inputs and what it returned.
struct RecordedStep {
  Regs frame;
  WalkState state;
  uint64_t lwp = 0;
  bool innermost = false;
  Step out;
};

class MemoryImage {
 public:
  static constexpr uint32_t kVersion = 1;
  static constexpr uint64_t kMaxFileSize = 256ull << 20;  // load() refuses bigger files

  // Free-form metadata; see the format description above for the keys the tools use.
  std::map<std::string, std::string> meta;
  std::vector<RecordedStep> steps;
  std::optional<GoroutineTable> goroutines;

  std::string name() const { return get("name"); }
  std::string get(const std::string& key) const {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  }

  // Adds bytes at addr; new bytes win over old ones where they overlap. Regions stay sorted,
  // disjoint and with adjacent ones merged.
  void add(uint64_t addr, const void* data, size_t len);
  // Removes [addr, addr+len) from the image (punches a hole).
  void erase(uint64_t addr, uint64_t len);
  // Pointer to len bytes at addr if all of them are in the image, else nullptr.
  const uint8_t* find(uint64_t addr, size_t len) const;
  uint8_t* find(uint64_t addr, size_t len);
  // Start address → bytes; disjoint, non-adjacent.
  const std::map<uint64_t, std::vector<uint8_t>>& regions() const { return regions_; }
  size_t memory_bytes() const;

  std::vector<uint8_t> serialize() const;
  // nullopt + *error (one line) on any malformed input.
  static std::optional<MemoryImage> parse(const uint8_t* data, size_t size, std::string* error);
  bool save(const std::string& path, std::string* error) const;
  static std::optional<MemoryImage> load(const std::string& path, std::string* error);

 private:
  std::map<uint64_t, std::vector<uint8_t>> regions_;
};

// Memory served from an image: reads of bytes the image does not hold fail. Keeps a reference:
// the image must outlive it (tests mutate the image in place between reads).
class ImageMemory : public Memory {
 public:
  explicit ImageMemory(const MemoryImage& image) : image_(image) {}
  bool read(uint64_t addr, void* buf, size_t len) override;

 private:
  const MemoryImage& image_;
};

// FNV-1a 64 of bytes, as 16 lowercase hex digits.
std::string fnv64_hex(const uint8_t* data, size_t size);
// Identifies what the core's answers depend on in an executable, independently of the
// directory it was built in (which Go and cgo record in pclntab file names, DWARF and build ids,
// moving the read-only sections after .gopclntab): the name, address, size and bytes of every
// executable section (the code the core decodes), the name, address and size of every writable
// allocated section (where the runtime's variables are), and pclntab's function table (entry,
// end, name, flags). 16 hex digits.
std::string binary_fingerprint(const ElfFile& elf, const Pclntab& pcln);

}  // namespace cgounwind
