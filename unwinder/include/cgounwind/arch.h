// Architecture rules: frame conventions, instruction decoding for the runtime's stack-switch code
// and register numbering. One interface, one implementation file per architecture
// (arch_amd64.cpp, arch_arm64.cpp), chosen at run time from the binary's ELF e_machine — the way
// Delve keeps pkg/proc/arch.go with amd64_arch.go / arm64_arch.go, and LLDB one ABI plugin per
// architecture. Nothing outside those files knows an encoding, a register name or a frame layout.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgounwind {

// Where a frame keeps its caller's state, relative to the frame's SP at some pc:
// caller SP (= CFA) = SP + size; return address at SP + ret_off, or still in the link register
// when ret_off is empty; caller's frame pointer at SP + fp_off, or unchanged when empty.
struct FrameShape {
  int64_t size = 0;
  std::optional<int64_t> ret_off;
  std::optional<int64_t> fp_off;
};

// Where asmcgocall saved the old g and the stack depth on the system stack, decoded from the
// instructions at its return site (the reload of g and the subtraction of the depth).
struct AsmcgocallSlots {
  bool nosave = false;  // the no-switch path: depth_off(SP) holds the original SP, no g saved
  int64_t g_off = 0;
  int64_t depth_off = 0;
};

// Where the kernel saved an interrupted context, relative to the SP of the frame whose pc is a
// signal handler's return address (the rt_sigreturn trampoline: the kernel's signal frame is
// that frame): offsets of the interrupted pc, SP, frame pointer and link register (-1: none).
struct SigcontextSlots {
  int64_t pc = 0, sp = 0, fp = 0, lr = -1;
};

// Debugger register names (as GDB and LLDB spell them) -> DWARF numbers.
struct NamedRegister {
  const char* name;
  int dwarf;
};

class Arch {
 public:
  virtual ~Arch() = default;
  virtual const char* name() const = 0;  // GOARCH spelling: "amd64", "arm64"
  static constexpr int kPtrSize = 8;     // both supported architectures are 64-bit

  // --- frames ---
  // A compiled Go function's frame at a pc where pclntab's SP delta is `delta`; `saves_fp`: the
  // function saves the caller's frame pointer (compiled Go always does; assembly only when its
  // prologue says so).
  virtual FrameShape go_frame(int64_t delta, bool saves_fp) const = 0;
  // The frame the prologue of an assembly function builds, seen from SP right after it
  // (asmcgocall's SP is recorded there as a depth).
  virtual std::optional<FrameShape> asm_entry_frame(const uint8_t* entry, size_t n) const = 0;
  // The frame of crosscall2 (Go assembly that saves the C callee-saved registers) at its call
  // into cgocallback, whose pclntab SP delta there is `delta`.
  virtual std::optional<FrameShape> crosscall2_frame(const uint8_t* entry, size_t n,
                                                     int64_t delta) const = 0;
  // The frame of runtime/cgo's crosscall1 (gcc assembly without unwind info) at its call into
  // the thread's Go start.
  virtual std::optional<FrameShape> crosscall1_frame(const uint8_t* entry, size_t n) const = 0;
  // True when an assembly function's prologue saves the caller's frame pointer.
  virtual bool saves_frame_pointer(const uint8_t* entry, size_t n) const = 0;

  // --- the runtime's switch sequences ---
  virtual std::optional<AsmcgocallSlots> decode_asmcgocall_return(const uint8_t* code,
                                                                  size_t n) const = 0;
  // Offset from cgocallback's SP on g0 of the previous g0.sched.sp it saved (nested callbacks
  // form a chain through that slot).
  virtual int64_t cgocallback_saved_sp_off() const = 0;
  // Where mcall left the goroutine it switched away from, relative to the SP of its frame on
  // g0; empty when it passed it in a register only (the caller then uses m.curg).
  virtual std::optional<int64_t> mcall_gp_off() const = 0;
  // True for the assembly functions that call the vDSO: they store their caller's SP in
  // m.vdsoSP, then move SP to g0's stack and align it for C, so from that switch to the switch
  // back their CFI (the assembler's SP bookkeeping) describes no real frame.
  virtual bool switches_for_vdso(std::string_view name) const = 0;
  // True for the assembly functions that call C on the stack they run on after aligning SP for
  // the C ABI: from that alignment until SP is restored after the call, SP can be one word below
  // where the assembler's bookkeeping (pclntab, the CFI made from it) puts it; their prologue's
  // frame pointer still locates the frame.
  virtual bool aligns_sp_for_c(std::string_view name) const = 0;
  // How many bytes is_rt_sigreturn reads.
  static constexpr size_t kSigreturnLen = 9;
  // True when the code is a signal handler's restorer: "rt_sigreturn now" (the Go runtime's own
  // runtime.sigreturn__sigaction in binaries without cgo; glibc's __restore_rt has CFI that says
  // so). GDB recognizes the same instructions (amd64_linux_sigtramp_p, aarch64's tramp frame).
  virtual bool is_rt_sigreturn(const uint8_t* code, size_t n) const = 0;
  // Where the restorer's second instruction (the system call) starts: a thread stopped there
  // (stepping out of a handler) has not left the signal frame either.
  virtual uint64_t sigreturn_syscall_off() const = 0;
  // The kernel's signal frame, as seen from the restorer's frame.
  virtual SigcontextSlots sigcontext() const = 0;

  // --- calls ---
  // How many bytes before a return address call_target_before and is_indirect_call_before read.
  static constexpr size_t kMaxCallLen = 16;
  virtual bool is_indirect_call_before(const uint8_t* code, size_t n) const = 0;
  // Target of the direct call (or load-address-then-call-register) ending at `ret`.
  virtual std::optional<uint64_t> call_target_before(const uint8_t* code, size_t n,
                                                     uint64_t ret) const = 0;

  // --- registers ---
  // DWARF numbers of the registers the core's C unwinder tracks: every number is < kMaxCfiRegs.
  // The pc has a slot of its own (pc_reg); the return-address column comes from each CIE.
  virtual int pc_reg() const = 0;
  virtual int sp_reg() const = 0;
  virtual int fp_reg() const = 0;
  virtual int lr_reg() const = 0;  // -1 without a link register
  virtual const std::vector<NamedRegister>& dwarf_registers() const = 0;
  // Names the debuggers use for the pc, SP, frame pointer and link register ("" if none).
  virtual const char* pc_name() const = 0;
  virtual const char* sp_name() const = 0;
  virtual const char* fp_name() const = 0;
  virtual const char* lr_name() const = 0;
  // The register holding the running g in Go code (not in C, nor in some runtime assembly).
  virtual const char* g_name() const = 0;
};

const Arch& amd64();
const Arch& arm64();
// The architecture of an ELF e_machine, or nullptr when cgounwind does not support it.
const Arch* arch_for_machine(uint16_t e_machine);
// One-line name of an ELF machine for messages ("EM_ARM (40)").
std::string machine_name(uint16_t e_machine);

// Upper bound of DWARF register numbers across the supported architectures (arm64: x0–x30,
// sp 31, pc 32).
constexpr int kMaxCfiRegs = 33;

}  // namespace cgounwind
