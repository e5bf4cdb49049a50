// arm64 decoding rules, on instruction words copied from real linux/arm64 Go binaries
// (testdata callback-arm64 built by go1.19 and go1.26 with aarch64-linux-gnu-gcc).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cgounwind/arch.h"

using cgounwind::FrameShape;

namespace {

const cgounwind::Arch& A = cgounwind::arm64();

// Little-endian bytes of instruction words, as they sit in the text section.
std::vector<uint8_t> code(std::initializer_list<uint32_t> words) {
  std::vector<uint8_t> out;
  for (uint32_t w : words)
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(w >> (8 * i)));
  return out;
}

}  // namespace

TEST(Arm64, AsmcgocallSwitchPathSlots) {
  // go1.19 and go1.26 alike, after `blr x1`: mov x9, x0; ldr x28, [sp]; bl save_g;
  // ldr x5, [x28, #8]; ldr x6, [sp, #8]; sub x5, x5, x6 — g at SP+0, the depth at SP+8.
  auto c = code({0xaa0003e9, 0xf94003fc, 0x9400050f, 0xf9400785, 0xf94007e6, 0xcb0600a5});
  auto s = A.decode_asmcgocall_return(c.data(), c.size());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->nosave);
  EXPECT_EQ(s->g_off, 0);
  EXPECT_EQ(s->depth_off, 8);
}

TEST(Arm64, AsmcgocallNosavePath) {
  // ldr x2, [sp, #8]; mov sp, x2 — the original SP saved at SP+8.
  auto c = code({0xf94007e2, 0x9100005f});
  auto s = A.decode_asmcgocall_return(c.data(), c.size());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->nosave);
  EXPECT_EQ(s->depth_off, 8);
}

TEST(Arm64, AsmcgocallRejectsOtherCode) {
  // The ABIInternal wrapper's return site: ldrsw x0, [sp, #24]; ldur x29, [sp, #-8];
  // ldr x30, [sp], #48; ret
  auto c = code({0xb9801be0, 0xf85f83fd, 0xf84307fe, 0xd65f03c0});
  EXPECT_FALSE(A.decode_asmcgocall_return(c.data(), c.size()));
  std::vector<uint8_t> zeros(64, 0);
  EXPECT_FALSE(A.decode_asmcgocall_return(zeros.data(), zeros.size()));
  EXPECT_FALSE(A.decode_asmcgocall_return(nullptr, 0));
}

TEST(Arm64, AssemblerPrologue) {
  // asmcgocall: str x30, [sp, #-16]!; stur x29, [sp, #-8]; sub x29, sp, #8; cbz x28, …
  auto c = code({0xf81f0ffe, 0xf81f83fd, 0xd10023fd, 0xb400051c});
  auto f = A.asm_entry_frame(c.data(), c.size());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 16);
  EXPECT_EQ(f->ret_off, 0);
  EXPECT_EQ(f->fp_off, -8);
  EXPECT_TRUE(A.saves_frame_pointer(c.data(), c.size()));
  // mcall (NOFRAME): mov x26, x0; mov x0, sp — no frame of its own.
  auto none = code({0xaa0003fa, 0x910003e0});
  EXPECT_FALSE(A.asm_entry_frame(none.data(), none.size()));
  EXPECT_FALSE(A.saves_frame_pointer(none.data(), none.size()));
}

TEST(Arm64, Crosscall2Frame) {
  // sub sp, sp, #0xc0; stp x0, x1, [sp, #8]; … stp d14, d15, [sp, #160]; stp x29, x30, [sp, #176]
  auto c = code({0xd10303ff, 0xa90087e0, 0x6d0a3fee, 0xa90b7bfd, 0x97ffe8e3});
  auto f = A.crosscall2_frame(c.data(), c.size(), 0xc0);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 0xc0);
  EXPECT_EQ(f->ret_off, 184);
  EXPECT_EQ(f->fp_off, 176);
}

TEST(Arm64, Crosscall1FrameRecord) {
  // gcc_arm64.S: stp x29, x30, [sp, #-96]!; mov x29, sp
  auto c = code({0xa9ba7bfd, 0x910003fd});
  auto f = A.crosscall1_frame(c.data(), c.size());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 96);
  EXPECT_EQ(f->ret_off, 8);
  EXPECT_EQ(f->fp_off, 0);
  auto other = code({0xd10303ff});
  EXPECT_FALSE(A.crosscall1_frame(other.data(), other.size()));
}

TEST(Arm64, GoFrame) {
  // CFA = SP + delta; return address at SP+0; caller's x29 at SP-8; delta 0: in LR.
  FrameShape f = A.go_frame(64, true);
  EXPECT_EQ(f.size, 64);
  EXPECT_EQ(f.ret_off, 0);
  EXPECT_EQ(f.fp_off, -8);
  FrameShape leaf = A.go_frame(0, true);
  EXPECT_FALSE(leaf.ret_off);
  EXPECT_FALSE(leaf.fp_off);
}

TEST(Arm64, CallTargets) {
  // bl runtime.newstack at 0x478f3c → 0x47c740 (go1.26 morestack); return address 0x478f40.
  auto bl = code({0x94000e01});
  EXPECT_EQ(A.call_target_before(bl.data(), bl.size(), 0x478f40), 0x47c740u);
  // adrp x0, 0x47c000; add x0, x0, #0x6b0; blr x0 at 0x47ae24 (cgocallback → cgocallbackg).
  auto adr = code({0xd0000000, 0x911ac000, 0xd63f0000});
  EXPECT_EQ(A.call_target_before(adr.data(), adr.size(), 0x47ae30), 0x47c6b0u);
  EXPECT_TRUE(A.is_indirect_call_before(adr.data(), adr.size()));
  EXPECT_FALSE(A.is_indirect_call_before(bl.data(), bl.size()));
}

TEST(Arm64, Registers) {
  EXPECT_STREQ(A.name(), "arm64");
  EXPECT_EQ(A.pc_reg(), 32);
  EXPECT_EQ(A.sp_reg(), 31);
  EXPECT_EQ(A.fp_reg(), 29);
  EXPECT_EQ(A.lr_reg(), 30);
  EXPECT_LT(A.pc_reg(), cgounwind::kMaxCfiRegs);
}
