// .eh_frame CFA rules (cfi.h), Go variables and their C mirrors (go_values.h), Go text
// (go_text.h), on real binaries built by every installed toolchain:
//   ${CGOUNWIND_TESTDATA_DIR}/go1.*/callback  (C at -O0: frame-pointer prologues)
//   ${CGOUNWIND_TESTDATA_DIR}/go1.*/values    (main.goValues, built with -gcflags='-N -l')
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cgounwind/cfi.h"
#include "cgounwind/elf.h"
#include "cgounwind/go_binary.h"
#include "cgounwind/go_format.h"
#include "cgounwind/go_text.h"
#include "cgounwind/go_values.h"
#include "cgounwind/thread_walk.h"
#include "testdata_root.h"

namespace cgounwind {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> binaries(const char* program) { return testdata_binaries(program); }

// testdata/values built for amd64 and, cross-built, for arm64 (plain C `char` is unsigned there).
std::vector<fs::path> values_builds() {
  std::vector<fs::path> out = binaries("values");
  for (const fs::path& p : binaries("values-arm64")) out.push_back(p);
  return out;
}

// Memory made of a few words.
class Words : public Memory {
 public:
  std::map<uint64_t, uint64_t> words;
  bool read(uint64_t addr, void* buf, size_t len) override {
    if (len != 8 || !words.count(addr)) return false;
    std::memcpy(buf, &words[addr], 8);
    return true;
  }
};

TEST(Cfi, GccFramePointerPrologueOnEveryToolchain) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty()) << "no testdata under " << testdata_root();
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    ElfFile elf;
    ASSERT_TRUE(elf.load(path.string())) << elf.error();
    CodeModules mods;
    mods.add(elf, 0);
    auto sym = elf.symbol("c_inner");
    ASSERT_TRUE(sym.has_value());
    // At entry: CFA = rsp + 8, return address at CFA - 8.
    auto entry = mods.row(sym->value);
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->cfa_reg, 7);
    EXPECT_EQ(entry->cfa_offset, 8);
    EXPECT_EQ(entry->rules[16].kind, CfiRule::Offset);
    EXPECT_EQ(entry->rules[16].offset, -8);
    // After `push %rbp; mov %rsp,%rbp` (gcc -O0): CFA = rbp + 16, rbp saved at CFA - 16.
    auto body = mods.row(sym->value + 4);
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ(body->cfa_reg, 6);
    EXPECT_EQ(body->cfa_offset, 16);
    EXPECT_EQ(body->rules[6].kind, CfiRule::Offset);
    EXPECT_EQ(body->rules[6].offset, -16);
    // One step from inside the body.
    Words mem;
    mem.words[0x7000 + 8] = 0x401234;  // return address at CFA - 8 (CFA = rbp + 16 = 0x7010)
    mem.words[0x7000] = 0x7100;        // saved rbp at CFA - 16
    CRegs r;
    r.set(16, sym->value + 8);
    r.set(7, 0x6ff0);
    r.set(6, 0x7000);
    CfiStep s = cfi_step(amd64(), mods, mem, r, true);
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.cfa, 0x7010u);
    EXPECT_EQ(s.caller.r[16], 0x401234u);
    EXPECT_EQ(s.caller.r[7], 0x7010u);
    EXPECT_EQ(s.caller.r[6], 0x7100u);
    EXPECT_FALSE(mods.row(1).has_value());  // outside every module
  }
}

// glibc's signal trampoline (__restore_rt: `mov $15,%rax; syscall`, rt_sigreturn), where the
// handler returns: its CFI is DWARF expressions over the kernel's ucontext_t at rsp
// (`DW_CFA_def_cfa_expression: DW_OP_breg7 160; DW_OP_deref`, `DW_CFA_expression: rN:
// DW_OP_breg7 OFF`, uc_mcontext at +40) and its CIE has the 'S' augmentation. One step out of it
// gives the interrupted registers, whatever stack they are on.
TEST(Cfi, SignalTrampolineOfTheSystemLibc) {
  const char* libc = "/lib/x86_64-linux-gnu/libc.so.6";
  ElfFile elf;
  if (!elf.load(libc)) GTEST_SKIP() << "no " << libc;
  const ElfSection* text = elf.section(".text");
  ASSERT_NE(text, nullptr);
  std::string_view code = elf.section_data(*text);
  const std::string_view sigreturn("\x48\xc7\xc0\x0f\x00\x00\x00\x0f\x05", 9);
  size_t at = code.find(sigreturn);
  ASSERT_NE(at, std::string_view::npos);
  uint64_t restore_rt = text->addr + at;
  CodeModules mods;
  mods.add(elf, 0);
  // Looked up at pc - 1, as a return address: glibc's FDE starts one byte early for that.
  auto row = mods.row(restore_rt - 1);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->cfa_reg, -1);
  EXPECT_FALSE(row->cfa_expr.empty());
  EXPECT_TRUE(row->signal_frame);
  EXPECT_EQ(row->rules[16].kind, CfiRule::Expression);
  Words mem;
  const uint64_t uc = 0x8000, mc = uc + 40;
  mem.words[mc + 10 * 8] = 0x9100;    // rbp
  mem.words[mc + 11 * 8] = 7;         // rbx
  mem.words[mc + 15 * 8] = 0x9000;    // rsp
  mem.words[mc + 16 * 8] = 0x401000;  // rip
  CRegs r;
  r.set(16, restore_rt);
  r.set(7, uc);
  r.set(6, 0x1234);
  CfiStep s = cfi_step(amd64(), mods, mem, r, false);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(s.signal_frame);
  EXPECT_FALSE(s.outermost);
  EXPECT_EQ(s.cfa, 0x9000u);
  EXPECT_EQ(s.caller.r[16], 0x401000u);
  EXPECT_EQ(s.caller.r[7], 0x9000u);
  EXPECT_EQ(s.caller.r[6], 0x9100u);
  EXPECT_EQ(s.caller.r[3], 7u);
  EXPECT_FALSE(s.caller.has(0));  // rax: not in the memory given
  // The ucontext unreadable: no step, and a reason.
  Words empty;
  CfiStep bad = cfi_step(amd64(), mods, empty, r, false);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("CFA expression"), std::string::npos) << bad.error;
}

// A thread stopped inside a signal handler, walked by the core (LLDB's path) from glibc's
// __restore_rt (the handler's return address): the caller is the interrupted frame, with the
// ucontext's registers on the stack it ran on (here below the handler's, as a goroutine stack
// is), its pc exact (an interruption at a function's first instruction), then its callers.
TEST(ThreadWalk, ThroughASignalFrameToTheInterruptedFrame) {
  const char* libc = "/lib/x86_64-linux-gnu/libc.so.6";
  ElfFile libc_elf;
  if (!libc_elf.load(libc)) GTEST_SKIP() << "no " << libc;
  const ElfSection* text = libc_elf.section(".text");
  ASSERT_NE(text, nullptr);
  size_t at = libc_elf.section_data(*text).find(
      std::string_view("\x48\xc7\xc0\x0f\x00\x00\x00\x0f\x05", 9));
  ASSERT_NE(at, std::string_view::npos);
  const uint64_t bias = 0x7f0000000000;
  const uint64_t restore_rt = bias + text->addr + at;
  auto paths = binaries("crash");
  ASSERT_FALSE(paths.empty()) << "no testdata under " << testdata_root();
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto bin = GoBinary::load(path.string(), &err);
    ASSERT_TRUE(bin) << err;
    ElfFile elf;
    ASSERT_TRUE(elf.load(path.string())) << elf.error();
    auto crash = elf.symbol("c_crash"), mid = elf.symbol("c_mid");
    ASSERT_TRUE(crash && mid);
    CodeModules mods;
    mods.add(elf, 0);
    ASSERT_TRUE(mods.add(libc, bias, &err)) << err;
    Words mem;
    const uint64_t uc = 0xa000, mc = uc + 40;  // the handler's stack: above the interrupted one
    mem.words[mc + 10 * 8] = 0x9100;           // rbp
    mem.words[mc + 15 * 8] = 0x9000;           // rsp
    mem.words[mc + 16 * 8] = crash->value;     // rip: c_crash's first instruction (push %rbp)
    mem.words[0x9000] = mid->value + 8;        // c_crash's return address, into c_mid's body
    mem.words[0x9100] = 0;                     // c_mid's frame (gcc -O0: CFA = rbp + 16): rbp
    mem.words[0x9108] = 0;                     // and return address 0: the end
    CRegs r;
    r.set(16, restore_rt);
    r.set(7, uc);
    r.set(6, 0x1234);
    ThreadStack s = walk_thread(*bin, mods, mem, r, {}, 0, 64, /*innermost=*/false);
    ASSERT_EQ(s.frames.size(), 3u) << s.error;
    EXPECT_EQ(s.error, "");
    EXPECT_EQ(s.frames[0].pc, restore_rt);
    EXPECT_TRUE(s.frames[0].trampoline);
    EXPECT_FALSE(s.frames[0].innermost);
    EXPECT_EQ(s.frames[0].rule, "signal");
    EXPECT_EQ(s.frames[1].pc, crash->value);
    EXPECT_EQ(s.frames[1].sp, 0x9000u);
    EXPECT_TRUE(s.frames[1].innermost);  // interrupted: looked up at its pc, not pc - 1
    EXPECT_FALSE(s.frames[1].trampoline);
    EXPECT_EQ(s.frames[2].pc, mid->value + 8);
    EXPECT_EQ(s.frames[2].sp, 0x9008u);
    EXPECT_FALSE(s.frames[2].innermost);
  }
}

// testdata/hostile's cycle mode, rebuilt in memory: cycle_a's saved frame pointer points back at
// cycle_b's frame. The core's thread walk must stop at the first caller whose stack pointer is
// not above its callee's, not go round the cycle up to the frame limit.
TEST(ThreadWalk, CyclicFramePointerChainStopsAtTheFirstBadStep) {
  auto paths = binaries("hostile");
  ASSERT_FALSE(paths.empty()) << "no testdata under " << testdata_root();
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto bin = GoBinary::load(path.string(), &err);
    ASSERT_TRUE(bin) << err;
    ElfFile elf;
    ASSERT_TRUE(elf.load(path.string())) << elf.error();
    CodeModules mods;
    mods.add(elf, 0);
    auto b = elf.symbol("cycle_b"), a = elf.symbol("cycle_a"), sab = elf.symbol("hostile_sabotage");
    ASSERT_TRUE(b && a && sab);
    Words mem;
    mem.words[0x7000] = 0x7100;          // cycle_b's frame: saved rbp = cycle_a's frame
    mem.words[0x7008] = a->value + 8;    // return into cycle_a's body
    mem.words[0x7100] = 0x7000;          // cycle_a's saved rbp: back to cycle_b's frame
    mem.words[0x7108] = sab->value + 8;  // return into hostile_sabotage's body
    CRegs r;
    r.set(16, b->value + 8);
    r.set(7, 0x6ff0);
    r.set(6, 0x7000);
    ThreadStack s = walk_thread(*bin, mods, mem, r, {}, 0, 4096);
    ASSERT_EQ(s.frames.size(), 3u) << s.error;
    EXPECT_EQ(s.frames[1].pc, a->value + 8);
    EXPECT_EQ(s.frames[2].pc, sab->value + 8);
    EXPECT_NE(s.error.find("frame #2: caller's sp 0x7010 is not above"), std::string::npos)
        << s.error;
  }
}

TEST(Cfi, CorruptedEhFrameNeverCrashes) {
  auto paths = binaries("callback");
  ASSERT_FALSE(paths.empty());
  ElfFile elf;
  ASSERT_TRUE(elf.load(paths[0].string()));
  const ElfSection* eh = elf.section(".eh_frame");
  ASSERT_NE(eh, nullptr);
  std::string data(elf.section_data(*eh));
  auto sym = elf.symbol("c_inner");
  ASSERT_TRUE(sym.has_value());
  std::mt19937_64 rng(42);
  size_t rows = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bad = data;
    for (int k = 0; k < 8; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (round % 50 == 0) bad.resize(rng() % bad.size());
    CfiTable t;
    t.load_eh_frame(bad, eh->addr);
    for (uint64_t pc = sym->value; pc < sym->value + 64; pc += 3) rows += t.row(pc).has_value();
  }
  EXPECT_GT(rows, 0u);  // most corruptions leave c_inner's FDE readable
}

TEST(GoValues, VariablesTypesAndMirrorsOnEveryToolchain) {
  auto paths = values_builds();
  ASSERT_FALSE(paths.empty());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto bin = GoBinary::load(path.string(), &err);
    ASSERT_TRUE(bin) << err;
    auto dwarf = GoDwarf::open(path.string(), &err);
    ASSERT_TRUE(dwarf) << err;
    auto entry = bin->func_entry("main.goValues");
    ASSERT_TRUE(entry.has_value());
    std::map<std::string, const GoType*> vars;
    for (const auto& v : dwarf->variables(*entry + 1)) vars[v.name] = dwarf->type(v.type);
    for (const char* name : {"n", "s", "xs", "pt", "p", "f", "ok", "sh", "psh"}) {
      ASSERT_TRUE(vars.count(name)) << name;
      ASSERT_NE(vars[name], nullptr) << name;
    }
    EXPECT_EQ(vars["n"]->kind, GoKind::Int);
    EXPECT_EQ(vars["s"]->kind, GoKind::String);
    EXPECT_EQ(vars["xs"]->kind, GoKind::Slice);
    EXPECT_EQ(vars["f"]->kind, GoKind::Float64);
    EXPECT_EQ(vars["ok"]->kind, GoKind::Bool);
    EXPECT_EQ(vars["p"]->kind, GoKind::Pointer);
    const GoType* pt = vars["pt"];
    EXPECT_EQ(pt->kind, GoKind::Struct);
    EXPECT_EQ(pt->name, "main.Point");
    EXPECT_EQ(pt->size, 32u);
    ASSERT_EQ(pt->fields.size(), 3u);
    EXPECT_EQ(pt->fields[2].name, "Name");
    EXPECT_EQ(pt->fields[2].offset, 16u);
    EXPECT_TRUE(dwarf->variables(1).empty());
    CMirror mirror(*dwarf);
    std::string expr = mirror.holder_expression({vars["pt"]->id, vars["p"]->id, vars["xs"]->id});
    EXPECT_NE(expr.find("struct $main_Point {"), std::string::npos) << expr;
    EXPECT_NE(expr.find("  long X;"), std::string::npos) << expr;
    EXPECT_NE(expr.find("  struct $string Name;"), std::string::npos) << expr;
    EXPECT_NE(expr.find("struct $main_Point *f1;"), std::string::npos) << expr;
    EXPECT_NE(expr.find("} __attribute__((packed));"), std::string::npos) << expr;
    // LLDB keeps the first declaration of a persistent type: never a bare forward declaration.
    EXPECT_EQ(expr.find("struct $main_Point;"), std::string::npos) << expr;
    // Declared once per mirror: a second holder reuses the types.
    std::string again = mirror.holder_expression({vars["pt"]->id});
    EXPECT_EQ(again.find("struct $main_Point {"), std::string::npos) << again;
    // cgo's C.Shape (a struct whose union Go sees as [4]uint8) is the C typedef Shape.
    ASSERT_TRUE(vars.count("sh"));
    EXPECT_EQ(dwarf->c_type_for(vars["sh"]->id).value_or("?"), "Shape");
    auto by_name = dwarf->type_by_name(vars["sh"]->name);  // the struct or its same-named typedef
    ASSERT_TRUE(by_name.has_value());
    EXPECT_EQ(dwarf->c_type_for(*by_name).value_or("?"), "Shape");
    EXPECT_FALSE(dwarf->c_type_for(vars["pt"]->id).has_value());  // a Go struct
    EXPECT_NE(mirror.holder_expression({vars["psh"]->id}).find("Shape *f0;"), std::string::npos);
    CMirror fresh(*dwarf, 2);
    EXPECT_NE(fresh.spelling(vars["pt"]->id).find("$main_Point_g2"), std::string::npos);
  }
}

// Memory made of byte regions.
class Regions : public Memory {
 public:
  std::map<uint64_t, std::string> at;
  bool read(uint64_t addr, void* buf, size_t len) override {
    for (const auto& [base, bytes] : at) {
      if (addr >= base && len <= bytes.size() && addr - base <= bytes.size() - len) {
        std::memcpy(buf, bytes.data() + (addr - base), len);
        return true;
      }
    }
    return false;
  }
};

std::vector<uint8_t> words(std::initializer_list<uint64_t> ws) {
  std::vector<uint8_t> out;
  for (uint64_t w : ws)
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(w >> (8 * i)));
  return out;
}

TEST(GoFormat, ValuesOnEveryToolchain) {
  auto paths = values_builds();
  ASSERT_FALSE(paths.empty());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto dwarf = GoDwarf::open(path.string(), &err);
    ASSERT_TRUE(dwarf) << err;
    Regions mem;
    mem.at[0x1000] = "origin";
    mem.at[0x2000] = std::string(reinterpret_cast<const char*>(words({10, 20, 30}).data()), 24);
    GoFormatter f{*dwarf, mem, 0};
    auto id = [&](const char* name) {
      auto t = dwarf->type_by_name(name);
      EXPECT_TRUE(t.has_value()) << name;
      return t.value_or(0);
    };
    EXPECT_EQ(f.format(id("int"), words({static_cast<uint64_t>(-5)})), "-5");
    EXPECT_EQ(f.format(id("main.Point"), words({1, 2, 0x1000, 6})),
              "main.Point{X: 1, Y: 2, Name: \"origin\"}");
    EXPECT_EQ(f.format(id("[]int"), words({0x2000, 3, 3})), "[]int len: 3, cap: 3 [10, 20, 30]");
    EXPECT_EQ(f.format(id("[]int"), words({0x2000, 9, 3})), "[]int len: 9, cap: 3 <bad length>");
    EXPECT_EQ(f.format(id("string"), words({0x9000, 4})), "<unreadable string at 0x9000>");
    EXPECT_EQ(f.format(id("error"), words({0, 0})), "error(nil)");
    EXPECT_EQ(f.format(id("chan int"), words({0})), "chan int(nil)");
    EXPECT_EQ(f.format(id("map[string]int"), words({0})), "map[string]int(nil)");
    EXPECT_EQ(f.format(id("map[string]int"), words({0x9000})),
              "map[string]int(<unreadable at 0x9000>)");
    mem.at[0x3000] = std::string("Tom\0", 4);
    EXPECT_EQ(f.format(id("*main._Ctype_char"), words({0x3000})), "(*C.char)(0x3000) \"Tom\"");
    EXPECT_EQ(f.format(id("chan int"), words({0x9000})), "chan int(<unreadable at 0x9000>)");
    EXPECT_EQ(f.format(id("error"), words({0x9000, 0})), "error(<unreadable itab at 0x9000>)");
    EXPECT_TRUE(f.children(id("map[string]int"), words({0})).empty());
    EXPECT_TRUE(f.children(id("error"), words({0x9000, 0})).empty());
    EXPECT_TRUE(f.children(id("int"), words({1})).empty());
    // Garbage words, pointing into readable memory or not: bounded text, no crash.
    std::mt19937_64 rng(11);
    const uint64_t near[] = {0, 0x1000, 0x2000, 0x3000, 0x2008, 0x9000, ~0ull};
    for (const char* name : {"string", "[]int", "main.Point", "error", "interface {}", "chan int",
                             "map[string]int", "map[int]int", "*main.Point"}) {
      for (int i = 0; i < 3000; ++i) {
        std::vector<uint64_t> ws;
        for (int w = 0; w < 4; ++w) ws.push_back(rng() % 2 ? near[rng() % 7] + rng() % 64 : rng());
        auto b = words({ws[0], ws[1], ws[2], ws[3]});
        EXPECT_LT(f.format(id(name), b).size(), 8 * GoFormatter::kMaxText) << name;
        EXPECT_LE(f.children(id(name), b).size(), GoFormatter::kMaxElements) << name;
      }
    }
  }
  EXPECT_EQ(type_id_from_mirror("$iface_error_89367"), 0x89367u);
  EXPECT_EQ(type_id_from_mirror("$chan_chan_int_7d917"), 0x7d917u);
  EXPECT_EQ(type_id_from_mirror("$main_Point"), 0u);
  EXPECT_EQ(type_id_from_mirror("$iface_x_zz"), 0u);
}

std::vector<uint8_t> bytes_of(std::initializer_list<std::pair<size_t, std::string>> parts,
                              size_t size) {
  std::vector<uint8_t> out(size);
  for (const auto& [off, b] : parts) std::memcpy(out.data() + off, b.data(), b.size());
  return out;
}

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string le64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

TEST(GoFormat, CValuesOnEveryToolchain) {
  auto paths = values_builds();
  ASSERT_FALSE(paths.empty());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto dwarf = GoDwarf::open(path.string(), &err);
    ASSERT_TRUE(dwarf) << err;
    Regions mem;
    mem.at[0x3000] = std::string("Tom\0", 4);
    GoFormatter f{*dwarf, mem, 0};
    auto c = [&](const char* name) {
      auto t = dwarf->c_type_by_name(name);
      EXPECT_TRUE(t.has_value()) << name;
      return t.value_or(0);
    };
    // The seed's Animal: ANIMAL_KIND_CAT names cat_name, which comes first, marked.
    auto cat = bytes_of({{0, le32(2)}, {4, std::string("Tom")}}, 20);
    EXPECT_EQ(f.format_c(c("Animal"), cat),
              "{kind = ANIMAL_KIND_CAT, {cat_name = \"Tom\" <active>, tail_len = 7171924}}");
    // No enumerator names a member (DOG ↔ tail_len), or the tag is garbage: declared order.
    EXPECT_EQ(f.format_c(c("Animal"), bytes_of({{0, le32(1)}, {4, le32(42)}}, 20)),
              "{kind = ANIMAL_KIND_DOG, {tail_len = 42, cat_name = \"*\"}}");
    EXPECT_EQ(f.format_c(c("Animal"), bytes_of({{0, le32(77)}, {4, le32(42)}}, 20)),
              "{kind = 77, {tail_len = 42, cat_name = \"*\"}}");
    // A cat_name without its NUL stops at the array's end.
    EXPECT_EQ(f.format_c(c("Animal"), bytes_of({{0, le32(2)}, {4, std::string(16, 'x')}}, 20)),
              "{kind = ANIMAL_KIND_CAT, {cat_name = \"xxxxxxxxxxxxxxxx\" <active>, "
              "tail_len = 2021161080}}");
    EXPECT_EQ(f.format_c(c("Animal"), std::vector<uint8_t>(3)), "<short value>");
    // A named union, an array member.
    auto raw = bytes_of({{0, le32(3)}, {4, std::string("\x01\x02\x03\x04\x05\x06\x07\x08")}}, 12);
    EXPECT_EQ(f.format_c(c("Number"), raw),
              "{tag = NUMBER_RAW, as = {raw = {1, 2, 3, 4, 5, 6, 7, 8} <active>, i = 67305985, "
              "f = 1.5399896e-36}}");
    // An anonymous struct and a union inside an anonymous union.
    EXPECT_EQ(f.format_c(c("Pos"), bytes_of({{0, std::string("\x02")}, {4, le32(0x00010002)}}, 8)),
              "{dims = 2, {{x = 2, y = 1}, bits = {packed = 65538, bytes = {2, 0, 1, 0}}}}");
    // {const char *data; size_t len}: the text; garbage lengths and pointers fall back to the
    // members.
    EXPECT_EQ(f.format_c(c("CStr"), bytes_of({{0, le64(0x3000)}, {8, le64(3)}}, 16)), "\"Tom\"");
    EXPECT_EQ(f.format_c(c("CStr"), bytes_of({{0, le64(0x3000)}, {8, le64(2)}}, 16)), "\"To\"");
    EXPECT_EQ(f.format_c(c("CStr"), bytes_of({{0, le64(0)}, {8, le64(0)}}, 16)), "\"\"");
    EXPECT_EQ(f.format_c(c("CStr"), bytes_of({{0, le64(0x9000)}, {8, le64(3)}}, 16)),
              "{data = 0x9000, len = 3}");
    EXPECT_EQ(f.format_c(c("CStr"), bytes_of({{0, le64(0x3000)}, {8, le64(1ull << 50)}}, 16)),
              "{data = 0x3000 \"Tom\", len = 1125899906842624}");
    // The cgo Go type of Animal formats through the C type.
    std::optional<uint64_t> go;
    for (int i = 0; i < 32 && !go; ++i) {
      auto id = dwarf->type_by_name("main._Ctype_struct___" + std::to_string(i));
      if (id && dwarf->c_type_for(*id) == "Animal") go = id;
    }
    ASSERT_TRUE(go.has_value());
    // cgo's names as a Go programmer writes them.
    std::string animal = dwarf->type(*go)->name;
    EXPECT_EQ(cgo_display_name(*dwarf, animal), "C.Animal");
    EXPECT_EQ(cgo_display_name(*dwarf, "[]" + animal), "[]C.Animal");
    EXPECT_EQ(cgo_display_name(*dwarf, "*main._Ctype_char"), "*C.char");
    EXPECT_EQ(cgo_display_name(*dwarf, "map[main._Ctype_int]seed/app._Ctype_long"),
              "map[C.int]C.long");
    EXPECT_EQ(cgo_display_name(*dwarf, "main._Ctype_struct_point"), "C.struct_point");
    EXPECT_EQ(cgo_display_name(*dwarf, "main.Point"), "main.Point");
    EXPECT_EQ(cgo_display_name(*dwarf, "._Ctype_"), "C.");
    EXPECT_EQ(f.format(*go, cat),
              "{kind = ANIMAL_KIND_CAT, {cat_name = \"Tom\" <active>, tail_len = 7171924}}");
    // Random bytes through every C type: bounded text, no crash.
    std::mt19937_64 rng(7);
    for (const char* name : {"Animal", "Number", "Pos", "CStr", "Shape"}) {
      const GoType* t = dwarf->type(c(name));
      ASSERT_NE(t, nullptr);
      for (int i = 0; i < 2000; ++i) {
        std::vector<uint8_t> b(t->size);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        EXPECT_LT(f.format_c(t->id, b).size(), 4 * GoFormatter::kMaxText) << name;
      }
    }
  }
  GoType e;
  e.enumerators = {{"ANIMAL_KIND_DOG", 1}, {"ANIMAL_KIND_CAT", 2}};
  EXPECT_EQ(enumerator_token(e, 2), "cat");
  EXPECT_EQ(enumerator_token(e, 3), "");
  e.enumerators = {{"RED", 0}, {"GREEN", 1}};
  EXPECT_EQ(enumerator_token(e, 1), "green");
  e.enumerators = {{"ONLY_ONE", 0}};
  EXPECT_EQ(enumerator_token(e, 0), "one");
  EXPECT_TRUE(member_matches_token("cat_name", "cat"));
  EXPECT_TRUE(member_matches_token("the_cat", "cat"));
  EXPECT_TRUE(member_matches_token("Cat", "cat"));
  EXPECT_FALSE(member_matches_token("category", "cat"));
  EXPECT_FALSE(member_matches_token("tail_len", "dog"));
  EXPECT_FALSE(member_matches_token("", ""));
}

// A Swiss-table map (Go >= 1.24) whose directory has a table in two slots (its local depth
// below the global depth): built in memory from the binary's own layouts; every table is read
// once.
TEST(GoFormat, SwissMapTableInSeveralDirectorySlots) {
  int tested = 0;
  for (const auto& path : values_builds()) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto dwarf = GoDwarf::open(path.string(), &err);
    ASSERT_TRUE(dwarf) << err;
    auto map_id = dwarf->type_by_name("internal/runtime/maps.Map");
    auto table_id = dwarf->type_by_name("internal/runtime/maps.table");
    auto group_id = dwarf->type_by_name("noalg.map.group[int]int");
    if (!map_id || !table_id || !group_id) continue;  // classic hash maps (Go <= 1.23)
    const GoType* m = dwarf->type(*map_id);
    const GoType* table = dwarf->type(*table_id);
    const GoType* group = dwarf->type(*group_id);
    ASSERT_TRUE(m && table && group);
    const GoField* slots = group->field("slots");
    ASSERT_NE(slots, nullptr);
    const GoType* slot = dwarf->type(dwarf->type(slots->type)->elem);
    ASSERT_NE(slot, nullptr);
    auto put = [](std::string& b, uint64_t off, uint64_t v) {
      if (b.size() < off + 8) b.resize(off + 8);
      std::memcpy(b.data() + off, &v, 8);
    };
    Regions mem;
    std::string mb(m->size, '\0');
    put(mb, m->field("used")->offset, 2);
    put(mb, m->field("dirPtr")->offset, 0x11000);
    put(mb, m->field("dirLen")->offset, 3);
    mem.at[0x10000] = mb;
    std::string dir;
    put(dir, 0, 0x12000);  // table 1 fills directory slots 0 and 1
    put(dir, 8, 0x12000);
    put(dir, 16, 0x14000);
    mem.at[0x11000] = dir;
    for (auto [t, g, key] : {std::tuple{0x12000, 0x13000, 1}, std::tuple{0x14000, 0x15000, 2}}) {
      std::string tb(table->size, '\0');
      put(tb, table->field("groups")->offset, static_cast<uint64_t>(g));  // data
      put(tb, table->field("groups")->offset + 8, 0);                     // lengthMask
      mem.at[static_cast<uint64_t>(t)] = tb;
      std::string gb(group->size, '\0');
      put(gb, group->field("ctrl")->offset, 0x8080808080808000ull);  // slot 0 full
      put(gb, slots->offset + slot->field("key")->offset, static_cast<uint64_t>(key));
      put(gb, slots->offset + slot->field("elem")->offset, static_cast<uint64_t>(key * 10));
      mem.at[static_cast<uint64_t>(g)] = gb;
    }
    GoFormatter f{*dwarf, mem, 0};
    auto id = dwarf->type_by_name("map[int]int");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(f.format(*id, words({0x10000})), "map[int]int len: 2 [1: 10, 2: 20]");
    EXPECT_EQ(f.children(*id, words({0x10000})).size(), 2u);
    ++tested;
  }
  EXPECT_GT(tested, 0) << "no toolchain with Swiss-table maps";
}

// A garbage Swiss map: the largest directory the formatter accepts, every entry a different
// table, every table the largest group array, every group empty. Without a bound on the groups
// read that is 2^32 reads (found by fuzz_format as a timeout).
class EndlessSwissMap : public Memory {
 public:
  uint64_t groups_off = 0;
  uint64_t reads = 0;
  bool read(uint64_t addr, void* buf, size_t len) override {
    ++reads;
    auto* out = static_cast<uint8_t*>(buf);
    uint64_t v = 0;
    if (addr >= kGroups) {  // groups: every control byte 0x80 (empty)
      std::memset(out, 0x80, len);
      return true;
    }
    if (addr >= kTables) {  // tables: groups.data, groups.lengthMask
      v = (addr - kTables) % 0x100 == groups_off ? kGroups : 0xffff;
    } else if (addr >= kDir) {  // the directory: a new table in each entry
      v = kTables + (addr - kDir) / 8 * 0x100;
    }
    std::memset(out, 0, len);
    std::memcpy(out, &v, std::min<size_t>(len, 8));
    return true;
  }
  static constexpr uint64_t kDir = 0x100000, kTables = 0x10000000, kGroups = 0x800000000;
};

TEST(GoFormat, SwissMapGarbageDirectoryIsBounded) {
  int tested = 0;
  for (const auto& path : values_builds()) {
    SCOPED_TRACE(path.string());
    std::string err;
    auto dwarf = GoDwarf::open(path.string(), &err);
    ASSERT_TRUE(dwarf) << err;
    auto map_id = dwarf->type_by_name("internal/runtime/maps.Map");
    auto table_id = dwarf->type_by_name("internal/runtime/maps.table");
    if (!map_id || !table_id) continue;  // classic hash maps (Go <= 1.23)
    const GoType* m = dwarf->type(*map_id);
    EndlessSwissMap mem;
    mem.groups_off = dwarf->type(*table_id)->field("groups")->offset;
    std::vector<uint8_t> mb(m->size);
    auto put = [&](uint64_t off, uint64_t v) { std::memcpy(mb.data() + off, &v, 8); };
    put(m->field("used")->offset, 5);
    put(m->field("dirPtr")->offset, EndlessSwissMap::kDir);
    put(m->field("dirLen")->offset, 1u << 16);
    auto id = dwarf->type_by_name("map[int]int");
    ASSERT_TRUE(id.has_value());
    // The map header is read by value (mb); the rest through `mem`.
    std::vector<uint8_t> ptr(8);
    const uint64_t header = 0x40000;
    std::memcpy(ptr.data(), &header, 8);
    Regions hdr;
    hdr.at[header] = std::string(mb.begin(), mb.end());
    struct Both : Memory {
      Regions& h;
      EndlessSwissMap& e;
      Both(Regions& h_, EndlessSwissMap& e_) : h(h_), e(e_) {}
      bool read(uint64_t a, void* b, size_t n) override {
        return h.read(a, b, n) || e.read(a, b, n);
      }
    } both(hdr, mem);
    GoFormatter g{*dwarf, both, 0};
    std::string text = g.format(*id, ptr);
    EXPECT_NE(text.find("...+5 more"), std::string::npos) << text;
    EXPECT_LT(mem.reads, 200000u);
    ++tested;
  }
  EXPECT_GT(tested, 0) << "no toolchain with Swiss-table maps";
}

TEST(GoValues, LocationExpressions) {
  std::map<int, uint64_t> regs = {{0, 0x1111}, {7, 0x2000}};
  auto one = [](uint8_t atom, uint64_t op1 = 0) { return LocOp{atom, op1, 0}; };
  VarLocation l = locate({one(0x91, static_cast<uint64_t>(-24))}, 0x5000, regs);  // fbreg -24
  ASSERT_EQ(l.pieces.size(), 1u);
  EXPECT_EQ(l.pieces[0].kind, VarPiece::Memory);
  EXPECT_EQ(l.pieces[0].where, 0x5000u - 24);
  l = locate({one(0x50), one(0x93, 8), one(0x91, 8), one(0x93, 8)}, 0x5000, regs);
  ASSERT_EQ(l.pieces.size(), 2u);
  EXPECT_EQ(l.pieces[0].kind, VarPiece::Register);
  EXPECT_EQ(l.pieces[1].where, 0x5008u);
  Words mem;
  mem.words[0x5008] = 13;
  std::string why;
  auto bytes = read_variable(l, 16, mem, regs, &why);
  ASSERT_TRUE(bytes.has_value()) << why;
  EXPECT_EQ((*bytes)[0], 0x11);
  EXPECT_EQ((*bytes)[8], 13);
  EXPECT_FALSE(read_variable(l, 16, mem, {}, &why).has_value());  // rax unknown in callers
  EXPECT_EQ(why, "register not available in this frame");
  EXPECT_EQ(locate({}, 0, regs).pieces[0].kind, VarPiece::Unavailable);
  EXPECT_FALSE(locate({one(0x96)}, 0, regs).error.empty());     // DW_OP_nop: unsupported here
  EXPECT_FALSE(locate({one(0x23, 4)}, 0, regs).error.empty());  // plus_uconst, empty stack
}

TEST(GoText, QuotedStrings) {
  EXPECT_EQ(quote_go_string("hello", 5), "\"hello\"");
  EXPECT_EQ(quote_go_string("hello, \xe4\xb8\x96\xe7\x95\x8c", 13), "\"hello, 世界\"");
  EXPECT_EQ(quote_go_string("a\"b\\\n\t\x01", 7), "\"a\\\"b\\\\\\n\\t\\x01\"");
  EXPECT_EQ(quote_go_string("\xff\xe4", 2), "\"\\xff\\xe4\"");
  EXPECT_EQ(quote_go_string("abc", 10), "\"abc\"...+7 more");
  EXPECT_EQ(quote_go_string("", -1), "<bad string length -1>");
}

TEST(GoText, Paths) {
  GoPath p = parse_go_path("  p.Name ");
  EXPECT_EQ(p.root, "p");
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].field, "Name");
  p = parse_go_path("*pt.Inner.Xs[12]");
  EXPECT_TRUE(p.error.empty()) << p.error;
  ASSERT_EQ(p.steps.size(), 4u);
  EXPECT_EQ(p.steps[2].kind, GoPathStep::Index);
  EXPECT_EQ(p.steps[2].index, 12u);
  EXPECT_EQ(p.steps[3].kind, GoPathStep::Deref);
  EXPECT_FALSE(parse_go_path("xs[").error.empty());
  EXPECT_FALSE(parse_go_path("a + b").error.empty());
  EXPECT_FALSE(parse_go_path("").error.empty());
  EXPECT_FALSE(parse_go_path("xs[99999999999999999999]").error.empty());
}

}  // namespace
}  // namespace cgounwind
