// arm64 (AArch64, AAPCS64) rules. Encodings are those the Go assembler and gcc emit for the
// runtime's stack-switch code (checked against go1.19–go1.26 linux/arm64 binaries); frame
// layouts are those of Go's arm64 ABI (the link register saved at the bottom of the frame, the
// caller's x29 just below it) and of AAPCS64 (frame record {x29, x30} at x29).
#include <cstdint>

#include "cgounwind/arch.h"

namespace cgounwind {
namespace {

constexpr int kSp = 31;  // register field value 31 means SP in load/store base and ADD/SUB

uint32_t insn(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
int64_t sext(uint64_t v, int bits) {
  uint64_t m = 1ull << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}
int rt(uint32_t w) { return static_cast<int>(w & 31); }
int rn(uint32_t w) { return static_cast<int>(w >> 5 & 31); }

// STR Xt, [SP, #-F]! (pre-index): Go's MOVD.W R30, -F(RSP). Returns F when Xt is x30.
std::optional<int64_t> match_str_lr_pre(uint32_t w) {
  if ((w & 0xFFE00C00) != 0xF8000C00 || rn(w) != kSp || rt(w) != 30) return std::nullopt;
  int64_t off = sext(w >> 12 & 0x1ff, 9);
  if (off >= 0) return std::nullopt;
  return -off;
}
// STUR X29, [SP, #-8]: Go's MOVD R29, -8(RSP), the caller's frame pointer below the frame.
bool is_stur_fp_below_sp(uint32_t w) {
  return (w & 0xFFE00C00) == 0xF8000000 && rn(w) == kSp && rt(w) == 29 &&
         sext(w >> 12 & 0x1ff, 9) == -8;
}
// STP X29, X30, [SP, #imm]{!}: a frame record. `pre`: the pre-index (writeback) form.
std::optional<int64_t> match_stp_fp_lr(uint32_t w, bool pre) {
  uint32_t op = pre ? 0xA9800000 : 0xA9000000;
  if ((w & 0xFFC00000) != op || rn(w) != kSp || rt(w) != 29 || (w >> 10 & 31) != 30)
    return std::nullopt;
  return sext(w >> 15 & 0x7f, 7) * 8;
}
// SUB SP, SP, #imm{, LSL #12}
std::optional<int64_t> match_sub_sp(uint32_t w) {
  if ((w & 0xFF800000) != 0xD1000000 || rn(w) != kSp || rt(w) != kSp) return std::nullopt;
  int64_t imm = w >> 10 & 0xfff;
  return (w >> 22 & 1) ? imm << 12 : imm;
}
// LDR Xt, [SP, #imm] (unsigned offset): returns {t, imm}.
std::optional<std::pair<int, int64_t>> match_ldr_sp(uint32_t w) {
  if ((w & 0xFFC00000) != 0xF9400000 || rn(w) != kSp) return std::nullopt;
  return std::pair{rt(w), static_cast<int64_t>(w >> 10 & 0xfff) * 8};
}
// SUB Xd, Xn, Xm (shifted register, no shift): returns m.
std::optional<int> match_sub_reg(uint32_t w) {
  if ((w & 0xFFE0FC00) != 0xCB000000) return std::nullopt;
  return static_cast<int>(w >> 16 & 31);
}
// MOV SP, Xn (ADD SP, Xn, #0)
bool is_mov_sp_from(uint32_t w, int n) { return w == (0x91000000u | uint32_t(n) << 5 | kSp); }
bool is_blr(uint32_t w) { return (w & 0xFFFFFC1F) == 0xD63F0000; }
bool is_bl(uint32_t w) { return (w & 0xFC000000) == 0x94000000; }

class Arm64 final : public Arch {
 public:
  const char* name() const override { return "arm64"; }

  FrameShape go_frame(int64_t delta, bool saves_fp) const override {
    // Go's prologue: MOVD.W R30, -delta(RSP); MOVD R29, -8(RSP); SUB $8, RSP, R29.
    // CFA = SP + delta; return address at SP+0 (CFA-delta); caller's x29 at SP-8. With delta 0
    // (at the entry, in a frameless leaf, or at morestack's call) the return address is in LR.
    FrameShape f{delta, std::nullopt, std::nullopt};
    if (delta > 0) {
      f.ret_off = 0;
      if (saves_fp) f.fp_off = -kPtrSize;
    }
    return f;
  }

  std::optional<FrameShape> asm_entry_frame(const uint8_t* entry, size_t n) const override {
    // The assembler's prologue (asmcgocall, cgocallback, systemstack): MOVD.W R30, -F(RSP);
    // MOVD R29, -8(RSP). After it: return address at SP, caller's x29 at SP-8, CFA = SP+F. A
    // stack-bound check may come first.
    for (size_t i = 0; i + 4 <= n && i < 32; i += 4) {
      auto size = match_str_lr_pre(insn(entry + i));
      if (!size) continue;
      FrameShape f{*size, 0, std::nullopt};
      if (i + 8 <= n && is_stur_fp_below_sp(insn(entry + i + 4))) f.fp_off = -kPtrSize;
      return f;
    }
    return std::nullopt;
  }

  std::optional<FrameShape> crosscall2_frame(const uint8_t* entry, size_t n,
                                             int64_t /*delta*/) const override {
    // crosscall2 (NOFRAME): SUB $F, RSP; STP pairs of callee-saved registers; STP (R29, R30),
    // N(RSP); BL load_g; BL cgocallback. CFA = SP+F; x29 at SP+N, return address at SP+N+8.
    if (n < 4) return std::nullopt;
    auto size = match_sub_sp(insn(entry));
    if (!size) return std::nullopt;
    for (size_t i = 4; i + 4 <= n; i += 4) {
      if (auto off = match_stp_fp_lr(insn(entry + i), false); off && *off + 16 <= *size)
        return FrameShape{*size, *off + kPtrSize, *off};
    }
    return std::nullopt;
  }

  std::optional<FrameShape> crosscall1_frame(const uint8_t* entry, size_t n) const override {
    // gcc_arm64.S: STP x29, x30, [sp, #-F]!; MOV x29, sp; STP the other callee-saved pairs;
    // BLR. A frame record at SP: x29 at SP, return address at SP+8, CFA = SP+F.
    if (n < 4) return std::nullopt;
    auto off = match_stp_fp_lr(insn(entry), true);
    if (!off || *off >= 0) return std::nullopt;
    return FrameShape{-*off, kPtrSize, 0};
  }

  bool saves_frame_pointer(const uint8_t* entry, size_t n) const override {
    auto f = asm_entry_frame(entry, n);
    return f && f->fp_off;
  }

  std::optional<AsmcgocallSlots> decode_asmcgocall_return(const uint8_t* code,
                                                          size_t n) const override {
    // nosave path: MOVD 8(RSP), R2; MOVD R2, RSP — the original SP was saved at 8(RSP).
    if (n >= 8) {
      if (auto ld = match_ldr_sp(insn(code)); ld && is_mov_sp_from(insn(code + 4), ld->first))
        return AsmcgocallSlots{true, 0, ld->second};
    }
    // switch path: MOVD R0, R9; MOVD 0(RSP), g (x28); BL save_g; MOVD stack_hi(g), R5;
    // MOVD 8(RSP), R6; SUB R6, R5 — g and the depth reloaded from where they were saved.
    std::optional<int64_t> g_off;
    std::optional<std::pair<int, int64_t>> last_ld;
    for (size_t i = 0; i + 4 <= n && i < 48; i += 4) {
      uint32_t w = insn(code + i);
      auto ld = match_ldr_sp(w);
      if (!g_off) {
        if (ld && ld->first == 28) g_off = ld->second;
        continue;
      }
      if (ld) {
        last_ld = ld;
      } else if (auto m = match_sub_reg(w); m && last_ld && *m == last_ld->first) {
        return AsmcgocallSlots{false, *g_off, last_ld->second};
      }
    }
    return std::nullopt;
  }

  // cgocallback on g0: MOVD (g_sched+gobuf_sp)(R3), R4; MOVD R4, savedsp-16(SP) — the
  // assembler places that slot at 16(RSP) of its 48-byte frame (go1.19–go1.26).
  int64_t cgocallback_saved_sp_off() const override { return 16; }
  // mcall passes the old g to fn in R0 only (MOVD R3, R0; BL (R4)): not on the stack.
  std::optional<int64_t> mcall_gp_off() const override { return std::nullopt; }
  // sys_linux_arm64.s: nanotime1, walltime, vgetrandom1 ("MOVD $ret-8(FP), R2; MOVD R2,
  // m_vdsoSP(R21)"); time.now is Go code here (runtime/timestub.go).
  bool switches_for_vdso(std::string_view name) const override {
    return name == "runtime.nanotime1" || name == "runtime.walltime" ||
           name == "runtime.walltime1" || name == "runtime.vgetrandom1";
  }

  // sys_linux_arm64.s calls C with "SUB $16, RSP; BL R9; ADD $16, RSP": the assembler tracks
  // that SUB, so pclntab is right at every pc.
  bool aligns_sp_for_c(std::string_view /*name*/) const override { return false; }

  bool is_rt_sigreturn(const uint8_t* code, size_t n) const override {
    // MOVD $139, R8; SVC (d2801168 d4000001): rt_sigreturn is syscall 139.
    return n >= 8 && insn(code) == 0xd2801168 && insn(code + 4) == 0xd4000001;
  }
  uint64_t sigreturn_syscall_off() const override { return 4; }
  SigcontextSlots sigcontext() const override {
    // The handler returns with `RET` to x30, SP unchanged: the restorer's SP is &rt_sigframe
    // (struct siginfo, 128 bytes, then struct ucontext: uc_flags, uc_link, uc_stack, uc_sigmask
    // padded to 128 bytes = 168, then struct sigcontext aligned to 16 at 176: fault_address,
    // regs[31], sp, pc). x29 at 128+184+29*8, x30 at +8, sp at 128+184+31*8, pc at +8.
    return SigcontextSlots{568, 560, 544, 552};
  }

  bool is_indirect_call_before(const uint8_t* code, size_t n) const override {
    return n >= 4 && is_blr(insn(code + n - 4));
  }

  std::optional<uint64_t> call_target_before(const uint8_t* code, size_t n,
                                             uint64_t ret) const override {
    if (n < 4) return std::nullopt;
    uint32_t call = insn(code + n - 4);
    uint64_t at = ret - 4;
    if (is_bl(call)) return at + static_cast<uint64_t>(sext(call & 0x3ffffff, 26) * 4);
    // ADRP Xd, page; ADD Xd, Xd, #lo12; BLR Xd (the assembler's CALL of a function value).
    if (!is_blr(call) || n < 12) return std::nullopt;
    int reg = rn(call);
    uint32_t add = insn(code + n - 8), adrp = insn(code + n - 12);
    if ((add & 0xFF800000) != 0x91000000 || rt(add) != reg || rn(add) != reg) return std::nullopt;
    if ((adrp & 0x9F000000) != 0x90000000 || rt(adrp) != reg) return std::nullopt;
    int64_t page = sext((adrp >> 5 & 0x7ffff) << 2 | (adrp >> 29 & 3), 21) * 4096;
    uint64_t lo12 = (add >> 10 & 0xfff) << ((add >> 22 & 1) ? 12 : 0);
    return ((at - 8) & ~uint64_t{0xfff}) + static_cast<uint64_t>(page) + lo12;
  }

  // DWARF numbering of the AAPCS64 DWARF supplement: x0-x30 0-30, sp 31, pc 32; CIEs name x30
  // (the link register) as the return-address column.
  int pc_reg() const override { return 32; }
  int sp_reg() const override { return 31; }
  int fp_reg() const override { return 29; }
  int lr_reg() const override { return 30; }
  const std::vector<NamedRegister>& dwarf_registers() const override {
    static const std::vector<NamedRegister> regs = [] {
      static const char* const x[] = {"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",
                                      "x8",  "x9",  "x10", "x11", "x12", "x13", "x14", "x15",
                                      "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
                                      "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
      std::vector<NamedRegister> v;
      v.reserve(35);
      for (int i = 0; i < 31; ++i) v.push_back({x[i], i});
      // LLDB spells x29/x30 "fp"/"lr".
      v.push_back({"fp", 29});
      v.push_back({"lr", 30});
      v.push_back({"sp", 31});
      v.push_back({"pc", 32});
      return v;
    }();
    return regs;
  }
  const char* pc_name() const override { return "pc"; }
  const char* sp_name() const override { return "sp"; }
  const char* fp_name() const override { return "x29"; }
  const char* lr_name() const override { return "x30"; }
  // ABIInternal (and ABI0) keep the running goroutine in R28 in Go code.
  const char* g_name() const override { return "x28"; }
};

}  // namespace

const Arch& arm64() {
  static const Arm64 a;
  return a;
}

}  // namespace cgounwind
