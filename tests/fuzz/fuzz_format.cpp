// libFuzzer target: the value formatters over arbitrary bytes and memory. The types are those
// of testdata/values (Go kinds, maps in the binary's own layout, cgo structs and the C types
// behind them); the input gives the value's bytes and the memory every pointer may reach (the
// input is mapped again and again from 0x10000 on, so most small pointers land in it).
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cgounwind/go_format.h"
#include "cgounwind/go_values.h"
#include "cgounwind/memory.h"
#include "fuzz_common.h"

namespace {

using namespace cgounwind;

class MirrorMemory : public Memory {
 public:
  MirrorMemory(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool read(uint64_t addr, void* buf, size_t len) override {
    constexpr uint64_t kBase = 0x10000, kSpan = 64ull << 20;
    if (size_ == 0 || addr < kBase || addr - kBase >= kSpan || len > kSpan) return false;
    auto* out = static_cast<uint8_t*>(buf);
    for (size_t i = 0; i < len; ++i) out[i] = data_[(addr - kBase + i) % size_];
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

std::unique_ptr<GoDwarf> dwarf;
std::vector<uint64_t> go_types, c_types;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string path =
      fuzz::env_or("CGOUNWIND_FUZZ_BINARY", (fuzz::testdata_dir() + "/go1.26/values").c_str());
  std::string err;
  dwarf = GoDwarf::open(path, &err);
  if (!dwarf) {
    std::fprintf(stderr, "fuzz_format: %s: %s\n", path.c_str(), err.c_str());
    std::abort();
  }
  for (const char* n :
       {"int", "string", "[]int", "main.Point", "*main.Point", "error", "interface {}", "chan int",
        "map[string]int", "map[int]int", "[3]int", "*main._Ctype_char", "float64", "bool"})
    if (auto id = dwarf->type_by_name(n)) go_types.push_back(*id);
  for (const char* n : {"Animal", "Number", "Pos", "CStr", "Shape"})
    if (auto id = dwarf->c_type_by_name(n)) c_types.push_back(*id);
  for (int i = 0; i < 16; ++i)  // cgo's own struct types, formatted through their C types
    if (auto id = dwarf->type_by_name("main._Ctype_struct___" + std::to_string(i)))
      go_types.push_back(*id);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  bool c = data[0] & 1;
  const auto& ids = c ? c_types : go_types;
  if (ids.empty()) return 0;
  uint64_t id = ids[data[1] % ids.size()];
  const GoType* t = dwarf->type(id);
  if (t == nullptr || t->size > 4096) return 0;
  std::vector<uint8_t> bytes(t->size);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = size > 2 ? data[2 + i % (size - 2)] : 0;
  MirrorMemory mem(data, size);
  GoFormatter f{*dwarf, mem, 0x10000};
  f.max_elements = 64;
  std::string text = c ? f.format_c(id, bytes) : f.format(id, bytes);
  if (text.size() > (1u << 20)) std::abort();  // the bounds let nothing this big through
  if (!c) (void)f.children(id, bytes);
  return 0;
}
