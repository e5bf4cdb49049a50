// amd64 decoding rules, on instruction bytes copied from real Go binaries' runtime.asmcgocall,
// runtime.cgocallback and runtime.mcall (go1.19 … go1.26, external linking).
#include <gtest/gtest.h>

#include <vector>

#include "cgounwind/arch.h"

using cgounwind::FrameShape;

namespace {
const cgounwind::Arch& A = cgounwind::amd64();
}  // namespace

TEST(Amd64, AsmcgocallGo119SlotsAfterGetTls) {
  // get_tls(CX) = mov %fs:-8,%rcx ; mov 0x30(%rsp),%rdi ; mov 0x8(%rdi),%rsi ; sub 0x28(%rsp),%rsi
  std::vector<uint8_t> code = {0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff,
                               0x48, 0x8b, 0x7c, 0x24, 0x30, 0x48, 0x8b, 0x77, 0x08,
                               0x48, 0x2b, 0x74, 0x24, 0x28, 0x64, 0x48, 0x89, 0x3c};
  auto s = A.decode_asmcgocall_return(code.data(), code.size());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->nosave);
  EXPECT_EQ(s->g_off, 0x30);
  EXPECT_EQ(s->depth_off, 0x28);
}

TEST(Amd64, AsmcgocallGo122SlotsWithZeroDisplacement) {
  // mov 0x8(%rsp),%rdi ; mov 0x8(%rdi),%rsi ; sub (%rsp),%rsi
  std::vector<uint8_t> code = {0x48, 0x8b, 0x7c, 0x24, 0x08, 0x48, 0x8b, 0x77,
                               0x08, 0x48, 0x2b, 0x34, 0x24, 0x64, 0x48};
  auto s = A.decode_asmcgocall_return(code.data(), code.size());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->g_off, 8);
  EXPECT_EQ(s->depth_off, 0);
}

TEST(Amd64, AsmcgocallNosavePath) {
  std::vector<uint8_t> code = {0x48, 0x8b, 0x34, 0x24, 0x48, 0x89, 0xf4, 0x89, 0x44, 0x24, 0x20};
  auto s = A.decode_asmcgocall_return(code.data(), code.size());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->nosave);
  EXPECT_EQ(s->depth_off, 0);
  // go1.21: mov 0x28(%rsp),%rsi ; mov %rsi,%rsp
  std::vector<uint8_t> go121 = {0x48, 0x8b, 0x74, 0x24, 0x28, 0x48, 0x89, 0xf4, 0x89, 0x44};
  auto s121 = A.decode_asmcgocall_return(go121.data(), go121.size());
  ASSERT_TRUE(s121);
  EXPECT_TRUE(s121->nosave);
  EXPECT_EQ(s121->depth_off, 0x28);
}

TEST(Amd64, AsmcgocallRejectsOtherCode) {
  // The ABI wrapper's return site: mov 0x10(%rsp),%eax ; add $0x18,%rsp
  std::vector<uint8_t> code = {0x8b, 0x44, 0x24, 0x10, 0x48, 0x83, 0xc4, 0x18, 0x5d, 0xc3};
  EXPECT_FALSE(A.decode_asmcgocall_return(code.data(), code.size()));
  std::vector<uint8_t> garbage(64, 0xcc);
  EXPECT_FALSE(A.decode_asmcgocall_return(garbage.data(), garbage.size()));
  EXPECT_FALSE(A.decode_asmcgocall_return(nullptr, 0));
}

TEST(Amd64, FramePointerPrologue) {
  std::vector<uint8_t> go121 = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x18};
  std::vector<uint8_t> go119 = {0x48, 0x83, 0xec, 0x20, 0x48, 0x89, 0x6c, 0x24, 0x18};
  // asmcgocall since go1.21: PUSHQ BP; MOVQ SP, BP — rbp at SP, return address at SP+8.
  auto f121 = A.asm_entry_frame(go121.data(), go121.size());
  ASSERT_TRUE(f121);
  EXPECT_EQ(f121->size, 16);
  EXPECT_EQ(f121->ret_off, 8);
  EXPECT_EQ(f121->fp_off, 0);
  auto f119 = A.asm_entry_frame(go119.data(), go119.size());
  ASSERT_TRUE(f119);
  EXPECT_EQ(f119->size, 8);
  EXPECT_EQ(f119->ret_off, 0);
  EXPECT_FALSE(f119->fp_off);
  EXPECT_TRUE(A.saves_frame_pointer(go121.data(), go121.size()));
  EXPECT_TRUE(A.saves_frame_pointer(go119.data(), go119.size()));
  // go1.21 crosscall2: sub $0x30,%rsp ; mov %rbp,0x28(%rsp)
  std::vector<uint8_t> cc2 = {0x48, 0x83, 0xec, 0x30, 0x48, 0x89, 0x6c, 0x24, 0x28};
  EXPECT_TRUE(A.saves_frame_pointer(cc2.data(), cc2.size()));
  cc2[8] = 0x20;  // BP stored elsewhere in the frame: not the frame-pointer slot
  EXPECT_FALSE(A.saves_frame_pointer(cc2.data(), cc2.size()));
  // go1.19 asmcgocall: mov fn+0(FP),%rax — no frame at all
  std::vector<uint8_t> none = {0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x8b, 0x5c, 0x24, 0x10};
  EXPECT_FALSE(A.saves_frame_pointer(none.data(), none.size()));
}

TEST(Amd64, CallTargets) {
  // lea 0x242e(%rip),%rax ; call *%rax   at 0x4569eb..0x4569f4 (go1.19 cgocallback)
  std::vector<uint8_t> lea_call = {0x48, 0x8d, 0x05, 0x2e, 0x24, 0x00, 0x00, 0xff, 0xd0};
  EXPECT_EQ(A.call_target_before(lea_call.data(), lea_call.size(), 0x4569f4), 0x458e20u);
  // call rel32 at 0x478338 → 0x47c1a0 (go1.26 morestack → newstack), return address 0x47833d
  std::vector<uint8_t> direct = {0xe8, 0x63, 0x3e, 0x00, 0x00};
  EXPECT_EQ(A.call_target_before(direct.data(), direct.size(), 0x47833d), 0x47c1a0u);
  std::vector<uint8_t> r12 = {0x90, 0x41, 0xff, 0xd4};  // call *%r12 (mcall)
  EXPECT_TRUE(A.is_indirect_call_before(r12.data(), r12.size()));
  std::vector<uint8_t> rdi = {0x90, 0xff, 0xd7};  // call *%rdi (systemstack)
  EXPECT_TRUE(A.is_indirect_call_before(rdi.data(), rdi.size()));
  EXPECT_FALSE(A.is_indirect_call_before(direct.data(), direct.size()));
}

TEST(Amd64, PushPrologue) {
  // crosscall1: push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15; mov %rdi,%rbx
  std::vector<uint8_t> cc1 = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41,
                              0x56, 0x41, 0x57, 0x48, 0x89, 0xfb};
  // Six pushes, rbp the second: return address at SP+48, rbp at SP+32, CFA = SP+56.
  auto f = A.crosscall1_frame(cc1.data(), cc1.size());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->size, 56);
  EXPECT_EQ(f->ret_off, 48);
  EXPECT_EQ(f->fp_off, 32);
  std::vector<uint8_t> none = {0x48, 0x83, 0xec, 0x20};
  EXPECT_FALSE(A.crosscall1_frame(none.data(), none.size()));
  std::vector<uint8_t> cut = {0x53, 0x41};  // truncated REX prefix, and no rbp pushed
  EXPECT_FALSE(A.crosscall1_frame(cut.data(), cut.size()));
}

TEST(Amd64, GoFrame) {
  // CFA = SP + delta + 8; return address at CFA-8; rbp at CFA-16 only once the frame has room.
  FrameShape f = A.go_frame(0x28, true);
  EXPECT_EQ(f.size, 0x30);
  EXPECT_EQ(f.ret_off, 0x28);
  EXPECT_EQ(f.fp_off, 0x20);
  EXPECT_FALSE(A.go_frame(0, true).fp_off);
  EXPECT_EQ(A.go_frame(0, true).ret_off, 0);
}

TEST(Arch, ChosenFromTheElfMachine) {
  EXPECT_EQ(cgounwind::arch_for_machine(62), &cgounwind::amd64());
  EXPECT_EQ(cgounwind::arch_for_machine(183), &cgounwind::arm64());
  EXPECT_EQ(cgounwind::arch_for_machine(40), nullptr);   // 32-bit arm
  EXPECT_EQ(cgounwind::arch_for_machine(243), nullptr);  // riscv64
  EXPECT_NE(cgounwind::machine_name(243).find("riscv64"), std::string::npos);
}
