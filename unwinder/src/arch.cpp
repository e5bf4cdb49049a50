// Choosing the architecture from the binary.
#include "cgounwind/arch.h"

#include <fmt/format.h>

namespace cgounwind {

const Arch* arch_for_machine(uint16_t e_machine) {
  switch (e_machine) {
    case 62:  // EM_X86_64
      return &amd64();
    case 183:  // EM_AARCH64
      return &arm64();
    default:
      return nullptr;
  }
}

std::string machine_name(uint16_t e_machine) {
  const char* name = nullptr;
  switch (e_machine) {
    case 3:
      name = "EM_386 (x86)";
      break;
    case 8:
      name = "EM_MIPS";
      break;
    case 20:
      name = "EM_PPC";
      break;
    case 21:
      name = "EM_PPC64";
      break;
    case 22:
      name = "EM_S390";
      break;
    case 40:
      name = "EM_ARM (32-bit arm)";
      break;
    case 62:
      name = "EM_X86_64 (amd64)";
      break;
    case 183:
      name = "EM_AARCH64 (arm64)";
      break;
    case 243:
      name = "EM_RISCV (riscv64)";
      break;
    case 258:
      name = "EM_LOONGARCH (loong64)";
      break;
    default:
      break;
  }
  return name ? fmt::format("{} [e_machine {}]", name, e_machine)
              : fmt::format("e_machine {}", e_machine);
}

}  // namespace cgounwind
