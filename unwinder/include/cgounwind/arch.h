// Architecture rules: instruction decoding and frame conventions. One implementation file per
// architecture (arch_amd64.cpp now; arm64 is a second file implementing the same functions).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace cgounwind::arch {

constexpr int kPtrSize = 8;

// Where asmcgocall saved the old g and the stack depth on the system stack, decoded from the
// instructions at its return site (the reload `MOVQ off(SP), DI` / `SUBQ off(SP), SI`).
struct AsmcgocallSlots {
  bool nosave = false;  // the no-switch path: depth_off(SP) holds the original SP, no g saved
  int64_t g_off = 0;
  int64_t depth_off = 0;
};
std::optional<AsmcgocallSlots> decode_asmcgocall_return(const uint8_t* code, size_t n);

// True when a function begins by pushing the frame pointer (PUSHQ BP; MOVQ SP, BP).
bool pushes_frame_pointer(const uint8_t* entry, size_t n);
// True when a function's prologue saves the caller's frame pointer just below the return address,
// either by pushing it or by the older SUBQ $N, SP; MOVQ BP, N-8(SP) form.
bool saves_frame_pointer(const uint8_t* entry, size_t n);

// A prologue made only of PUSHes (runtime/cgo's crosscall1 saving the C callee-saved registers):
// how many registers it pushed and which slot (0 = first pushed) holds the frame pointer.
struct PushPrologue {
  int pushes = 0;
  int fp_slot = -1;
};
PushPrologue decode_push_prologue(const uint8_t* entry, size_t n);

// Call kinds recognized just before a return address. `code` holds the kMaxCallLen bytes ending
// at the return address.
constexpr size_t kMaxCallLen = 16;
bool is_indirect_call_before(const uint8_t* code, size_t n);
// Target of a direct CALL rel32 ending at `ret`, or of `LEAQ sym(IP), reg; CALL reg`.
std::optional<uint64_t> call_target_before(const uint8_t* code, size_t n, uint64_t ret);

// Frame layout of a Go frame whose SP and SP delta are known.
inline uint64_t go_cfa(uint64_t sp, int64_t sp_delta) {
  return sp + static_cast<uint64_t>(sp_delta) + kPtrSize;
}
inline uint64_t return_address_slot(uint64_t cfa) { return cfa - kPtrSize; }
inline uint64_t saved_fp_slot(uint64_t cfa) { return cfa - 2 * kPtrSize; }

// DWARF register numbers used by call frame information.
constexpr int kDwarfFp = 6, kDwarfSp = 7, kDwarfRa = 16;
// Debugger register names (as GDB and LLDB spell them) -> DWARF numbers; the pc is kDwarfRa.
struct NamedRegister {
  const char* name;
  int dwarf;
};
const std::vector<NamedRegister>& dwarf_registers();

// Linux x86-64 signal frame: offsets inside the ucontext found at the restorer frame's SP.
constexpr int64_t kUcMcontext = 40;
constexpr int64_t kMcRbp = 80, kMcRsp = 120, kMcRip = 128;

}  // namespace cgounwind::arch
