// The C view of Go's DWARF (c_view.h): the separate debug file written for real executables of
// several toolchains (amd64 and arm64), re-read with libdwarf and the ELF reader; the in-memory
// patch on hand-made DWARF covering every unit kind and form class; and truncated, mutated and
// random bytes, which must fail cleanly (false, an error, buffers untouched) and never crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cgounwind/c_view.h"
#include "cgounwind/elf.h"
#include "testdata_root.h"

namespace cgounwind {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kLangGo = 0x16, kLangC99 = 0x0c;
// DWARF 5 constants (§7.5): the unit tests are built without libdwarf's headers.
enum : uint64_t {
  DW_TAG_compile_unit = 0x11,
  DW_TAG_subroutine_type = 0x15,
  DW_TAG_pointer_type = 0x0f,
  DW_TAG_subprogram = 0x2e,
  DW_TAG_variable = 0x34,
  DW_TAG_type_unit = 0x41,
  DW_CHILDREN_no = 0,
  DW_CHILDREN_yes = 1,
  DW_AT_location = 0x02,
  DW_AT_name = 0x03,
  DW_AT_byte_size = 0x0b,
  DW_AT_stmt_list = 0x10,
  DW_AT_low_pc = 0x11,
  DW_AT_high_pc = 0x12,
  DW_AT_language = 0x13,
  DW_AT_comp_dir = 0x1b,
  DW_AT_producer = 0x25,
  DW_AT_decl_file = 0x3a,
  DW_AT_decl_line = 0x3b,
  DW_AT_type = 0x49,
  DW_AT_trampoline = 0x56,
  DW_FORM_addr = 0x01,
  DW_FORM_block2 = 0x03,
  DW_FORM_block4 = 0x04,
  DW_FORM_data2 = 0x05,
  DW_FORM_string = 0x08,
  DW_FORM_block = 0x09,
  DW_FORM_block1 = 0x0a,
  DW_FORM_data1 = 0x0b,
  DW_FORM_flag = 0x0c,
  DW_FORM_sdata = 0x0d,
  DW_FORM_udata = 0x0f,
  DW_FORM_ref_addr = 0x10,
  DW_FORM_data4 = 0x06,
  DW_FORM_ref4 = 0x13,
  DW_FORM_ref_udata = 0x15,
  DW_FORM_indirect = 0x16,
  DW_FORM_sec_offset = 0x17,
  DW_FORM_exprloc = 0x18,
  DW_FORM_flag_present = 0x19,
  DW_FORM_addrx = 0x1b,
  DW_FORM_data16 = 0x1e,
  DW_FORM_line_strp = 0x1f,
  DW_FORM_implicit_const = 0x21,
  DW_FORM_strx1 = 0x25,
  DW_FORM_strx3 = 0x27,
  DW_FORM_addrx4 = 0x2c,
  DW_UT_compile = 1,
  DW_UT_type = 2,
  DW_UT_skeleton = 4,
  DW_OP_lit0 = 0x30,
  DW_OP_lit1 = 0x31,
  DW_OP_plus = 0x22,
};
constexpr uint64_t kShfCompressed = 0x800;

// A scratch directory for one test, removed with everything in it.
class Scratch {
 public:
  Scratch() {
    dir_ = fs::temp_directory_path() / ("cgounwind-cview-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  fs::path operator/(const std::string& name) const { return dir_ / name; }
  const fs::path& dir() const { return dir_; }
  // Everything in the directory: the test checks that no temporary was left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  fs::path dir_;
};

// DW_AT_language of every unit in .debug_info, in order (-1 when absent), as binutils' readelf
// prints it: an independent reader of both the executable (compressed sections, any
// architecture) and the written file.
std::vector<int64_t> unit_languages(const fs::path& path) {
  std::vector<int64_t> out;
  const std::string cmd =
      "readelf --debug-dump=info --dwarf-depth=1 '" + path.string() + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << cmd;
    return out;
  }
  char line[4096];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    const std::string l = line;
    if (l.find("Compilation Unit @") != std::string::npos) out.push_back(-1);
    const size_t at = l.find("DW_AT_language");
    const size_t colon = l.find(':', at == std::string::npos ? l.size() : at);
    if (colon != std::string::npos && !out.empty()) out.back() = std::stoll(l.substr(colon + 1));
  }
  EXPECT_EQ(pclose(p), 0) << cmd;
  return out;
}

std::string section_bytes(const ElfFile& elf, const char* name) {
  const ElfSection* s = elf.section(name);
  return s == nullptr ? std::string() : std::string(elf.section_data(*s));
}

fs::path testdata(const char* program) { return testdata_root() / program; }

struct RealCase {
  const char* program;
  uint16_t machine;
};

const RealCase kRealCases[] = {{"go1.19/values", 62},
                               {"go1.26/values", 62},
                               {"go1.22/callback", 62},
                               {"go1.26/callback-arm64", 183},
                               {"go1.26/carchive-host", 62}};

void check_real(const RealCase& c, const Scratch& scratch) {
  const fs::path exe = testdata(c.program);
  ASSERT_TRUE(fs::exists(exe)) << exe << ": build the testdata programs first";
  const fs::path out = scratch / (fs::path(c.program).filename().string() + ".cview.debug");
  CViewStats stats;
  std::string err;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(write_c_view_debug_file(exe.string(), out.string(), &stats, &err)) << err;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("  %s: %d Go units, %d other units, %d func abbrevs, written in %lld ms\n", c.program,
              stats.go_units, stats.other_units, stats.func_abbrevs, static_cast<long long>(ms));

  const std::vector<int64_t> before = unit_languages(exe), after = unit_languages(out);
  ASSERT_EQ(before.size(), after.size());
  int go = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_NE(after[i], kLangGo) << "unit " << i;
    EXPECT_EQ(after[i], before[i] == kLangGo ? kLangC99 : before[i]) << "unit " << i;
    go += before[i] == kLangGo ? 1 : 0;
  }
  EXPECT_GT(go, 0);
  EXPECT_EQ(stats.go_units, go);
  EXPECT_EQ(stats.go_units + stats.other_units, static_cast<int>(before.size()));
  EXPECT_GE(stats.func_abbrevs, 1) << "Go always describes some func type";

  ElfFile in, dbg;
  ASSERT_TRUE(in.load(exe.string())) << in.error();
  ASSERT_TRUE(dbg.load(out.string())) << dbg.error();
  EXPECT_EQ(dbg.machine(), c.machine);
  const std::string id = section_bytes(in, ".note.gnu.build-id");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(section_bytes(dbg, ".note.gnu.build-id"), id) << "LLDB matches the file by build-id";
  for (const ElfSection& s : dbg.sections())
    EXPECT_EQ(s.flags & kShfCompressed, 0u) << s.name << ": LLDB ignores compressed debug files";
}

TEST(CView, WritesADebugFileWhoseGoUnitsReadAsC) {
  Scratch scratch;
  for (const RealCase& c : kRealCases) {
    SCOPED_TRACE(c.program);
    check_real(c, scratch);
  }
  for (const std::string& name : scratch.entries())
    EXPECT_NE(name.find(".cview.debug"), std::string::npos) << "left behind: " << name;
}

// A DW_TAG_subprogram of a Go unit that has an address range, as readelf prints it.
struct GoFunction {
  std::string name;
  int64_t decl_line = -1;  // -1: none
  bool empty = false;      // high_pc a length of 0, or an address equal to low_pc
};

std::vector<GoFunction> go_functions(const fs::path& path) {
  std::vector<GoFunction> out;
  const std::string cmd = "readelf --debug-dump=info '" + path.string() + "' 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << cmd;
    return out;
  }
  bool go = false, in_sub = false;
  GoFunction f;
  std::string low, high;
  auto flush = [&] {
    if (in_sub && go && !low.empty() && !high.empty()) {
      f.empty = high.rfind("0x", 0) == 0
                    ? std::stoull(high, nullptr, 16) == std::stoull(low, nullptr, 16)
                    : std::stoull(high) == 0;
      out.push_back(f);
    }
    in_sub = false;
  };
  auto value = [](const std::string& l) {  // the last word of "<off>   DW_AT_x : … value"
    std::string v = l.substr(l.find_last_of(" \t", l.find_last_not_of(" \n")) + 1);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    return v;
  };
  char line[4096];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    const std::string l = line;
    if (l.find("Abbrev Number") != std::string::npos) {
      flush();
      in_sub = l.find("(DW_TAG_subprogram)") != std::string::npos;
      f = GoFunction{};
      low.clear();
      high.clear();
    } else if (l.find("DW_AT_language") != std::string::npos) {
      go = std::stoll(l.substr(l.find(':') + 1)) == kLangC99 ||
           std::stoll(l.substr(l.find(':') + 1)) == kLangGo;
    } else if (in_sub && l.find("DW_AT_name") != std::string::npos) {
      f.name = value(l);
    } else if (in_sub && l.find("DW_AT_decl_line") != std::string::npos) {
      f.decl_line = std::stoll(value(l));
    } else if (in_sub && l.find("DW_AT_low_pc") != std::string::npos) {
      low = value(l);
    } else if (in_sub && l.find("DW_AT_high_pc") != std::string::npos) {
      high = value(l);
    }
  }
  flush();
  EXPECT_EQ(pclose(p), 0) << cmd;
  return out;
}

// Go's ABI wrappers share their function's DW_AT_name: in the C view their ranges are empty, so
// LLDB resolves `b runtime.newstack` to the function alone.
TEST(CView, EmptiesTheRangesOfAbiWrappers) {
  Scratch scratch;
  for (const char* v : {"go1.19", "go1.21", "go1.22", "go1.23", "go1.26"}) {
    const std::string program = std::string(v) + "/switches";
    SCOPED_TRACE(program);
    const fs::path out = scratch / (std::string(v) + ".debug");
    CViewStats stats;
    std::string err;
    ASSERT_TRUE(
        write_c_view_debug_file(testdata(program.c_str()).string(), out.string(), &stats, &err))
        << err;
    std::printf("  %s: %d wrappers emptied, %d skipped\n", program.c_str(), stats.wrappers,
                stats.wrappers_skipped);
    EXPECT_GT(stats.wrappers, 0);
    EXPECT_EQ(stats.wrappers_skipped, 0);
    std::map<std::string, std::vector<GoFunction>> by_name;
    size_t empty = 0;
    for (const GoFunction& f : go_functions(out)) {
      empty += f.empty ? 1 : 0;
      if (!f.empty) by_name[f.name].push_back(f);
    }
    EXPECT_EQ(empty, static_cast<size_t>(stats.wrappers));
    for (const auto& [name, fs] : by_name) {
      if (fs.size() < 2 || name.empty()) continue;
      for (const GoFunction& f : fs) EXPECT_NE(f.decl_line, 1) << name << " keeps its wrapper";
    }
    ASSERT_EQ(by_name["runtime.newstack"].size(), 1u);
    EXPECT_NE(by_name["runtime.newstack"][0].decl_line, 1);
  }
}

TEST(CView, ReplacesAnExistingOutput) {
  Scratch scratch;
  const fs::path out = scratch / "values.debug";
  {
    std::FILE* f = std::fopen(out.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  std::string err;
  ASSERT_TRUE(
      write_c_view_debug_file(testdata("go1.26/values").string(), out.string(), nullptr, &err))
      << err;
  EXPECT_GT(fs::file_size(out), 100000u);
  EXPECT_EQ(scratch.entries(), std::vector<std::string>{"values.debug"});
}

void expect_failure(const std::string& exe, const std::string& out, const char* why) {
  CViewStats stats;
  std::string err;
  EXPECT_FALSE(write_c_view_debug_file(exe, out, &stats, &err)) << exe;
  EXPECT_NE(err.find(why), std::string::npos) << exe << ": " << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
  if (out != exe) {
    EXPECT_FALSE(fs::exists(out)) << out;
  }
}

TEST(CView, FailsWithOneLineAndLeavesNothingBehind) {
  Scratch scratch;
  const std::string out = (scratch / "out.debug").string();
  expect_failure("/nonexistent/exe", out, "cannot open");
  expect_failure("/etc/hostname", out, "not an ELF file");
  expect_failure(testdata("go1.26/callback-stripped").string(), out, "no .debug_info");
  expect_failure(testdata("go1.26/cshared-host").string(), out, "no Go compile unit");
  expect_failure(testdata("go1.26/values").string(), (scratch / "no/such/dir/x").string(),
                 "temporary directory");
  expect_failure(testdata("go1.26/values").string(), testdata("go1.26/values").string(),
                 "different output path");
  const std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  setenv("PATH", scratch.dir().c_str(), 1);
  expect_failure(testdata("go1.26/values").string(), out, "objcopy (binutils) not found");
  setenv("PATH", saved.c_str(), 1);
  EXPECT_TRUE(scratch.entries().empty());
}

// ---- in memory ----

// The decompressed .debug_info and .debug_abbrev of a real executable.
struct Sections {
  std::vector<uint8_t> info, abbrev;
};

Sections decompressed(const char* program, const Scratch& scratch) {
  const fs::path tmp = scratch / "decompressed";
  const std::string cmd = "objcopy --decompress-debug-sections '" + testdata(program).string() +
                          "' '" + tmp.string() + "'";
  Sections s;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ElfFile elf;
  EXPECT_TRUE(elf.load(tmp.string())) << elf.error();
  const std::string info = section_bytes(elf, ".debug_info");
  const std::string abbrev = section_bytes(elf, ".debug_abbrev");
  s.info.assign(info.begin(), info.end());
  s.abbrev.assign(abbrev.begin(), abbrev.end());
  return s;
}

TEST(CView, InMemoryPatchMatchesTheFileAndIsIdempotent) {
  Scratch scratch;
  Sections s = decompressed("go1.26/values", scratch);
  ASSERT_FALSE(s.info.empty());
  CViewStats first;
  std::string err;
  ASSERT_TRUE(patch_go_units_as_c(s.info, s.abbrev, &first, &err)) << err;
  EXPECT_GT(first.go_units, 0);
  EXPECT_GT(first.func_abbrevs, 0);

  const fs::path out = scratch / "values.debug";
  ASSERT_TRUE(
      write_c_view_debug_file(testdata("go1.26/values").string(), out.string(), nullptr, &err))
      << err;
  ElfFile dbg;
  ASSERT_TRUE(dbg.load(out.string()));
  EXPECT_EQ(section_bytes(dbg, ".debug_info"), std::string(s.info.begin(), s.info.end()));
  EXPECT_EQ(section_bytes(dbg, ".debug_abbrev"), std::string(s.abbrev.begin(), s.abbrev.end()));

  const Sections patched = s;
  CViewStats second;
  ASSERT_TRUE(patch_go_units_as_c(s.info, s.abbrev, &second, &err)) << err;
  EXPECT_EQ(second.go_units, 0);
  EXPECT_EQ(second.other_units, first.go_units + first.other_units);
  EXPECT_EQ(second.func_abbrevs, 0);
  EXPECT_EQ(s.info, patched.info);
  EXPECT_EQ(s.abbrev, patched.abbrev);
}

// Calls the patch on damaged input: success, or failure with an error and nothing changed.
void patch_damaged(std::vector<uint8_t> info, std::vector<uint8_t> abbrev, int* failures) {
  const std::vector<uint8_t> info0 = info, abbrev0 = abbrev;
  CViewStats stats;
  std::string err;
  if (patch_go_units_as_c(info, abbrev, &stats, &err)) return;
  ++*failures;
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_EQ(info, info0) << "changed on failure: " << err;
  EXPECT_EQ(abbrev, abbrev0) << "changed on failure: " << err;
}

TEST(CView, DamagedRealDwarfFailsCleanly) {
  Scratch scratch;
  const Sections s = decompressed("go1.22/callback", scratch);
  ASSERT_FALSE(s.info.empty());
  std::mt19937_64 rng(20240601);
  int failures = 0;
  // Truncations: of .debug_info (mostly mid-unit), of .debug_abbrev.
  for (int i = 0; i < 100; ++i) {
    auto info = s.info;
    info.resize(rng() % info.size());
    patch_damaged(info, s.abbrev, &failures);
    auto abbrev = s.abbrev;
    abbrev.resize(rng() % abbrev.size());
    patch_damaged(s.info, abbrev, &failures);
  }
  // Mutations where the patch reads: unit headers, root DIEs, abbreviations.
  std::vector<size_t> unit_starts{0};
  for (size_t at = 0; unit_starts.size() < 64 && at + 4 < s.info.size();) {
    at += 4 + (s.info[at] | s.info[at + 1] << 8 | s.info[at + 2] << 16 | s.info[at + 3] << 24);
    unit_starts.push_back(at);
  }
  for (int i = 0; i < 400; ++i) {
    auto info = s.info;
    auto abbrev = s.abbrev;
    for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
      if (rng() % 2 == 0) {
        size_t at = unit_starts[rng() % unit_starts.size()] + rng() % 48;
        if (at < info.size()) info[at] = static_cast<uint8_t>(rng());
      } else {
        abbrev[rng() % abbrev.size()] = static_cast<uint8_t>(rng());
      }
    }
    patch_damaged(info, abbrev, &failures);
  }
  // Random bytes.
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> info(rng() % 256), abbrev(rng() % 64);
    for (auto& b : info) b = static_cast<uint8_t>(rng());
    for (auto& b : abbrev) b = static_cast<uint8_t>(rng());
    patch_damaged(info, abbrev, &failures);
  }
  EXPECT_GT(failures, 300) << "damage should mostly be noticed";
  std::vector<uint8_t> empty_info, empty_abbrev;
  EXPECT_TRUE(patch_go_units_as_c(empty_info, empty_abbrev, nullptr, nullptr)) << "no units";
}

// ---- hand-made DWARF: every unit kind and form class ----

class Bytes {
 public:
  Bytes& u8(uint64_t v) { return le(v, 1); }
  Bytes& u16(uint64_t v) { return le(v, 2); }
  Bytes& u32(uint64_t v) { return le(v, 4); }
  Bytes& u64(uint64_t v) { return le(v, 8); }
  Bytes& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& uleb(uint64_t v) {
    do {
      uint8_t x = v & 0x7f;
      v >>= 7;
      b.push_back(static_cast<uint8_t>(x | (v != 0 ? 0x80 : 0)));
    } while (v != 0);
    return *this;
  }
  Bytes& sleb(int64_t v) {
    for (;;) {
      uint8_t x = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
      b.push_back(static_cast<uint8_t>(x | (done ? 0 : 0x80)));
      if (done) return *this;
    }
  }
  Bytes& str(const std::string& s) {
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
    return *this;
  }
  Bytes& bytes(const Bytes& o) {
    b.insert(b.end(), o.b.begin(), o.b.end());
    return *this;
  }
  size_t size() const { return b.size(); }
  std::vector<uint8_t> b;
};

struct Spec {
  uint64_t at, form;
  int64_t implicit = 0;  // DW_FORM_implicit_const's value
};

// One abbreviation: code, tag, children or not, specs; returns where its tag is.
size_t abbrev(Bytes& t, uint64_t code, uint64_t tag, const std::vector<Spec>& specs,
              bool children = false) {
  t.uleb(code);
  size_t tag_at = t.size();
  t.uleb(tag).u8(children ? DW_CHILDREN_yes : DW_CHILDREN_no);
  for (const Spec& s : specs) {
    t.uleb(s.at).uleb(s.form);
    if (s.form == DW_FORM_implicit_const) t.sleb(s.implicit);
  }
  t.u8(0).u8(0);
  return tag_at;
}

// A unit: its length (4 bytes, or 0xffffffff + 8 for 64-bit DWARF), then header and DIE.
void unit(Bytes& info, const Bytes& body, bool dwarf64 = false) {
  if (dwarf64) {
    info.u32(0xffffffff).u64(body.size());
  } else {
    info.u32(body.size());
  }
  info.bytes(body);
}

struct Handmade {
  Bytes info, abbrev;
  std::vector<size_t> go_lang;  // low byte of each Go language value in .debug_info
  size_t go_lang_implicit = 0;  // the implicit_const language in .debug_abbrev
  std::vector<size_t> c_lang, func_tags, kept_tags;
  uint64_t table_b = 0, table_c = 0, table_e = 0;
  std::vector<std::pair<size_t, std::vector<uint8_t>>> emptied;  // wrapper high_pcs: new bytes
  std::vector<size_t> kept_high;  // high_pcs of functions and of a wrapper that cannot be emptied
};

// Table A, used by Go units (and one C unit): a root with a value of every form class before
// DW_AT_language, a root whose language is an implicit_const, a type unit root with a data2
// language, a func type with a byte size (retagged) and one without (kept).
void table_a(Handmade* h) {
  Bytes& t = h->abbrev;
  abbrev(t, 1, DW_TAG_compile_unit,
         {{DW_AT_producer, DW_FORM_strx1},
          {DW_AT_name, DW_FORM_indirect},
          {0x2001, DW_FORM_data16},
          {DW_AT_location, DW_FORM_exprloc},
          {DW_AT_low_pc, DW_FORM_addrx},
          {0x2002, DW_FORM_block1},
          {0x2003, DW_FORM_block2},
          {0x2004, DW_FORM_block4},
          {0x2005, DW_FORM_block},
          {0x2006, DW_FORM_strx3},
          {0x2007, DW_FORM_addrx4},
          {0x2008, DW_FORM_flag_present},
          {DW_AT_comp_dir, DW_FORM_line_strp},
          {DW_AT_stmt_list, DW_FORM_sec_offset},
          {0x2009, DW_FORM_ref_addr},
          {0x200a, DW_FORM_sdata},
          {0x200b, DW_FORM_addr},
          {0x200c, DW_FORM_string},
          {0x200d, DW_FORM_implicit_const, -5},
          {0x200e, DW_FORM_ref_udata},
          {DW_AT_language, DW_FORM_data1}});
  abbrev(t, 2, DW_TAG_compile_unit, {{DW_AT_language, DW_FORM_implicit_const, kLangGo}});
  h->go_lang_implicit = t.size() - 3;  // the SLEB before the closing (0, 0)
  abbrev(t, 3, DW_TAG_type_unit, {{DW_AT_language, DW_FORM_data2}});
  h->func_tags.push_back(abbrev(t, 4, DW_TAG_subroutine_type, {{DW_AT_byte_size, DW_FORM_data1}}));
  h->kept_tags.push_back(abbrev(t, 5, DW_TAG_subroutine_type, {{DW_AT_type, DW_FORM_ref4}}));
  abbrev(t, 6, DW_TAG_compile_unit, {{DW_AT_language, DW_FORM_udata}});
  t.u8(0);
}

// Table B, used by a C unit only: its func type with a byte size is not Go's, kept. Table C,
// used by a DWARF 2 Go unit: ref_addr (address-sized in DWARF 2) before an sdata language.
void tables_b_c(Handmade* h) {
  Bytes& t = h->abbrev;
  h->table_b = t.size();
  abbrev(t, 1, DW_TAG_compile_unit, {{DW_AT_language, DW_FORM_data1}});
  h->kept_tags.push_back(abbrev(t, 2, DW_TAG_subroutine_type, {{DW_AT_byte_size, DW_FORM_data1}}));
  t.u8(0);
  h->table_c = t.size();
  abbrev(t, 1, DW_TAG_compile_unit, {{0x2009, DW_FORM_ref_addr}, {DW_AT_language, DW_FORM_sdata}});
  h->func_tags.push_back(abbrev(t, 2, DW_TAG_subroutine_type, {{DW_AT_byte_size, DW_FORM_data1}}));
  t.u8(0);
}

// DWARF 5 compile unit, 32-bit, table A code 1: a value for every form of the root.
void unit_every_form(Handmade* h) {
  Bytes b;
  b.u16(5).u8(DW_UT_compile).u8(8).u32(0).uleb(1);
  b.u8(1).uleb(DW_FORM_string).str("a.go");
  for (int i = 0; i < 16; ++i) b.u8(0x16);  // data16: language-looking bytes to skip
  b.uleb(3).u8(DW_OP_lit0).u8(DW_OP_lit1).u8(DW_OP_plus).uleb(300);
  b.u8(2).u16(0x1616).u16(3).u8(0x16).u16(0x1616).u32(1).u8(0x16).uleb(2).u16(0x1616);
  b.le(0x161616, 3).u32(0x16161616);
  b.u32(0x10).u32(0x20).u32(0x30).sleb(-1000).u64(0x401000).str("dir").uleb(0x4000);
  h->go_lang.push_back(h->info.size() + 4 + b.size());
  b.u8(kLangGo);
  unit(h->info, b);
}

void units(Handmade* h) {
  unit_every_form(h);
  Bytes u2;  // DWARF 5, 64-bit DWARF: 8-byte abbreviation offset; language in the abbreviation
  u2.u16(5).u8(DW_UT_compile).u8(8).u64(0).uleb(2);
  unit(h->info, u2, true);
  Bytes u3;  // DWARF 5 type unit: signature and type offset in the header
  u3.u16(5).u8(DW_UT_type).u8(8).u32(0).u64(0x1122334455667788).u32(0x20).uleb(3);
  h->go_lang.push_back(h->info.size() + 4 + u3.size());
  u3.u16(kLangGo);
  unit(h->info, u3);
  Bytes u4;  // DWARF 5 skeleton unit: dwo_id in the header; a C language (DW_LANG_C11)
  u4.u16(5).u8(DW_UT_skeleton).u8(8).u32(0).u64(0xabcdef).uleb(6);
  h->c_lang.push_back(h->info.size() + 4 + u4.size());
  u4.uleb(0x1d);
  unit(h->info, u4);
  Bytes u5;  // DWARF 4: abbreviation offset, then address size
  u5.u16(4).u32(h->table_b).u8(8).uleb(1);
  h->c_lang.push_back(h->info.size() + 4 + u5.size());
  u5.u8(0x1d);
  unit(h->info, u5);
  Bytes u6;  // DWARF 2, 8-byte addresses: ref_addr is 8 bytes, not offset-sized
  u6.u16(2).u32(h->table_c).u8(8).uleb(1).u64(0x1616161616161616);
  h->go_lang.push_back(h->info.size() + 4 + u6.size());
  u6.sleb(kLangGo);
  unit(h->info, u6);
}

// Table E: a Go unit's root with children, subprograms of every wrapper kind.
void table_e(Handmade* h) {
  Bytes& t = h->abbrev;
  h->table_e = t.size();
  abbrev(t, 1, DW_TAG_compile_unit, {{DW_AT_language, DW_FORM_data1}}, true);
  abbrev(t, 2, DW_TAG_subprogram,
         {{DW_AT_name, DW_FORM_string},
          {DW_AT_low_pc, DW_FORM_addr},
          {DW_AT_high_pc, DW_FORM_udata},
          {DW_AT_decl_file, DW_FORM_data4},
          {DW_AT_decl_line, DW_FORM_udata}},
         true);
  abbrev(t, 3, DW_TAG_subprogram,
         {{DW_AT_name, DW_FORM_string},
          {DW_AT_low_pc, DW_FORM_addr},
          {DW_AT_high_pc, DW_FORM_addr},
          {DW_AT_trampoline, DW_FORM_flag}});
  abbrev(t, 4, DW_TAG_subprogram,
         {{DW_AT_name, DW_FORM_string},
          {DW_AT_low_pc, DW_FORM_addrx},
          {DW_AT_high_pc, DW_FORM_addr},
          {DW_AT_decl_line, DW_FORM_data1}});
  abbrev(t, 5, DW_TAG_variable, {{DW_AT_name, DW_FORM_string}});
  abbrev(t, 6, DW_TAG_subprogram,
         {{DW_AT_name, DW_FORM_string},
          {DW_AT_low_pc, DW_FORM_addr},
          {DW_AT_high_pc, DW_FORM_addr},
          {DW_AT_decl_file, DW_FORM_data1}});
  t.u8(0);
}

// A DWARF 4 Go unit using table E: a function f (file 2, line 10) and its ABI wrapper f (line 1,
// a 2-byte udata length: emptied as 0x80 0x00); trampolines g (flag 1, emptied: high_pc = low_pc)
// and h (flag 0, kept); a line-1 wrapper k whose addrx low_pc cannot be copied (skipped); go1.19
// style (no decl_line): p in file 2 and its wrapper p in file 1 (emptied), q alone in file 1
// (kept).
void unit_wrappers(Handmade* h) {
  Bytes b;
  b.u16(4).u32(h->table_e).u8(8).uleb(1);
  const size_t base = h->info.size() + 4;
  h->go_lang.push_back(base + b.size());
  b.u8(kLangGo);
  b.uleb(2).str("f").u64(0x1000);
  h->kept_high.push_back(base + b.size());
  b.uleb(300).u32(2).uleb(10);
  b.uleb(5).str("x").u8(0);  // a child, then the end of f's children
  b.uleb(2).str("f").u64(0x2000);
  h->emptied.push_back({base + b.size(), {0x80, 0x00}});
  b.uleb(300).u32(1).uleb(1).u8(0);
  b.uleb(3).str("g").u64(0x3000);
  h->emptied.push_back({base + b.size(), {0x00, 0x30, 0, 0, 0, 0, 0, 0}});
  b.u64(0x3010).u8(1);
  b.uleb(3).str("h").u64(0x4000);
  h->kept_high.push_back(base + b.size());
  b.u64(0x4010).u8(0);
  b.uleb(4).str("k").uleb(5);
  h->kept_high.push_back(base + b.size());
  b.u64(0x5010).u8(1);
  b.uleb(6).str("p").u64(0x6000);
  h->kept_high.push_back(base + b.size());
  b.u64(0x6010).u8(2);
  b.uleb(6).str("p").u64(0x7000);
  h->emptied.push_back({base + b.size(), {0x00, 0x70, 0, 0, 0, 0, 0, 0}});
  b.u64(0x7010).u8(1);
  b.uleb(6).str("q").u64(0x8000);
  h->kept_high.push_back(base + b.size());
  b.u64(0x8010).u8(1);
  b.u8(0);  // the end of the root's children
  unit(h->info, b);
}

Handmade handmade() {
  Handmade h;
  table_a(&h);
  tables_b_c(&h);
  table_e(&h);
  units(&h);
  unit_wrappers(&h);
  return h;
}

TEST(CView, HandmadeDwarfOfEveryUnitKindAndForm) {
  Handmade h = handmade();
  std::vector<uint8_t> info = h.info.b, abbrev = h.abbrev.b;
  CViewStats stats;
  std::string err;
  ASSERT_TRUE(patch_go_units_as_c(info, abbrev, &stats, &err)) << err;
  EXPECT_EQ(stats.go_units, 5);
  EXPECT_EQ(stats.other_units, 2);
  EXPECT_EQ(stats.func_abbrevs, 2);
  EXPECT_EQ(stats.wrappers, 3) << "f, g and p";
  EXPECT_EQ(stats.wrappers_skipped, 1) << "k";
  for (const auto& [at, bytes] : h.emptied)
    for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(info[at + i], bytes[i]) << at << "+" << i;
  for (size_t at : h.kept_high) EXPECT_EQ(info[at], h.info.b[at]) << at;
  for (size_t at : h.go_lang) EXPECT_EQ(info[at], kLangC99) << at;
  EXPECT_EQ(info[h.go_lang[1] + 1], 0) << "data2 high byte";
  for (size_t at : h.c_lang) EXPECT_EQ(info[at], 0x1d) << at;
  EXPECT_EQ(abbrev[h.go_lang_implicit], kLangC99);
  for (size_t at : h.func_tags) EXPECT_EQ(abbrev[at], DW_TAG_pointer_type) << at;
  for (size_t at : h.kept_tags) EXPECT_EQ(abbrev[at], DW_TAG_subroutine_type) << at;
  size_t changed = 0;
  for (size_t i = 0; i < info.size(); ++i) changed += info[i] != h.info.b[i] ? 1 : 0;
  for (size_t i = 0; i < abbrev.size(); ++i) changed += abbrev[i] != h.abbrev.b[i] ? 1 : 0;
  EXPECT_EQ(changed, 11u)
      << "4 languages in .debug_info, 1 in .debug_abbrev, 2 tags, 2 + 1 + 1 bytes of high_pcs";
}

TEST(CView, RejectsWhatItCannotReadAndChangesNothing) {
  const Handmade h = handmade();
  auto fails = [&](std::vector<uint8_t> info, std::vector<uint8_t> abbrev, const char* why) {
    const auto info0 = info, abbrev0 = abbrev;
    std::string err;
    EXPECT_FALSE(patch_go_units_as_c(info, abbrev, nullptr, &err)) << why;
    EXPECT_NE(err.find(why), std::string::npos) << err;
    EXPECT_EQ(info, info0);
    EXPECT_EQ(abbrev, abbrev0);
  };
  // An unknown form in a Go unit's root after a valid Go unit: nothing half-patched.
  Bytes ab = h.abbrev;
  const uint64_t table_d = ab.size();
  abbrev(ab, 1, DW_TAG_compile_unit, {{DW_AT_name, 0x7f}, {DW_AT_language, DW_FORM_data1}});
  ab.u8(0);
  Bytes info = h.info, u;
  u.u16(4).u32(table_d).u8(8).uleb(1).u8(0).u8(kLangGo);
  unit(info, u);
  fails(info.b, ab.b, "unknown attribute form 0x7f");
  Bytes v6 = h.info, u6;  // DWARF 6 does not exist yet
  u6.u16(6).u8(DW_UT_compile).u8(8).u32(0).uleb(2);
  unit(v6, u6);
  fails(v6.b, h.abbrev.b, "unsupported DWARF version 6");
  Bytes ut = h.info, uu;
  uu.u16(5).u8(0x80).u8(8).u32(0).uleb(2);  // DW_UT_lo_user: layout unknown
  unit(ut, uu);
  fails(ut.b, h.abbrev.b, "unknown unit type 0x80");
  Bytes reserved = h.info;
  reserved.u32(0xfffffff5).u32(0);
  fails(reserved.b, h.abbrev.b, "reserved unit length");
  Bytes bad_code = h.info, bc;
  bc.u16(4).u32(0).u8(8).uleb(99);
  unit(bad_code, bc);
  fails(bad_code.b, h.abbrev.b, "abbreviation code 99");
  Bytes bad_table = h.info, bt;
  bt.u16(4).u32(0x100000).u8(8).uleb(1);
  unit(bad_table, bt);
  fails(bad_table.b, h.abbrev.b, "outside .debug_abbrev");
  // Past a Go unit's root: a child with an unknown code; a list of children not ended.
  Bytes bad_child = h.info, bch;
  bch.u16(4).u32(h.table_e).u8(8).uleb(1).u8(kLangGo).uleb(99).u8(0);
  unit(bad_child, bch);
  fails(bad_child.b, h.abbrev.b, "abbreviation code 99");
  Bytes open_list = h.info, ol;
  ol.u16(4).u32(h.table_e).u8(8).uleb(1).u8(kLangGo).uleb(5).str("x");
  unit(open_list, ol);
  fails(open_list.b, h.abbrev.b, "not ended");
  Bytes long_die = h.info, ld;  // a child running past its unit
  ld.u16(4).u32(h.table_e).u8(8).uleb(1).u8(kLangGo).uleb(2).str("f").u32(0);
  unit(long_die, ld);
  fails(long_die.b, h.abbrev.b, "past the end of the unit");
  // Every truncation of either section: a clean result either way.
  int failures = 0;
  for (size_t n = 0; n < h.info.size(); ++n)
    patch_damaged({h.info.b.begin(), h.info.b.begin() + n}, h.abbrev.b, &failures);
  for (size_t n = 0; n < h.abbrev.size(); ++n)
    patch_damaged(h.info.b, {h.abbrev.b.begin(), h.abbrev.b.begin() + n}, &failures);
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace cgounwind
