// amd64 rules. Encodings are those the Go assembler emits for the runtime's stack-switch code.
#include <cstring>

#include "cgounwind/arch.h"

namespace cgounwind::arch {
namespace {

// MOVQ off(SP), DI: 48 8b 7c 24 disp8  |  48 8b 3c 24 (disp 0)
std::optional<int64_t> match_mov_sp_rdi(const uint8_t* p, size_t n) {
  if (n >= 5 && p[0] == 0x48 && p[1] == 0x8b && p[2] == 0x7c && p[3] == 0x24) return p[4];
  if (n >= 4 && p[0] == 0x48 && p[1] == 0x8b && p[2] == 0x3c && p[3] == 0x24) return 0;
  return std::nullopt;
}
// SUBQ off(SP), SI: 48 2b 74 24 disp8  |  48 2b 34 24
std::optional<int64_t> match_sub_sp_rsi(const uint8_t* p, size_t n) {
  if (n >= 5 && p[0] == 0x48 && p[1] == 0x2b && p[2] == 0x74 && p[3] == 0x24) return p[4];
  if (n >= 4 && p[0] == 0x48 && p[1] == 0x2b && p[2] == 0x34 && p[3] == 0x24) return 0;
  return std::nullopt;
}

}  // namespace

std::optional<AsmcgocallSlots> decode_asmcgocall_return(const uint8_t* code, size_t n) {
  // nosave path: MOVQ off(SP), SI (48 8b 74 24 disp8 | 48 8b 34 24); MOVQ SI, SP (48 89 f4).
  // The saved original SP is at off: 0 since Go 1.22, 0x28 before.
  if (n >= 8 && code[0] == 0x48 && code[1] == 0x8b && code[2] == 0x74 && code[3] == 0x24 &&
      code[5] == 0x48 && code[6] == 0x89 && code[7] == 0xf4) {
    return AsmcgocallSlots{true, 0, code[4]};
  }
  if (n >= 7 && code[0] == 0x48 && code[1] == 0x8b && code[2] == 0x34 && code[3] == 0x24 &&
      code[4] == 0x48 && code[5] == 0x89 && code[6] == 0xf4) {
    return AsmcgocallSlots{true, 0, 0};
  }
  // switch path: optional get_tls (MOVQ %fs:…, reg), then the g reload and the depth subtract.
  std::optional<int64_t> g_off, depth_off;
  for (size_t i = 0; i + 4 <= n && i < 48; ++i) {
    if (!g_off) {
      if (auto v = match_mov_sp_rdi(code + i, n - i)) g_off = v;
    } else if (auto v = match_sub_sp_rsi(code + i, n - i)) {
      depth_off = v;
      break;
    }
  }
  if (!g_off || !depth_off) return std::nullopt;
  return AsmcgocallSlots{false, *g_off, *depth_off};
}

bool pushes_frame_pointer(const uint8_t* entry, size_t n) {
  return n >= 4 && entry[0] == 0x55 && entry[1] == 0x48 && entry[2] == 0x89 && entry[3] == 0xe5;
}

bool saves_frame_pointer(const uint8_t* entry, size_t n) {
  if (pushes_frame_pointer(entry, n)) return true;
  // SUBQ $imm8, SP (48 83 ec ib) ; MOVQ BP, imm8-8(SP) (48 89 6c 24 db)
  if (n >= 9 && entry[0] == 0x48 && entry[1] == 0x83 && entry[2] == 0xec && entry[4] == 0x48 &&
      entry[5] == 0x89 && entry[6] == 0x6c && entry[7] == 0x24) {
    return entry[8] + 8 == entry[3];
  }
  // SUBQ $imm32, SP (48 81 ec id) ; MOVQ BP, imm32-8(SP) (48 89 ac 24 d32)
  if (n >= 15 && entry[0] == 0x48 && entry[1] == 0x81 && entry[2] == 0xec && entry[7] == 0x48 &&
      entry[8] == 0x89 && entry[9] == 0xac && entry[10] == 0x24) {
    uint32_t imm, disp;
    std::memcpy(&imm, entry + 3, 4);
    std::memcpy(&disp, entry + 11, 4);
    return disp + 8 == imm;
  }
  return false;
}

PushPrologue decode_push_prologue(const uint8_t* entry, size_t n) {
  PushPrologue out;
  size_t i = 0;
  while (i < n && out.pushes < 16) {
    if (entry[i] >= 0x50 && entry[i] <= 0x57) {  // PUSH rax..rdi; 0x55 is PUSH rbp
      if (entry[i] == 0x55) out.fp_slot = out.pushes;
      ++out.pushes;
      i += 1;
    } else if (i + 1 < n && entry[i] == 0x41 && entry[i + 1] >= 0x50 && entry[i + 1] <= 0x57) {
      ++out.pushes;  // PUSH r8..r15
      i += 2;
    } else {
      break;
    }
  }
  return out;
}

bool is_indirect_call_before(const uint8_t* code, size_t n) {
  // CALL reg: ff d0+r ; with REX.B: 41 ff d0+r
  if (n >= 2 && code[n - 2] == 0xff && (code[n - 1] & 0xf8) == 0xd0) return true;
  return n >= 3 && code[n - 3] == 0x41 && code[n - 2] == 0xff && (code[n - 1] & 0xf8) == 0xd0;
}

std::optional<uint64_t> call_target_before(const uint8_t* code, size_t n, uint64_t ret) {
  auto rel32 = [](const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<int64_t>(v);
  };
  if (n >= 5 && code[n - 5] == 0xe8) return ret + rel32(code + n - 4);
  // LEAQ sym(IP), AX (48 8d 05 rel32) ; CALL AX (ff d0)
  if (n >= 9 && code[n - 2] == 0xff && code[n - 1] == 0xd0 && code[n - 9] == 0x48 &&
      code[n - 8] == 0x8d && code[n - 7] == 0x05) {
    return (ret - 2) + rel32(code + n - 6);
  }
  // MOVQ $sym, AX (48 c7 c0 imm32) ; CALL AX
  if (n >= 9 && code[n - 2] == 0xff && code[n - 1] == 0xd0 && code[n - 9] == 0x48 &&
      code[n - 8] == 0xc7 && code[n - 7] == 0xc0) {
    return static_cast<uint64_t>(rel32(code + n - 6));
  }
  return std::nullopt;
}

const std::vector<NamedRegister>& dwarf_registers() {
  static const std::vector<NamedRegister> regs = {
      {"rax", 0},  {"rdx", 1},  {"rcx", 2},  {"rbx", 3},  {"rsi", 4},  {"rdi", 5},
      {"rbp", 6},  {"rsp", 7},  {"r8", 8},   {"r9", 9},   {"r10", 10}, {"r11", 11},
      {"r12", 12}, {"r13", 13}, {"r14", 14}, {"r15", 15}, {"rip", 16}};
  return regs;
}

}  // namespace cgounwind::arch
