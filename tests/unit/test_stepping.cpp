// Stepping across the cgo boundary (stepping.h) on testdata/callback and testdata/rustchain as
// every installed toolchain built them: cmd/cgo's names classified, where a step that ended in
// the glue goes, and the line changes a goroutine-aware next nets.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cgounwind/stepping.h"
#include "testdata_root.h"

namespace cgounwind {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> binaries(const char* program) { return testdata_binaries(program); }

std::unique_ptr<GoBinary> load(const fs::path& p) {
  std::string err;
  auto bin = GoBinary::load(p.string(), &err);
  EXPECT_TRUE(bin) << err;
  return bin;
}

TEST(Stepping, RolesOfCgoNamesOnEveryToolchain) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty()) << "no testdata under " << testdata_root();
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    auto bin = load(path);
    ASSERT_TRUE(bin);
    CgoNames names(*bin);
    EXPECT_EQ(names.role("main.goOuter"), StepRole::User);
    EXPECT_EQ(names.role("c_outer"), StepRole::User);
    EXPECT_EQ(names.role("main.GoMiddle"), StepRole::User);  // the Go function itself
    EXPECT_EQ(names.role("main._Cfunc_c_outer"), StepRole::CallStub);
    EXPECT_EQ(names.role("main._Cfunc_c_outer.abi0"), StepRole::CallStub);
    EXPECT_EQ(names.role("_cgo_a565bd81d6c5_Cfunc_c_outer"), StepRole::CProlog);
    EXPECT_EQ(names.role("GoMiddle"), StepRole::ExportWrapper);  // _cgo_export.c's wrapper
    EXPECT_EQ(names.role("_cgoexp_a565bd81d6c5_GoMiddle"), StepRole::ExportStub);
    EXPECT_EQ(names.role("main._cgoexp_a565bd81d6c5_GoMiddle"), StepRole::ExportStub);
    for (const char* f : {"runtime.cgocall", "runtime.asmcgocall", "runtime.cgocallback",
                          "runtime.cgocallbackg", "runtime.cgocallbackg1", "crosscall2",
                          "runtime.exitsyscall", "_cgo_topofstack", "x_cgo_thread_start"})
      EXPECT_EQ(names.role(f), StepRole::Switch) << f;
    // Not cgo's: a hash that is not 12 hex digits, an ordinary runtime function.
    EXPECT_EQ(names.role("_cgo_xyz_Cfunc_f"), StepRole::Switch);
    EXPECT_EQ(names.role("runtime.gopark"), StepRole::User);

    EXPECT_EQ(names.step_in_target("main._Cfunc_c_outer"), "c_outer");
    EXPECT_EQ(names.step_in_target("_cgo_a565bd81d6c5_Cfunc_c_inner"), "c_inner");
    EXPECT_EQ(names.step_in_target("GoMiddle"), "main.GoMiddle");
    EXPECT_EQ(names.step_in_target("_cgoexp_a565bd81d6c5_GoMiddle"), "main.GoMiddle");
    EXPECT_EQ(names.step_in_target("main._Cfunc_CString"), "");  // cgo's helpers: no user C
    EXPECT_EQ(names.step_in_target("main._Cfunc__CMalloc"), "");
    EXPECT_EQ(names.step_in_target("runtime.cgocall"), "");
  }
}

// The spliced stack of c_inner (README's "after"), frame 0 first.
std::vector<StepFrame> c_inner_stack() {
  return {{"c_inner", 0x4a1f74, 0x7000},
          {"_cgo_a565bd81d6c5_Cfunc_c_inner", 0x4a1f09, 0x7010},
          {"runtime.asmcgocall", 0x480d24, 0x7030},
          {"runtime.cgocall", 0x479695, 0xc000},
          {"main._Cfunc_c_inner", 0x4a1ae5, 0xc040},
          {"main.goInner", 0x4a1d1b, 0xc060},
          {"main.GoMiddle", 0x4a1cd6, 0xc090},
          {"_cgoexp_a565bd81d6c5_GoMiddle", 0x4a1dfa, 0xc0b0},
          {"runtime.cgocallbackg1", 0x414ce5, 0xc0d0},
          {"runtime.cgocallbackg", 0x414910, 0xc100},
          {"runtime.cgocallback", 0x480e4c, 0x7100},
          {"crosscall2", 0x488901, 0x7140},
          {"GoMiddle", 0x4a1e98, 0x7200},
          {"c_outer", 0x4a1f9f, 0x7240}};
}

TEST(Stepping, PlansAfterTheDebuggersStep) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty());
  auto bin = load(paths.front());
  ASSERT_TRUE(bin);
  CgoNames names(*bin);
  auto stack = c_inner_stack();
  using A = StepPlan::Action;

  // In the user's code: nothing to do, whatever the gesture.
  EXPECT_EQ(plan_after_step(names, StepGesture::In, stack).action, A::Done);

  // `finish` from c_inner stopped in the C prolog: back to main.goInner's frame, mid-line.
  std::vector<StepFrame> out(stack.begin() + 1, stack.end());
  StepPlan p = plan_after_step(names, StepGesture::Out, out);
  EXPECT_EQ(p.action, A::RunToFrame);
  EXPECT_EQ(out[p.frame].function, "main.goInner");
  EXPECT_EQ(p.pc, 0x4a1d1bu);
  EXPECT_EQ(p.sp, 0xc060u);
  EXPECT_FALSE(p.finish_line);
  // `next` or `step` off c_inner's end: the same frame, then the end of its line.
  EXPECT_TRUE(plan_after_step(names, StepGesture::Over, out).finish_line);
  EXPECT_EQ(plan_after_step(names, StepGesture::In, out).action, A::RunToFrame);

  // `step` into the Go stub (from goInner's line) or anywhere below it in the runtime: c_inner.
  std::vector<StepFrame> stub(stack.begin() + 4, stack.end());
  p = plan_after_step(names, StepGesture::In, stub);
  EXPECT_EQ(p.action, A::RunToFunction);
  EXPECT_EQ(p.function, "c_inner");
  std::vector<StepFrame> cgocall(stack.begin() + 3, stack.end());
  EXPECT_EQ(plan_after_step(names, StepGesture::In, cgocall).function, "c_inner");

  // `step` into the export wrapper (from c_outer's line) or crosscall2: main.GoMiddle.
  std::vector<StepFrame> wrapper(stack.begin() + 12, stack.end());
  p = plan_after_step(names, StepGesture::In, wrapper);
  EXPECT_EQ(p.action, A::RunToFunction);
  EXPECT_EQ(p.function, "main.GoMiddle");
  std::vector<StepFrame> crosscall(stack.begin() + 11, stack.end());
  EXPECT_EQ(plan_after_step(names, StepGesture::In, crosscall).function, "main.GoMiddle");

  // `finish` from main.GoMiddle stopped in the export stub: back to c_outer, in C.
  std::vector<StepFrame> back(stack.begin() + 7, stack.end());
  p = plan_after_step(names, StepGesture::Out, back);
  EXPECT_EQ(p.action, A::RunToFrame);
  EXPECT_EQ(back[p.frame].function, "c_outer");

  // Glue with no user frame above (a truncated stack): done, with one line saying why.
  std::vector<StepFrame> lost(stack.begin() + 1, stack.begin() + 4);
  p = plan_after_step(names, StepGesture::Out, lost);
  EXPECT_EQ(p.action, A::Done);
  EXPECT_NE(p.why.find("_cgo_a565bd81d6c5_Cfunc_c_inner"), std::string::npos) << p.why;
  EXPECT_EQ(plan_after_step(names, StepGesture::Over, {}).action, A::Done);
}

// LLDB's step over a line that a signal (SIGURG's asynchronous preemption) interrupts while it
// single-steps ends in the runtime's handler, or at the restorer the handler returned to (stacks
// as the LLDB provider lists them in testdata/stepgo, go1.26, and GDB's spelling): the step goes
// on from the interrupted frame to the end of its line.
TEST(Stepping, AStepThatEndedInASignalHandlerGoesOnWhereTheSignalArrived) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty());
  auto bin = load(paths.front());
  ASSERT_TRUE(bin);
  CgoNames names(*bin);
  using A = StepPlan::Action;
  const StepFrame worker{"main.worker", 0x49eb40, 0xc000052ef00};
  const StepFrame below{"main.main.gowrap3", 0x49f1e6, 0xc000052ef90};
  for (const char* restorer :
       {"runtime.sigreturn__sigaction", "runtime.sigreturn.sigaction.abi0", "__restore_rt"}) {
    std::vector<StepFrame> in_handler{{"runtime.sigtramp", 0x480e64, 0x7f0000d448},
                                      {restorer, 0x480fa0, 0x7f0000d480},
                                      worker,
                                      below};
    StepPlan p = plan_after_step(names, StepGesture::Over, in_handler);
    EXPECT_EQ(p.action, A::RunToFrame) << restorer;
    EXPECT_EQ(p.frame, 2u);
    EXPECT_EQ(p.pc, worker.pc);
    EXPECT_EQ(p.sp, worker.sp);
    EXPECT_TRUE(p.finish_line);
    // Stopped at the restorer itself (a step out of the handler).
    std::vector<StepFrame> at_restorer(in_handler.begin() + 1, in_handler.end());
    p = plan_after_step(names, StepGesture::In, at_restorer);
    EXPECT_EQ(p.action, A::RunToFrame);
    EXPECT_EQ(p.frame, 1u);
    EXPECT_TRUE(p.finish_line);
  }
  // A restorer below user code is not this case: the user's frame 0 is where the step ended.
  std::vector<StepFrame> user_above{worker, {"__restore_rt", 0x7f0001, 0x7f0000d480}, below};
  EXPECT_EQ(plan_after_step(names, StepGesture::Over, user_above).action, A::Done);
  // Nothing below the restorer (a truncated stack): not this case either.
  std::vector<StepFrame> truncated{{"runtime.sigtramp", 0x480e64, 0x7f0000d448},
                                   {"runtime.sigreturn__sigaction", 0x480fa0, 0x7f0000d480}};
  EXPECT_EQ(plan_after_step(names, StepGesture::Over, truncated).action, A::Done);
}

TEST(Stepping, RustThroughTheCAbi) {
  auto paths = binaries("rustchain");
  if (paths.empty()) GTEST_SKIP() << "rustchain not built (no cargo)";
  auto bin = load(paths.front());
  ASSERT_TRUE(bin);
  CgoNames names(*bin);
  EXPECT_EQ(names.role("rust_entry"), StepRole::User);
  EXPECT_EQ(names.role("GoFromRust"), StepRole::ExportWrapper);
  EXPECT_EQ(names.step_in_target("GoFromRust"), "main.GoFromRust");
}

TEST(Stepping, LineChangesOfAGoFunction) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    auto bin = load(path);
    ASSERT_TRUE(bin);
    GoModules mods;
    mods.add(GoModule(*bin, 0));
    auto entry = bin->func_entry("main.goInner");
    ASSERT_TRUE(entry);
    auto here = bin->pcln().file_line(*entry);
    ASSERT_TRUE(here);
    auto pcs = line_change_pcs(mods, *entry);
    ASSERT_FALSE(pcs.empty());
    for (uint64_t pc : pcs) {
      auto fl = bin->pcln().file_line(pc);
      ASSERT_TRUE(fl);
      EXPECT_EQ(fl->first, here->first);    // the function's own file
      EXPECT_NE(fl->second, here->second);  // another line than the one stepped from
      EXPECT_EQ(bin->func_name(pc), "main.goInner");
    }
    EXPECT_TRUE(line_change_pcs(mods, 0x10).empty());  // not Go code
  }
}

}  // namespace
}  // namespace cgounwind
