// libFuzzer target: the core's stack walk and goroutine table over hostile memory. Each input
// picks one of the memory images captured from real processes (tests/unit/images) and patches
// it: 8-byte writes anywhere in its memory, and new pc/sp/bp/lr for recorded frames (amd64 and
// arm64 images alike). Then every recorded step is replayed, the goroutine table read and every
// goroutine's stack walked. Any crash, sanitizer report, leak or timeout is a bug.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/goroutines.h"
#include "cgounwind/image.h"
#include "cgounwind/unwinder.h"
#include "fuzz_common.h"

namespace {

using namespace cgounwind;

struct Seed {
  MemoryImage image;
  std::unique_ptr<GoBinary> binary;
};
std::vector<Seed>* seeds = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  seeds = new std::vector<Seed>();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(fuzz::images_dir(), ec)) {
    if (e.path().extension() != ".img") continue;
    std::string err;
    auto img = MemoryImage::load(e.path().string(), &err);
    if (!img) continue;
    auto bin = GoBinary::load(fuzz::testdata_dir() + "/" + img->name(), &err);
    if (!bin) continue;
    seeds->push_back(Seed{std::move(*img), std::move(bin)});
  }
  if (seeds->empty()) {
    std::fprintf(stderr,
                 "fuzz_walk: no images with binaries (CGOUNWIND_IMAGES_DIR=%s, "
                 "CGOUNWIND_TESTDATA_DIR=%s)\n",
                 fuzz::images_dir().c_str(), fuzz::testdata_dir().c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Seed& seed = (*seeds)[data[0] % seeds->size()];
  MemoryImage img = seed.image;  // patched copy
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>*> regions;
  size_t total = 0;
  for (const auto& [addr, bytes] : img.regions()) total += bytes.size();
  // Records of 13 bytes: u8 kind, u32 where, u64 value.
  for (size_t i = 1; i + 13 <= size; i += 13) {
    uint8_t kind = data[i];
    uint32_t where = 0;
    uint64_t value = 0;
    std::memcpy(&where, data + i + 1, 4);
    std::memcpy(&value, data + i + 5, 8);
    if (kind % 2 == 0 && total >= 8) {  // memory: the where-th byte of the image, in order
      uint64_t pos = where % total;
      for (const auto& [addr, bytes] : img.regions()) {
        if (pos < bytes.size()) {
          uint64_t at = addr + std::min<uint64_t>(pos, bytes.size() - 1);
          if (uint8_t* p = img.find(at, 1)) {
            size_t n = std::min<uint64_t>(8, bytes.size() - (at - addr));
            std::memcpy(p, &value, n);
          }
          break;
        }
        pos -= bytes.size();
      }
    } else if (!img.steps.empty()) {  // registers of a recorded frame
      RecordedStep& s = img.steps[where % img.steps.size()];
      switch (kind / 2 % 4) {
        case 0:
          s.frame.pc = value;
          break;
        case 1:
          s.frame.sp = value;
          break;
        case 2:
          s.frame.bp = value;
          break;
        default:  // the link register (arm64 images: frameless frames return through it)
          s.frame.lr = value;
          break;
      }
    }
  }
  ImageMemory mem(img);
  Unwinder unw(*seed.binary, mem);
  for (const RecordedStep& r : img.steps)
    (void)unw.step(r.frame, r.state, ThreadInfo{r.lwp}, r.innermost);
  GoroutineTable t = read_goroutines(*seed.binary, mem, 100000);
  (void)format_goroutine_table(t, [](uint64_t) { return std::string("1"); });
  size_t walked = 0;
  for (const Goroutine& g : t.goroutines) {
    if (++walked > 64) break;
    (void)walk_goroutine(*seed.binary, mem, g.addr, g.regs, 512);
  }
  return 0;
}
