// amd64 (System V x86-64) rules. Encodings are those the Go assembler and gcc emit for the
// runtime's stack-switch code; frame layouts are those of the Go amd64 ABI (frame pointer pushed
// just below the return address) and of the C ABI.
#include <algorithm>
#include <array>
#include <cstring>

#include "cgounwind/arch.h"

namespace cgounwind {
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

// A prologue made only of PUSHes (runtime/cgo's crosscall1 saving the C callee-saved registers):
// how many registers it pushed and which slot (0 = first pushed) holds the frame pointer.
struct PushPrologue {
  int pushes = 0;
  int fp_slot = -1;
};

std::optional<AsmcgocallSlots> decode_return(const uint8_t* code, size_t n) {
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

bool pushes_fp(const uint8_t* entry, size_t n) {
  return n >= 4 && entry[0] == 0x55 && entry[1] == 0x48 && entry[2] == 0x89 && entry[3] == 0xe5;
}

bool saves_fp(const uint8_t* entry, size_t n) {
  if (pushes_fp(entry, n)) return true;
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

PushPrologue push_prologue(const uint8_t* entry, size_t n) {
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

bool indirect_call_before(const uint8_t* code, size_t n) {
  // CALL reg: ff d0+r ; with REX.B: 41 ff d0+r
  if (n >= 2 && code[n - 2] == 0xff && (code[n - 1] & 0xf8) == 0xd0) return true;
  return n >= 3 && code[n - 3] == 0x41 && code[n - 2] == 0xff && (code[n - 1] & 0xf8) == 0xd0;
}

std::optional<uint64_t> direct_call_target(const uint8_t* code, size_t n, uint64_t ret) {
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

class Amd64 final : public Arch {
 public:
  const char* name() const override { return "amd64"; }

  FrameShape go_frame(int64_t delta, bool saves_fp) const override {
    // CFA = SP + delta + 8 (the CALL pushed the return address); return address at CFA-8;
    // the prologue's PUSHQ BP (or SUBQ; MOVQ BP, delta-8(SP)) left the caller's rbp at CFA-16.
    FrameShape f{delta + kPtrSize, delta, std::nullopt};
    if (saves_fp && delta >= kPtrSize) f.fp_off = delta - kPtrSize;
    return f;
  }

  std::optional<FrameShape> asm_entry_frame(const uint8_t* entry, size_t n) const override {
    // After PUSHQ BP; MOVQ SP, BP (asmcgocall since Go 1.21): saved rbp at SP, return address at
    // SP+8, CFA = SP+16. Without it (Go <= 1.20): return address at SP, CFA = SP+8.
    if (pushes_fp(entry, n)) return FrameShape{2 * kPtrSize, kPtrSize, 0};
    return FrameShape{kPtrSize, 0, std::nullopt};
  }

  std::optional<FrameShape> crosscall2_frame(const uint8_t* entry, size_t n,
                                             int64_t delta) const override {
    // Go assembly like any other: pclntab's delta is exact; whether rbp sits below the return
    // address depends on the prologue the assembler gave it.
    return go_frame(delta, saves_fp(entry, n));
  }

  std::optional<FrameShape> crosscall1_frame(const uint8_t* entry, size_t n) const override {
    // PUSH rbx, rbp, r12-r15, then CALL: at the call SP points at the last register pushed, the
    // return address is above all of them (CFA = SP + 8*pushes + 8), rbp in its push slot.
    auto pp = push_prologue(entry, n);
    if (pp.pushes == 0 || pp.fp_slot < 0) return std::nullopt;
    int64_t top = int64_t{pp.pushes} * kPtrSize;
    return FrameShape{top + kPtrSize, top, top - int64_t{pp.fp_slot + 1} * kPtrSize};
  }

  bool saves_frame_pointer(const uint8_t* entry, size_t n) const override {
    return saves_fp(entry, n);
  }

  std::optional<AsmcgocallSlots> decode_asmcgocall_return(const uint8_t* code,
                                                          size_t n) const override {
    return decode_return(code, n);
  }

  // cgocallback on g0: MOVQ (g_sched+gobuf_sp)(SI), DI; MOVQ DI, 0(SP) — the previous
  // g0.sched.sp is the first word of its frame.
  int64_t cgocallback_saved_sp_off() const override { return 0; }
  // mcall on g0: PUSHQ AX (the old g); CALL fn — the goroutine is the word at the call's SP.
  std::optional<int64_t> mcall_gp_off() const override { return 0; }
  // sys_linux_amd64.s: nanotime1, walltime (walltime1 before go1.17), vgetrandom1 ("LEAQ
  // ret+0(FP), DX; MOVQ DX, m_vdsoSP(BX)"); and time_linux_amd64.s's time·now, the time
  // package's clock read in assembly on amd64 only ("LEAQ sec+0(FP), DX; MOVQ DX,
  // m_vdsoSP(BX)"; elsewhere time.now is Go code calling walltime and nanotime1).
  bool switches_for_vdso(std::string_view name) const override {
    return name == "runtime.nanotime1" || name == "runtime.walltime" ||
           name == "runtime.walltime1" || name == "runtime.vgetrandom1" || name == "time.now";
  }

  // sys_linux_amd64.s: callCgoMmap and callCgoMunmap ("MOVQ SP, BX; ANDQ $~15, SP; MOVQ BX,
  // 0(SP); CALL AX; MOVQ 0(SP), SP") and callCgoSigaction (the same with "MOVQ BX, SP" after the
  // call), each with a 16-byte frame and so a saved rbp. (sigfwd aligns too but has no frame:
  // its SP lives in rbx only, and the debugger's CFI is left to it.)
  bool aligns_sp_for_c(std::string_view name) const override {
    return name == "runtime.callCgoMmap" || name == "runtime.callCgoMunmap" ||
           name == "runtime.callCgoSigaction";
  }

  bool is_rt_sigreturn(const uint8_t* code, size_t n) const override {
    // MOVQ $15, AX; SYSCALL (48 c7 c0 0f 00 00 00 0f 05): rt_sigreturn is syscall 15.
    static constexpr std::array<uint8_t, kSigreturnLen> kSeq = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
                                                                0x00, 0x00, 0x0f, 0x05};
    return n >= kSeq.size() && std::equal(kSeq.begin(), kSeq.end(), code);
  }
  uint64_t sigreturn_syscall_off() const override { return 7; }
  SigcontextSlots sigcontext() const override {
    // The handler's `ret` popped rt_sigframe.pretcode: the restorer's SP is &uc (struct ucontext:
    // uc_flags, uc_link, uc_stack = 40 bytes, then struct sigcontext: r8…r15, rdi, rsi, rbp, rbx,
    // rdx, rax, rcx, rsp, rip). rbp at 40 + 10*8, rsp at 40 + 15*8, rip at 40 + 16*8.
    return SigcontextSlots{168, 160, 120, -1};
  }

  bool is_indirect_call_before(const uint8_t* code, size_t n) const override {
    return indirect_call_before(code, n);
  }
  std::optional<uint64_t> call_target_before(const uint8_t* code, size_t n,
                                             uint64_t ret) const override {
    return direct_call_target(code, n, ret);
  }

  // DWARF numbering of the System V x86-64 psABI: 0-15 GPRs, 16 the return address (rip).
  int pc_reg() const override { return 16; }
  int sp_reg() const override { return 7; }
  int fp_reg() const override { return 6; }
  int lr_reg() const override { return -1; }
  const std::vector<NamedRegister>& dwarf_registers() const override {
    static const std::vector<NamedRegister> regs = {
        {"rax", 0},  {"rdx", 1},  {"rcx", 2},  {"rbx", 3},  {"rsi", 4},  {"rdi", 5},
        {"rbp", 6},  {"rsp", 7},  {"r8", 8},   {"r9", 9},   {"r10", 10}, {"r11", 11},
        {"r12", 12}, {"r13", 13}, {"r14", 14}, {"r15", 15}, {"rip", 16}};
    return regs;
  }
  const char* pc_name() const override { return "rip"; }
  const char* sp_name() const override { return "rsp"; }
  const char* fp_name() const override { return "rbp"; }
  const char* lr_name() const override { return ""; }
  // ABIInternal keeps the running goroutine in R14 in Go code.
  const char* g_name() const override { return "r14"; }
};

}  // namespace

const Arch& amd64() {
  static const Amd64 a;
  return a;
}

}  // namespace cgounwind
