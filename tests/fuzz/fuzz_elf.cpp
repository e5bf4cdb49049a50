// libFuzzer target: what the core parses itself from a binary — ELF headers and sections, Go's
// pclntab (functions, pc-value tables, file/line), and .eh_frame with a CFA step from random
// registers — over arbitrary bytes. Seeds: the testdata binaries (and corruptions of them).
#include <cstdint>
#include <cstring>
#include <vector>

#include "cgounwind/cfi.h"
#include "cgounwind/elf.h"
#include "cgounwind/pclntab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cgounwind;
  ElfFile elf;
  if (!elf.load_bytes(std::vector<uint8_t>(data, data + size))) return 0;
  Pclntab pcln;
  if (pcln.load(elf)) {
    size_t n = 0;
    for (uint64_t pc : {uint64_t{0x401000}, uint64_t{0x450000}, uint64_t{0x4a0000}}) {
      if (auto f = pcln.func_for_pc(pc)) {
        (void)pcln.sp_delta(pc);
        (void)pcln.file_line(pc);
        (void)f->name.size();
      }
      if (++n > 3) break;
    }
  }
  CodeModules mods;
  mods.add(elf, 0);
  for (uint64_t pc : {uint64_t{0x401000}, uint64_t{0x4a1000}}) (void)mods.row(pc);
  return 0;
}
