// Go modules at run-time addresses (GoModule, GoModules, step_in), on real binaries of every
// toolchain built here: a PIE executable and two builds of a Go c-shared library, placed at
// load biases like the ones a process gives them.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cgounwind/go_binary.h"
#include "cgounwind/memory.h"
#include "cgounwind/unwinder.h"
#include "testdata_root.h"

namespace cgounwind {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> toolchain_dirs() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(testdata_root(), ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("go1.", 0) == 0) out.push_back(it->path());
  return out;
}

std::unique_ptr<GoBinary> load(const fs::path& p) {
  std::string err;
  auto b = GoBinary::load(p.string(), &err);
  EXPECT_TRUE(b) << p << ": " << err;
  return b;
}

class NoMemory : public Memory {
 public:
  bool read(uint64_t, void*, size_t) override { return false; }
};

constexpr uint64_t kBiasA = 0x7f1234560000, kBiasB = 0x7f5678900000;

TEST(Modules, LooksLikeGoFromSectionHeadersAlone) {
  auto dirs = toolchain_dirs();
  ASSERT_FALSE(dirs.empty()) << "build the testdata programs first";
  for (const auto& d : dirs) {
    for (const char* go : {"callback", "callback-pie", "callback-stripped", "libgocb.so"})
      EXPECT_TRUE(looks_like_go((d / go).string())) << d / go;
    EXPECT_FALSE(looks_like_go((d / "cshared-host").string())) << "a C host is not Go";
  }
  for (const auto& d : dirs) {  // looks like Go (a .go.buildinfo section), cannot be read as Go
    ASSERT_TRUE(looks_like_go((d / "fakego-host").string()));
    std::string err;
    EXPECT_EQ(GoBinary::load((d / "fakego-host").string(), &err), nullptr);
    EXPECT_NE(err.find("not a Go binary we can read"), std::string::npos) << err;
  }
  EXPECT_FALSE(looks_like_go("/bin/true"));
  EXPECT_FALSE(looks_like_go("/nonexistent/file"));
  EXPECT_FALSE(looks_like_go("/etc/hostname"));  // not ELF
}

TEST(Modules, EveryFactIsRelocatedByTheBias) {
  for (const auto& d : toolchain_dirs()) {
    auto bin = load(d / "callback-pie");
    ASSERT_TRUE(bin);
    EXPECT_EQ(bin->elf().type(), 3) << "a PIE is ET_DYN";
    GoModule mod(*bin, kBiasA);
    auto link = bin->func_entry("runtime.asmcgocall");
    ASSERT_TRUE(link) << d;
    auto entry = mod.func_entry("runtime.asmcgocall");
    ASSERT_TRUE(entry);
    EXPECT_EQ(*entry, *link + kBiasA);
    auto f = mod.func_for_pc(*entry + 1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->name, "runtime.asmcgocall");
    EXPECT_EQ(f->entry, *entry);
    EXPECT_TRUE(mod.in_func(*entry, "runtime.asmcgocall"));
    EXPECT_TRUE(mod.is_go_pc(*entry));
    EXPECT_TRUE(mod.contains(*entry));
    // The link-time address is not where the module is.
    EXPECT_FALSE(mod.contains(*link));
    EXPECT_FALSE(mod.func_for_pc(*link).has_value());
    EXPECT_EQ(mod.func_name(*link), "");
    EXPECT_EQ(mod.sp_delta(*entry), bin->pcln().sp_delta(*link));
    EXPECT_EQ(mod.file_line(*entry + 1), bin->pcln().file_line(*link + 1));
    auto allgs = bin->data_symbol("runtime.allgs");
    ASSERT_TRUE(allgs);
    EXPECT_EQ(mod.data_symbol("runtime.allgs"), *allgs + kBiasA);
    std::array<uint8_t, 16> code_link{}, code_run{};
    ASSERT_TRUE(bin->read_image(*link, code_link.data(), code_link.size()));
    ASSERT_TRUE(mod.read_image(*entry, code_run.data(), code_run.size()));
    EXPECT_EQ(code_link, code_run);
    EXPECT_FALSE(mod.read_image(*link, code_run.data(), code_run.size()));
    if (auto c = bin->c_thread_entry()) {
      EXPECT_EQ(mod.c_thread_entry()->value, c->value + kBiasA);
      // The file's answer, moved (none for a size-0 NOTYPE crosscall1 in some toolchains).
      auto at_link = bin->elf().symbol_at(c->value);
      auto at_run = mod.symbol_at(c->value + kBiasA);
      ASSERT_EQ(at_link.has_value(), at_run.has_value());
      if (at_link) {
        EXPECT_EQ(at_run->name, at_link->name);
        EXPECT_EQ(at_run->value, at_link->value + kBiasA);
      }
    }
  }
}

TEST(Modules, EachPcGoesToItsOwnRuntime) {
  for (const auto& d : toolchain_dirs()) {
    auto a = load(d / "libgocb.so"), b = load(d / "libgocb2.so");
    ASSERT_TRUE(a && b);
    GoModules mods;
    mods.add(GoModule(*a, kBiasA));
    mods.add(GoModule(*b, kBiasB));
    uint64_t in_a = *mods.all()[0].func_entry("main.goInner");
    uint64_t in_b = *mods.all()[1].func_entry("main.goInner");
    EXPECT_EQ(mods.for_pc(in_a), &mods.all()[0]);
    EXPECT_EQ(mods.for_pc(in_b), &mods.all()[1]);
    EXPECT_EQ(mods.for_pc(0x401000), nullptr) << "the host's code";
    EXPECT_NE(mods.all()[0].id(), mods.all()[1].id());

    // A frame of runtime B after frames of runtime A: B's part of the walk starts afresh.
    NoMemory mem;
    WalkState st;
    st.module = mods.all()[0].id();
    st.g = 0x1234;
    st.cgocallbacks = 3;
    uint64_t goexit = *mods.all()[1].func_entry("runtime.goexit");
    Step s = step_in(mods, mem, Regs{goexit + 1, 0x7ffd0000, 0}, st, ThreadInfo{}, false);
    EXPECT_EQ(s.kind, StepKind::Outermost) << s.rule << " " << s.error;
    EXPECT_EQ(s.state.module, mods.all()[1].id());
    EXPECT_EQ(s.state.cgocallbacks, 0);
    EXPECT_EQ(s.state.g, 0u);
    // The host's C code is nobody's: the debugger unwinds it.
    Step c = step_in(mods, mem, Regs{0x401000, 0x7ffd0000, 0}, st, ThreadInfo{}, true);
    EXPECT_EQ(c.kind, StepKind::NotMine);
  }
}

}  // namespace
}  // namespace cgounwind
