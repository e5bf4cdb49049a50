// ElfFile + Pclntab on real Go binaries built by every installed toolchain:
//   ${CGOUNWIND_TESTDATA_DIR}/go1.*/seed               (cgo, external linking, with symbols)
//   ${CGOUNWIND_TESTDATA_DIR}/go1.*/callback-stripped  (-ldflags='-s -w': no .symtab)
// The environment variable CGOUNWIND_TESTDATA_DIR overrides the compiled-in directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cgounwind/elf.h"
#include "cgounwind/pclntab.h"
#include "testdata_root.h"

namespace cgounwind {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint8_t kSttFunc = 2;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint8_t kFuncFlagTopFrame = 1;

struct TestBinary {
  std::string toolchain;  // directory name, e.g. "go1.21"
  std::string program;    // "seed" or "callback-stripped"
  fs::path path;
  bool stripped() const { return program.find("stripped") != std::string::npos; }
};

std::vector<TestBinary> discover_binaries() {
  std::vector<TestBinary> out;
  std::error_code ec;
  fs::path root = testdata_root();
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string dir = it->path().filename().string();
    if (dir.rfind("go1.", 0) != 0 || !it->is_directory(ec)) continue;
    for (const char* program : {"seed", "callback-stripped"}) {
      fs::path p = it->path() / program;
      if (fs::is_regular_file(p, ec)) out.push_back({dir, program, p});
    }
  }
  std::sort(out.begin(), out.end(), [](const TestBinary& a, const TestBinary& b) {
    return std::tie(a.toolchain, a.program) < std::tie(b.toolchain, b.program);
  });
  return out;
}

void PrintTo(const TestBinary& b, std::ostream* os) { *os << b.path.string(); }

const std::vector<TestBinary>& binaries() {
  static const std::vector<TestBinary> all = discover_binaries();
  return all;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

uint16_t elf_machine(const ElfFile& elf) {
  const auto& b = elf.bytes();
  return b.size() >= 20 ? static_cast<uint16_t>(b[18] | (b[19] << 8)) : 0;
}

// Functions every cgo program links, with special roles in unwinding.
const char* const kRequiredFuncs[] = {
    "runtime.asmcgocall",  "runtime.cgocall",     "main.main",    "runtime.goexit",
    "runtime.cgocallback", "runtime.systemstack", "runtime.mcall"};

TEST(ElfPclntabData, BinariesFound) {
  ASSERT_FALSE(binaries().empty())
      << "no Go test binaries found under " << testdata_root()
      << "/go1.*/{seed,callback-stripped}. Build them (ctest -R build_testdata, or "
         "tests/build_testdata.py) or point CGOUNWIND_TESTDATA_DIR at a directory laid out "
         "as <dir>/go1.21/seed.";
  bool any_seed = false;
  for (const auto& b : binaries()) any_seed |= b.program == "seed";
  EXPECT_TRUE(any_seed) << "no unstripped 'seed' binary found under " << testdata_root();
}

class GoBinary : public ::testing::TestWithParam<TestBinary> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(elf_.load(GetParam().path.string())) << elf_.error();
    ASSERT_TRUE(pcl_.load(elf_)) << GetParam().path << ": " << pcl_.error();
    ASSERT_TRUE(pcl_.loaded());
  }
  GoFunc func(const char* name) {
    auto f = pcl_.func_by_name(name);
    EXPECT_TRUE(f.has_value()) << name << " not in pclntab";
    return f.value_or(GoFunc{});
  }
  ElfFile elf_;
  Pclntab pcl_;
};

TEST_P(GoBinary, LoadTiming) {
  const auto& bin = GetParam();
  double best_ms = 1e9;
  for (int i = 0; i < 5; ++i) {
    Pclntab p;
    auto t0 = Clock::now();
    ASSERT_TRUE(p.load(elf_)) << p.error();
    best_ms =
        std::min(best_ms, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  auto t0 = Clock::now();
  ElfFile e;
  ASSERT_TRUE(e.load(bin.path.string())) << e.error();
  double elf_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::printf(
      "[ timing ] %s/%s: %zu bytes, %zu funcs, ElfFile::load %.2f ms, "
      "Pclntab::load %.2f ms\n",
      bin.toolchain.c_str(), bin.program.c_str(), elf_.bytes().size(), pcl_.funcs().size(), elf_ms,
      best_ms);
  RecordProperty("pclntab_load_ms", std::to_string(best_ms));
#if defined(__SANITIZE_ADDRESS__)
  constexpr double kBudgetMs = 500;
#else
  constexpr double kBudgetMs = 50;
#endif
  EXPECT_LT(best_ms, kBudgetMs);
}

TEST_P(GoBinary, BuildVersionMatchesToolchain) {
  const std::string dir = GetParam().toolchain;
  const std::string v = go_build_version(elf_);
  ASSERT_EQ(v.rfind(dir, 0), 0u) << "version '" << v << "' for " << dir;
  // "go1.2" must not match "go1.21": the next character may not be a digit.
  if (v.size() > dir.size()) {
    EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(v[dir.size()]))) << v;
  }
}

TEST_P(GoBinary, RequiredFunctionsPresent) {
  for (const char* name : kRequiredFuncs) {
    auto f = pcl_.func_by_name(name);
    ASSERT_TRUE(f.has_value()) << name;
    EXPECT_EQ(f->name, name);
    EXPECT_LT(f->entry, f->end) << name;
  }
  EXPECT_FALSE(pcl_.func_by_name("no.such.function").has_value());
  EXPECT_FALSE(pcl_.func_by_name("").has_value());
}

TEST_P(GoBinary, FuncsSortedAndContiguous) {
  const auto& fs = pcl_.funcs();
  ASSERT_GT(fs.size(), 500u);
  for (size_t i = 0; i + 1 < fs.size(); ++i) {
    ASSERT_LT(fs[i].entry, fs[i + 1].entry) << fs[i].name << " / " << fs[i + 1].name;
    ASSERT_EQ(fs[i].end, fs[i + 1].entry) << fs[i].name;
  }
  EXPECT_GT(fs.back().end, fs.back().entry);
  size_t unnamed = 0;
  for (const auto& f : fs) unnamed += f.name.empty();
  EXPECT_EQ(unnamed, 0u);
  // Outside Go text there is no function.
  EXPECT_FALSE(pcl_.func_for_pc(fs.front().entry - 1).has_value());
  EXPECT_FALSE(pcl_.func_for_pc(fs.back().end).has_value());
  EXPECT_FALSE(pcl_.func_for_pc(0).has_value());
  EXPECT_FALSE(pcl_.sp_delta(0).has_value());
  EXPECT_FALSE(pcl_.file_line(~uint64_t{0}).has_value());
}

TEST_P(GoBinary, EntriesAgreeWithSymtab) {
  if (GetParam().stripped()) {
    // callback-stripped is built with -ldflags=-w: no DWARF. Where -s also removed the symbol
    // table there is nothing to compare with (text_start is checked by GoexitCallsGoexit1); every
    // function must still land in executable code.
    // Go's DWARF is gone (the C objects keep theirs; their unwind info is in .eh_frame, while
    // only Go writes .debug_frame).
    EXPECT_EQ(elf_.section(".debug_frame"), nullptr) << "expected a binary without Go DWARF";
    for (const auto& f : pcl_.funcs()) {
      bool in_text = false;
      for (const auto& s : elf_.sections()) {
        in_text |= (s.flags & 0x4) != 0 && f.entry >= s.addr && f.entry - s.addr < s.size;
      }
      ASSERT_TRUE(in_text) << f.name << " at " << f.entry << " is not in an executable section";
    }
    if (elf_.section(".symtab") == nullptr) return;
  }
  ASSERT_NE(elf_.section(".symtab"), nullptr);
  // A function with an ABI wrapper is in pclntab twice under one name; the ELF symtab names
  // the ABIInternal symbol "name" and the ABI0 one "name.abi0". Each pclntab entry must be one
  // of the two.
  size_t matches = 0, mismatches = 0, abi0 = 0;
  std::string first_bad;
  for (const auto& f : pcl_.funcs()) {
    auto sym = elf_.symbol(f.name);
    auto sym0 = elf_.symbol(f.name + ".abi0");
    if (sym && sym->type != kSttFunc) sym.reset();
    if (sym0 && sym0->type != kSttFunc) sym0.reset();
    if (!sym && !sym0) continue;
    if (sym && sym->value == f.entry) {
      ++matches;
    } else if (sym0 && sym0->value == f.entry) {
      ++matches;
      ++abi0;
    } else if (++mismatches <= 5) {
      first_bad += f.name + " pclntab=" + std::to_string(f.entry) +
                   " symtab=" + std::to_string(sym ? sym->value : sym0->value) + "\n";
    }
  }
  EXPECT_GT(abi0, 0u) << "expected ABI0 bodies/wrappers (e.g. runtime.asmcgocall.abi0)";
  // func_by_name picks the real body: for an assembly function that is the ABI0 symbol.
  auto asmcgocall0 = elf_.symbol("runtime.asmcgocall.abi0");
  ASSERT_TRUE(asmcgocall0.has_value());
  EXPECT_EQ(func("runtime.asmcgocall").entry, asmcgocall0->value);
  auto cgocallbackg = elf_.symbol("runtime.cgocallbackg");
  ASSERT_TRUE(cgocallbackg.has_value());
  EXPECT_EQ(func("runtime.cgocallbackg").entry, cgocallbackg->value);
  std::printf("[ symtab ] %s: %zu entries agree (%zu via .abi0), %zu differ, text_start=%#llx\n",
              GetParam().toolchain.c_str(), matches, abi0, mismatches,
              static_cast<unsigned long long>(pcl_.text_start()));
  EXPECT_EQ(mismatches, 0u) << first_bad;
  EXPECT_GT(matches, 1000u);
  auto rt = elf_.symbol("runtime.text");
  ASSERT_TRUE(rt.has_value());
  EXPECT_EQ(pcl_.text_start(), rt->value);
  // symbol_at agrees too.
  auto mm = func("main.main");
  auto s = elf_.symbol_at(mm.entry + 1);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "main.main");
}

TEST_P(GoBinary, FuncForPcRoundTrip) {
  size_t checked = 0;
  for (const auto& f : pcl_.funcs()) {
    auto at_entry = pcl_.func_for_pc(f.entry);
    ASSERT_TRUE(at_entry.has_value()) << f.name;
    EXPECT_EQ(at_entry->name, f.name);
    if (f.end > f.entry + 1) {
      auto g = pcl_.func_for_pc(f.entry + 1);
      ASSERT_TRUE(g.has_value()) << f.name;
      ASSERT_EQ(g->name, f.name);
      ++checked;
    }
    auto last = pcl_.func_for_pc(f.end - 1);
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->entry, f.entry) << f.name;
  }
  EXPECT_GT(checked, 500u);
}

TEST_P(GoBinary, SpDelta) {
  size_t bad = 0, missing = 0, no_tables = 0;
  std::string bad_names;
  for (const auto& f : pcl_.funcs()) {
    // "go:buildid", "go:textfipsstart" etc. are markers, not functions, and C functions that
    // Go's internal linker placed into Go text have pclntab entries without pc tables: neither
    // has an SP delta. Every Go function has one (its file/line proves it is Go code).
    const bool go_code = f.name.rfind("go:", 0) != 0 && pcl_.file_line(f.entry).has_value();
    if (!go_code) {
      ++no_tables;
      EXPECT_FALSE(f.name.rfind("runtime.", 0) == 0 || f.name.rfind("main.", 0) == 0) << f.name;
      EXPECT_FALSE(pcl_.sp_delta(f.entry).has_value()) << f.name;
      continue;
    }
    auto d = pcl_.sp_delta(f.entry);
    if (!d) {
      if (++missing <= 5) bad_names += f.name + " (no pcsp)\n";
    } else if (*d != 0) {
      if (++bad <= 5) bad_names += f.name + " delta " + std::to_string(*d) + "\n";
    }
  }
  EXPECT_EQ(bad + missing, 0u) << bad_names;
  EXPECT_LT(no_tables, pcl_.funcs().size() / 20);

  // main.main has a frame: somewhere inside it the SP delta is positive, and always 8-aligned.
  for (const char* name : {"main.main", "runtime.cgocall"}) {
    auto f = func(name);
    int64_t max_delta = 0;
    size_t covered = 0;
    for (uint64_t pc = f.entry; pc < f.end; ++pc) {
      auto d = pcl_.sp_delta(pc);
      if (!d) continue;
      ++covered;
      EXPECT_EQ(*d % 8, 0) << name << " pc " << pc;
      EXPECT_GE(*d, 0) << name;
      max_delta = std::max(max_delta, *d);
    }
    EXPECT_GT(max_delta, 0) << name;
    EXPECT_GT(covered, (f.end - f.entry) / 2) << name;
  }
}

TEST_P(GoBinary, FileLine) {
  auto mm = func("main.main");
  auto fl = pcl_.file_line(mm.entry);
  ASSERT_TRUE(fl.has_value());
  if (GetParam().program == "seed") {
    EXPECT_TRUE(ends_with(fl->first, "main.go")) << fl->first;
    EXPECT_GT(fl->second, 0);
  } else {
    EXPECT_TRUE(ends_with(fl->first, ".go")) << fl->first;
    EXPECT_GT(fl->second, 0);
  }
  if (elf_machine(elf_) == kEmX86_64) {
    auto gx = pcl_.file_line(func("runtime.goexit").entry);
    ASSERT_TRUE(gx.has_value());
    EXPECT_TRUE(ends_with(gx->first, "runtime/asm_amd64.s")) << gx->first;
    auto cg = pcl_.file_line(func("runtime.cgocall").entry + 4);
    ASSERT_TRUE(cg.has_value());
    EXPECT_TRUE(ends_with(cg->first, "runtime/cgocall.go")) << cg->first;
  }
  // Most functions resolve to a file and a positive line.
  size_t ok = 0;
  for (const auto& f : pcl_.funcs()) {
    auto x = pcl_.file_line(f.entry);
    ok += x && !x->first.empty() && x->second > 0;
  }
  EXPECT_GT(ok, pcl_.funcs().size() * 9 / 10);
}

TEST_P(GoBinary, FuncIdAndFlags) {
  // A wrong _func layout (1.18/1.19 have no startLine, so funcID moves by 4 bytes) would read
  // startLine's low byte as funcID and make ordinary functions look special.
  for (const char* name : {"main.main", "main.DoStuff", "runtime.cgocall", "runtime.newobject"}) {
    auto f = pcl_.func_by_name(name);
    if (!f && std::strcmp(name, "main.DoStuff") == 0) continue;  // only in some programs
    ASSERT_TRUE(f.has_value()) << name;
    EXPECT_EQ(f->func_id, 0) << name;
    EXPECT_EQ(f->flag & kFuncFlagTopFrame, 0) << name;
  }
  std::vector<uint8_t> ids;
  for (const char* name : {"runtime.asmcgocall", "runtime.cgocallback", "runtime.goexit",
                           "runtime.mcall", "runtime.systemstack", "runtime.rt0_go"}) {
    auto f = func(name);
    EXPECT_NE(f.func_id, 0) << name;
    ids.push_back(f.func_id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "special funcIDs must differ";
  EXPECT_NE(func("runtime.goexit").flag & kFuncFlagTopFrame, 0);
  EXPECT_NE(func("runtime.rt0_go").flag & kFuncFlagTopFrame, 0);
}

// Independent check of text_start (works without .symtab): on amd64 runtime.goexit is
// "NOP; CALL runtime.goexit1", so the call target must be goexit1's pclntab entry.
TEST_P(GoBinary, GoexitCallsGoexit1) {
  if (elf_machine(elf_) != kEmX86_64) GTEST_SKIP() << "amd64-only instruction check";
  // The call goes to goexit1's ABI0 wrapper (assembly calls Go through ABI0), which pclntab
  // also names runtime.goexit1.
  auto gx = func("runtime.goexit");
  uint8_t code[6] = {};
  ASSERT_TRUE(elf_.read_vaddr(gx.entry, code, sizeof code));
  EXPECT_EQ(code[0], 0x90);
  ASSERT_EQ(code[1], 0xe8);
  int32_t rel;
  std::memcpy(&rel, code + 2, 4);
  const uint64_t target = gx.entry + 6 + static_cast<int64_t>(rel);
  auto g1 = pcl_.func_for_pc(target);
  ASSERT_TRUE(g1.has_value());
  EXPECT_EQ(g1->name, "runtime.goexit1");
  EXPECT_EQ(g1->entry, target);
  // And asmcgocall's first instruction decodes somewhere inside text (sanity of read_vaddr).
  uint8_t b = 0;
  EXPECT_TRUE(elf_.read_vaddr(func("runtime.asmcgocall").entry, &b, 1));
  EXPECT_FALSE(elf_.read_vaddr(~uint64_t{0} - 2, &b, 8));
}

// Exercises every query on a (possibly corrupted) table; must never crash or hang.
void exercise(const ElfFile& elf, const Pclntab& p, uint64_t lo, uint64_t hi) {
  (void)go_build_version(elf);
  (void)elf.symbol("main.main");
  (void)elf.symbol_at(lo + 16);
  uint8_t buf[16];
  (void)elf.read_vaddr(lo, buf, sizeof buf);
  for (const char* name : kRequiredFuncs) {
    if (auto f = p.func_by_name(name)) {
      (void)p.sp_delta(f->entry);
      (void)p.sp_delta(f->entry + 3);
      (void)p.file_line(f->entry + 1);
    }
  }
  const auto& fs = p.funcs();
  const size_t step = std::max<size_t>(1, fs.size() / 48);
  for (size_t i = 0; i < fs.size(); i += step) {
    (void)p.sp_delta(fs[i].entry);
    (void)p.file_line(fs[i].entry);
    (void)p.sp_delta(fs[i].entry + (fs[i].end - fs[i].entry) / 2);
  }
  if (hi > lo) {
    for (uint64_t k = 0; k < 32; ++k) {
      uint64_t pc = lo + (hi - lo) / 32 * k + k;
      (void)p.func_for_pc(pc);
      (void)p.sp_delta(pc);
      (void)p.file_line(pc);
    }
  }
}

TEST_P(GoBinary, CorruptedInputNeverCrashesOrHangs) {
  const ElfSection* sec = elf_.section(".gopclntab");
  if (sec == nullptr) {  // PIE binaries of Go < 1.26 keep the table inside .data.rel.ro
    GTEST_SKIP() << "no .gopclntab section to corrupt";
  }
  const uint64_t pc_off = sec->offset, pc_size = sec->size;
  const std::vector<uint8_t> orig = elf_.bytes();
  const uint64_t lo = pcl_.funcs().front().entry, hi = pcl_.funcs().back().end;
  uint64_t shoff = 0;
  std::memcpy(&shoff, orig.data() + 40, 8);
  const uint64_t shdr_bytes = orig.size() - shoff;
  // Index of the .gopclntab section header.
  size_t pc_index = 0;
  for (size_t i = 0; i < elf_.sections().size(); ++i) {
    if (&elf_.sections()[i] == sec) pc_index = i;
  }
  const uint64_t pc_shdr = shoff + pc_index * 64;

  std::mt19937_64 rng(0xc0ffee ^ std::hash<std::string>{}(GetParam().toolchain));
  auto rnd = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  const uint64_t extremes[] = {
      0,           1,       7,           8,     0x7fffffff, 0x80000000,  0xffffffff,
      pc_size - 1, pc_size, pc_size + 1, ~0ull, ~0ull - 7,  orig.size(), 0x100000000ull};
  double worst_ms = 0;
  size_t loaded = 0, variants = 0;
  auto timed = [&](auto&& fn) {
    auto t0 = Clock::now();
    fn();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    worst_ms = std::max(worst_ms, ms);
    ++variants;
  };

  // (1) In-place mutations of .gopclntab: the ElfFile stays, only the bytes under the
  // Pclntab's view change. elf_ is a non-const object, so writing through const_cast is fine.
  auto& bytes = const_cast<std::vector<uint8_t>&>(elf_.bytes());
  const auto& fs = pcl_.funcs();
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::pair<uint64_t, uint8_t>> saved;
    auto poke = [&](uint64_t off, uint8_t v) {
      if (off >= pc_size) return;
      saved.emplace_back(pc_off + off, bytes[pc_off + off]);
      bytes[pc_off + off] = v;
    };
    auto poke64 = [&](uint64_t off, uint64_t v) {
      for (int i = 0; i < 8; ++i) poke(off + i, static_cast<uint8_t>(v >> (8 * i)));
    };
    switch (iter % 8) {
      case 0:
        poke(rnd(72), static_cast<uint8_t>(rng()));
        break;  // header byte
      case 1:
        poke64(8 + 8 * rnd(8), extremes[rnd(std::size(extremes))]);
        break;  // header word
      case 2:
        poke64(8 + 8 * rnd(8), rnd(pc_size + 64));
        break;
      case 3: {  // functab entry
        uint64_t functab = 0;
        std::memcpy(&functab, orig.data() + pc_off + 8 + 7 * 8, 8);
        poke(functab + rnd((fs.size() * 2 + 1) * 4), static_cast<uint8_t>(rng()));
        break;
      }
      case 4: {  // _func record bytes of a random function
        uint64_t functab = 0;
        std::memcpy(&functab, orig.data() + pc_off + 8 + 7 * 8, 8);
        const auto& f = fs[rnd(fs.size())];
        for (int k = 0; k < 4; ++k) {
          poke(functab + f.func_off + rnd(48), static_cast<uint8_t>(rng()));
        }
        break;
      }
      case 5: {  // a run of 0xff/0x80 (endless varints, huge deltas) somewhere
        uint64_t at = rnd(pc_size), len = 1 + rnd(64);
        for (uint64_t k = 0; k < len; ++k) poke(at + k, (rng() & 1) ? 0xff : 0x80);
        break;
      }
      case 6: {  // zero out a region (NULs, zero deltas)
        uint64_t at = rnd(pc_size), len = 1 + rnd(256);
        for (uint64_t k = 0; k < len; ++k) poke(at + k, 0);
        break;
      }
      default:  // random bytes anywhere in the table
        for (int k = 0; k < 8; ++k) poke(rnd(pc_size), static_cast<uint8_t>(rng()));
        break;
    }
    timed([&] {
      Pclntab p;
      if (p.load(elf_)) {
        ++loaded;
        exercise(elf_, p, lo, hi);
      } else {
        EXPECT_FALSE(p.error().empty());
        EXPECT_FALSE(p.loaded());
        exercise(elf_, p, lo, hi);  // queries on an unloaded table are fine too
      }
    });
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) bytes[it->first] = it->second;
  }
  ASSERT_EQ(bytes, orig) << "in-place mutations were not undone";

  // (2) Whole-file variants: ELF header, section headers, .gopclntab's header, truncation.
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<uint8_t> b = orig;
    auto put64 = [&](uint64_t off, uint64_t v) {
      if (off + 8 <= b.size()) std::memcpy(b.data() + off, &v, 8);
    };
    switch (iter % 6) {
      case 0:
        b[rnd(64)] = static_cast<uint8_t>(rng());
        break;
      case 1:
        for (int k = 0; k < 4; ++k) b[shoff + rnd(shdr_bytes)] = static_cast<uint8_t>(rng());
        break;
      case 2:
        put64(pc_shdr + 24 + 8 * rnd(3), extremes[rnd(std::size(extremes))]);
        break;
      case 3:
        put64(pc_shdr + 32, rnd(pc_size + 1));
        break;  // shrink .gopclntab
      case 4:
        b.resize(rnd(b.size()));
        break;  // truncate the file
      default:
        put64(shoff + 64 * rnd(elf_.sections().size()) + 8 * (1 + rnd(7)),
              extremes[rnd(std::size(extremes))]);
        break;
    }
    timed([&] {
      ElfFile e;
      if (!e.load_bytes(std::move(b))) {
        EXPECT_FALSE(e.error().empty());
        return;
      }
      Pclntab p;
      if (p.load(e)) ++loaded;
      exercise(e, p, lo, hi);
    });
  }
  std::printf("[ fuzz   ] %s/%s: %zu variants, %zu still loaded, worst %.2f ms\n",
              GetParam().toolchain.c_str(), GetParam().program.c_str(), variants, loaded, worst_ms);
  EXPECT_LT(worst_ms, 2000.0) << "a corrupted input took too long";
  EXPECT_GT(loaded, 0u);
}

std::string param_name(const ::testing::TestParamInfo<TestBinary>& info) {
  std::string s = info.param.toolchain + "_" + info.param.program;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoBinary);
INSTANTIATE_TEST_SUITE_P(Testdata, GoBinary, ::testing::ValuesIn(binaries()), param_name);

// Non-Go and malformed inputs are rejected with a message.
TEST(ElfFileMalformed, RejectsGarbage) {
  ElfFile e;
  EXPECT_FALSE(e.load_bytes({}));
  EXPECT_FALSE(e.error().empty());
  EXPECT_FALSE(e.load_bytes(std::vector<uint8_t>(100, 0x41)));
  EXPECT_NE(e.error().find("magic"), std::string::npos) << e.error();

  std::vector<uint8_t> hdr(64, 0);
  std::memcpy(hdr.data(),
              "\x7f"
              "ELF",
              4);
  hdr[4] = 1;  // ELF32
  hdr[5] = 1;
  EXPECT_FALSE(e.load_bytes(hdr));
  EXPECT_NE(e.error().find("ELF64"), std::string::npos) << e.error();
  hdr[4] = 2;
  hdr[5] = 2;  // big-endian
  EXPECT_FALSE(e.load_bytes(hdr));
  EXPECT_NE(e.error().find("little-endian"), std::string::npos) << e.error();
  hdr[5] = 1;
  EXPECT_FALSE(e.load_bytes(hdr));  // no section headers
  EXPECT_FALSE(e.error().empty());
  EXPECT_TRUE(e.sections().empty());
  EXPECT_FALSE(e.symbol("main").has_value());
  EXPECT_FALSE(e.symbol_at(0x1000).has_value());

  EXPECT_FALSE(e.load("/nonexistent/definitely/not/here"));
  EXPECT_FALSE(e.error().empty());

  Pclntab p;
  EXPECT_FALSE(p.load(e));
  EXPECT_FALSE(p.error().empty());
  EXPECT_FALSE(p.func_for_pc(0x401000).has_value());
  EXPECT_FALSE(p.sp_delta(0x401000).has_value());
  EXPECT_FALSE(p.file_line(0x401000).has_value());
  EXPECT_EQ(go_build_version(e), "");
}

TEST(ElfFileMalformed, NonGoElfHasNoPclntab) {
  ElfFile e;
  ASSERT_TRUE(e.load("/proc/self/exe")) << e.error();  // this C++ test binary
  EXPECT_FALSE(e.sections().empty());
  EXPECT_NE(e.section(".text"), nullptr);
  Pclntab p;
  EXPECT_FALSE(p.load(e));
  EXPECT_FALSE(p.error().empty());
  EXPECT_EQ(go_build_version(e), "");
  // Our own symbols are visible and symbol_at finds them.
  auto s = e.symbol("main");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->type, kSttFunc);
  auto at = e.symbol_at(s->value + 1);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->value, s->value);
  for (size_t i = 0; i + 1 < e.symbols().size(); ++i) {
    ASSERT_LE(e.symbols()[i].value, e.symbols()[i + 1].value);
  }
}

}  // namespace
}  // namespace cgounwind
