// The goroutine listing's options (goroutine_query.h): words, parsing, filters and groups over
// synthetic goroutine tables, and pprof labels read from synthetic memory in both layouts (Go <=
// 1.23's map[string]string, later Go's sorted slice).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cgounwind/goroutine_query.h"

namespace cgounwind {
namespace {

// ---------------------------------------------------------------------------------------------
// words and parsing

std::vector<std::string> words(std::string_view s) {
  std::string err;
  auto w = split_args(s, &err);
  EXPECT_TRUE(w.has_value()) << err;
  return w.value_or(std::vector<std::string>{});
}

TEST(GoroutineQueryWords, QuotesAndEscapes) {
  EXPECT_EQ(words("  -with  status \"chan receive\" "),
            (std::vector<std::string>{"-with", "status", "chan receive"}));
  EXPECT_EQ(words("a 'b c' \"d\\\"e\" f\\ g ''"),
            (std::vector<std::string>{"a", "b c", "d\"e", "f g", ""}));
  std::string err;
  EXPECT_FALSE(split_args("-with status \"chan", &err));
  EXPECT_NE(err.find("unterminated"), std::string::npos);
}

TEST(GoroutineQueryWords, JoinGivesTheWordsBack) {
  const std::vector<std::string> w = {"-with", "status", "chan receive", "a\"b", "c\\d", "", "x"};
  EXPECT_EQ(words(join_args(w)), w);
}

GoroutineQuery parse(std::string_view s) {
  std::string err;
  auto q = parse_goroutine_query(s, &err);
  EXPECT_TRUE(q.has_value()) << err;
  return q.value_or(GoroutineQuery{});
}

std::string parse_error(std::string_view s) {
  std::string err;
  EXPECT_FALSE(parse_goroutine_query(s, &err).has_value()) << s;
  EXPECT_NE(err.find("usage:"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;  // one line
  return err;
}

TEST(GoroutineQueryParse, DelveOptions) {
  EXPECT_TRUE(parse("").plain());
  EXPECT_TRUE(parse("-r").plain());
  GoroutineQuery q = parse(
      "-u -g -l -with goloc main.start -wo label worker=a -w running -without user "
      "-with status 'chan receive' -group label worker");
  EXPECT_EQ(q.column, LocationColumn::User);
  EXPECT_TRUE(q.created_by);
  EXPECT_TRUE(q.labels);
  ASSERT_EQ(q.filters.size(), 5u);
  EXPECT_EQ(q.filters[0].kind, GoroutineField::GoLoc);
  EXPECT_EQ(q.filters[0].arg, "main.start");
  EXPECT_FALSE(q.filters[0].negated);
  EXPECT_EQ(q.filters[1].kind, GoroutineField::Label);
  EXPECT_EQ(q.filters[1].arg, "worker=a");
  EXPECT_TRUE(q.filters[1].negated);
  EXPECT_EQ(q.filters[2].kind, GoroutineField::Running);
  EXPECT_TRUE(q.filters[2].arg.empty());
  EXPECT_EQ(q.filters[3].kind, GoroutineField::User);
  EXPECT_TRUE(q.filters[3].negated);
  EXPECT_EQ(q.filters[4].kind, GoroutineField::Status);
  EXPECT_EQ(q.filters[4].arg, "chan receive");
  EXPECT_EQ(q.group, GoroutineField::Label);
  EXPECT_EQ(q.group_key, "worker");
  EXPECT_EQ(parse("-s -group userloc").group, GoroutineField::UserLoc);
  EXPECT_EQ(parse("-s").column, LocationColumn::Start);
  EXPECT_EQ(parse("-group running").group, GoroutineField::Running);
}

TEST(GoroutineQueryParse, OneLineErrors) {
  EXPECT_NE(parse_error("-x").find("unknown argument '-x'"), std::string::npos);
  EXPECT_NE(parse_error("-with").find("needs a KIND"), std::string::npos);
  EXPECT_NE(parse_error("-with where x").find("unknown KIND 'where'"), std::string::npos);
  EXPECT_NE(parse_error("-with goloc").find("needs an EXPR"), std::string::npos);
  EXPECT_NE(parse_error("-without label").find("KEY[=VALUE]"), std::string::npos);
  EXPECT_NE(parse_error("-group label").find("a KEY"), std::string::npos);
  EXPECT_NE(parse_error("-t 3").find("not supported"), std::string::npos);
  parse_error("-with status \"open");
}

// ---------------------------------------------------------------------------------------------
// the engine over a synthetic table

struct FakeFacts : GoroutineFacts {
  std::map<uint64_t, std::string> start, go, user;  // by goid
  std::map<uint64_t, GoLabels> labels_of;
  GoLabels none;
  size_t user_batches = 0, user_asked = 0;

  std::string start_function(const Goroutine& g) override {
    std::string s = start[g.goid];
    return s.substr(0, s.find(" at "));
  }
  std::string start_location(const Goroutine& g) override { return start[g.goid]; }
  std::string go_location(const Goroutine& g) override { return go[g.goid]; }
  const GoLabels& labels(const Goroutine& g) override {
    auto it = labels_of.find(g.goid);
    return it == labels_of.end() ? none : it->second;
  }
  std::vector<std::string> user_locations(const std::vector<const Goroutine*>& gs) override {
    ++user_batches;
    user_asked += gs.size();
    std::vector<std::string> out;
    for (const Goroutine* g : gs) out.push_back(user[g->goid]);
    return out;
  }
};

Goroutine parked(uint64_t goid, const std::string& reason) {
  Goroutine g;
  g.goid = goid;
  g.status_name = "waiting";
  g.wait_reason = reason;
  g.regs.pc = 0x401000;
  g.func = "runtime.gopark";
  g.file = "runtime/proc.go";
  g.line = 425;
  return g;
}

// main (in C, on thread 77), a runtime goroutine, 3 workers labelled a, 2 labelled b, a sleeper.
struct Fixture {
  GoroutineTable t;
  FakeFacts f;
  Fixture() {
    Goroutine m;
    m.goid = 1;
    m.status_name = "syscall";
    m.m = 0x1000;
    m.lwp = 77;
    m.in_c = true;
    m.regs.pc = 0x400000;
    m.func = "runtime.cgocall";
    m.file = "runtime/cgocall.go";
    m.line = 157;
    t.goroutines.push_back(m);
    f.start[1] = "runtime.main at runtime/proc.go:144";
    f.user[1] = "main.main at app/main.go:70";
    t.goroutines.push_back(parked(2, "force gc (idle)"));
    f.start[2] = "runtime.forcegchelper at runtime/proc.go:320";
    f.go[2] = "runtime.init.6 at runtime/proc.go:310";
    f.user[2] = "runtime.gopark at runtime/proc.go:425";
    for (uint64_t id = 10; id < 15; ++id) {
      t.goroutines.push_back(parked(id, "chan receive"));
      f.start[id] = "main.worker at app/main.go:20";
      f.go[id] = "main.startWorkers at app/main.go:40";
      f.user[id] = "main.worker at app/main.go:22";
      f.labels_of[id] = {{"worker", id < 13 ? "a" : "b"}};
    }
    t.goroutines.push_back(parked(20, "sleep"));
    f.start[20] = "main.sleeper at app/main.go:30";
    f.go[20] = "main.main at app/main.go:60";
    f.user[20] = "time.Sleep at runtime/time.go:300";
    f.labels_of[20] = {{"role", "sleeper"}, {"worker", "b c"}};
  }
  GoroutineListing run(std::string_view args) {
    std::string err;
    auto q = parse_goroutine_query(args, &err);
    EXPECT_TRUE(q.has_value()) << err;
    return run_goroutine_query(
        *q, t, f, [](uint64_t lwp) { return lwp == 77 ? std::string("1") : std::string(); });
  }
  // The ids of the listing's rows.
  std::vector<uint64_t> ids(std::string_view args) {
    std::vector<uint64_t> out;
    std::string text = run(args).text;
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      std::string line = text.substr(at, end - at);
      at = end == std::string::npos ? text.size() : end + 1;
      if (line.size() > 2 && (line[0] == ' ' || line[0] == '*') && line[1] == ' ' &&
          std::isdigit(static_cast<unsigned char>(line[2])))
        out.push_back(std::stoull(line.substr(2)));
    }
    return out;
  }
};

using Ids = std::vector<uint64_t>;

TEST(GoroutineQueryEngine, Filters) {
  Fixture x;
  EXPECT_EQ(x.ids("-with goloc startWorkers"), (Ids{10, 11, 12, 13, 14}));
  EXPECT_EQ(x.ids("-without goloc startWorkers"), (Ids{1, 2, 20}));
  EXPECT_EQ(x.ids("-with startloc main.sleeper"), (Ids{20}));
  EXPECT_EQ(x.ids("-with curloc cgocall.go:157"), (Ids{1}));
  EXPECT_EQ(x.ids("-with label worker=a"), (Ids{10, 11, 12}));
  EXPECT_EQ(x.ids("-with label worker"), (Ids{10, 11, 12, 13, 14, 20}));
  EXPECT_EQ(x.ids("-with label 'worker=b c'"), (Ids{20}));
  EXPECT_EQ(x.ids("-without label worker"), (Ids{1, 2}));
  EXPECT_EQ(x.ids("-with status 'chan receive'"), (Ids{10, 11, 12, 13, 14}));
  EXPECT_EQ(x.ids("-with status waiting -with label worker=b"), (Ids{13, 14}));
  EXPECT_EQ(x.ids("-with running"), (Ids{1}));
  EXPECT_EQ(x.ids("-without user"), (Ids{2}));  // runtime.main is the user's
  EXPECT_EQ(x.ids("-with userloc main."), (Ids{1, 10, 11, 12, 13, 14}));
  EXPECT_EQ(x.ids("-with goloc nowhere"), Ids{});
}

TEST(GoroutineQueryEngine, UserLocationsOnlyForWhatTheCheapFiltersKeep) {
  Fixture x;
  x.run("-with label worker=b -with userloc main.worker");
  EXPECT_EQ(x.f.user_batches, 1u);
  EXPECT_EQ(x.f.user_asked, 2u);  // 13 and 14 (20 is "b c")
  Fixture y;
  y.run("-group goloc -with label worker");
  EXPECT_EQ(y.f.user_batches, 0u);  // no stack is read when no user location is asked for
}

TEST(GoroutineQueryEngine, FilteredTableSaysHowMany) {
  Fixture x;
  GoroutineListing l = x.run("-with label worker=a -g -l");
  EXPECT_EQ(l.text,
            "  Id       Status                       Thread   In C  Location\n"
            "  10       waiting (chan receive)       -        no    runtime.gopark at "
            "runtime/proc.go:425\n"
            "           created by main.startWorkers at app/main.go:40\n"
            "           labels: worker=a\n"
            "  11       waiting (chan receive)       -        no    runtime.gopark at "
            "runtime/proc.go:425\n"
            "           created by main.startWorkers at app/main.go:40\n"
            "           labels: worker=a\n"
            "  12       waiting (chan receive)       -        no    runtime.gopark at "
            "runtime/proc.go:425\n"
            "           created by main.startWorkers at app/main.go:40\n"
            "           labels: worker=a\n"
            "3 of 8 goroutines\n");
  EXPECT_TRUE(l.warning.empty());
  EXPECT_TRUE(l.error.empty());
}

TEST(GoroutineQueryEngine, ColumnsAndDetails) {
  Fixture x;
  std::string text = x.run("-u -l -with startloc sleeper").text;
  EXPECT_EQ(text,
            "  Id       Status                       Thread   In C  User location\n"
            "  20       waiting (sleep)              -        no    time.Sleep at "
            "runtime/time.go:300\n"
            "           labels: role=sleeper worker=\"b c\"\n"
            "1 of 8 goroutines\n");
  text = x.run("-s -g -with running").text;
  EXPECT_EQ(text,
            "  Id       Status                       Thread   In C  Start location\n"
            "* 1        syscall                      1        yes   runtime.main at "
            "runtime/proc.go:144\n"
            "1 of 8 goroutines\n");  // goroutine 1: no go statement, no "created by" line
}

TEST(GoroutineQueryEngine, Groups) {
  Fixture x;
  EXPECT_EQ(x.run("-group goloc").text,
            "  Count    Created by  [goroutines]\n"
            "  5        main.startWorkers at app/main.go:40  [10 11 12 13 14]\n"
            "  1        (none)  [1]\n"
            "  1        main.main at app/main.go:60  [20]\n"
            "  1        runtime.init.6 at runtime/proc.go:310  [2]\n"
            "4 groups, 8 goroutines\n");
  EXPECT_EQ(x.run("-group label worker -with status waiting").text,
            "  Count    Label worker  [goroutines]\n"
            "  3        worker=a  [10 11 12]\n"
            "  2        worker=b  [13 14]\n"
            "  1        (no worker label)  [2]\n"
            "  1        worker=\"b c\"  [20]\n"
            "4 groups, 7 goroutines (of 8)\n");
  EXPECT_EQ(x.run("-group running").text,
            "  Count    On a thread  [goroutines]\n"
            "  7        no  [2 10 11 12 13 ...]\n"
            "  1        yes  [1]\n"
            "2 groups, 8 goroutines\n");
  EXPECT_EQ(x.run("-group userloc -with label worker").text,
            "  Count    User location  [goroutines]\n"
            "  5        main.worker at app/main.go:22  [10 11 12 13 14]\n"
            "  1        time.Sleep at runtime/time.go:300  [20]\n"
            "2 groups, 6 goroutines (of 8)\n");
}

TEST(GoroutineQueryEngine, ManyGroupsAreCapped) {
  GoroutineTable t;
  FakeFacts f;
  for (uint64_t id = 1; id <= 150; ++id) {
    t.goroutines.push_back(parked(id, "chan receive"));
    f.go[id] = "main.f" + std::to_string(id) + " at a.go:1";
  }
  GoroutineQuery q;
  q.group = GoroutineField::GoLoc;
  std::string text = run_goroutine_query(q, t, f, [](uint64_t) { return std::string(); }).text;
  EXPECT_NE(text.find("  ... 50 more groups (50 goroutines)\n150 groups, 150 goroutines\n"),
            std::string::npos)
      << text;
}

TEST(GoroutineQueryEngine, TableErrorIsAWarning) {
  Fixture x;
  x.t.error = "unreadable g at 0x1234";
  GoroutineListing l = x.run("-group status");
  EXPECT_EQ(l.warning, "unreadable g at 0x1234");
  EXPECT_TRUE(l.error.empty());
}

// ---------------------------------------------------------------------------------------------
// pprof labels in memory

// Sparse memory: bytes placed at addresses; anything else is unreadable.
struct FakeMemory : Memory {
  std::map<uint64_t, std::vector<uint8_t>> blocks;
  bool read(uint64_t addr, void* buf, size_t len) override {
    auto it = blocks.upper_bound(addr);
    if (it == blocks.begin()) return false;
    --it;
    if (addr - it->first + len > it->second.size()) return false;
    std::memcpy(buf, it->second.data() + (addr - it->first), len);
    return true;
  }
  void put(uint64_t addr, std::vector<uint8_t> bytes) { blocks[addr] = std::move(bytes); }
  void put_words(uint64_t addr, const std::vector<uint64_t>& w) {
    std::vector<uint8_t> b(w.size() * 8);
    std::memcpy(b.data(), w.data(), b.size());
    put(addr, b);
  }
  uint64_t next_string = 0x900000;
  // A Go string's bytes somewhere: returns {ptr, len}.
  std::pair<uint64_t, uint64_t> str(const std::string& s) {
    uint64_t at = next_string;
    next_string += 0x100;
    put(at, std::vector<uint8_t>(s.begin(), s.end()));
    return {at, s.size()};
  }
};

void put_word(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(&b[off], &v, 8); }

GoLabels labels_at(FakeMemory& mem, uint64_t at, int minor) {
  GoLabels out;
  std::string err;
  EXPECT_TRUE(read_pprof_labels(mem, at, minor, &out, &err)) << err;
  return out;
}

TEST(PprofLabels, SliceLayout) {
  FakeMemory mem;
  // labelMap{Set{List: []Label{{"a", "1"}, {"worker", "b"}}}} at 0x1000, the list at 0x2000.
  std::vector<uint64_t> list;
  for (auto [k, v] : {std::pair{"a", "1"}, std::pair{"worker", "b"}}) {
    auto ks = mem.str(k), vs = mem.str(v);
    list.insert(list.end(), {ks.first, ks.second, vs.first, vs.second});
  }
  mem.put_words(0x2000, list);
  mem.put_words(0x1000, {0x2000, 2, 4});
  EXPECT_EQ(labels_at(mem, 0x1000, 26), (GoLabels{{"a", "1"}, {"worker", "b"}}));
  EXPECT_EQ(labels_at(mem, 0x1000, 0), (GoLabels{{"a", "1"}, {"worker", "b"}}));  // unknown Go
  EXPECT_TRUE(labels_at(mem, 0, 26).empty());                                     // no labels
  mem.put_words(0x3000, {0x2000, 5, 4});                                          // len > cap
  GoLabels out;
  std::string err;
  EXPECT_FALSE(read_pprof_labels(mem, 0x3000, 24, &out, &err));
  EXPECT_NE(err.find("implausible"), std::string::npos);
  EXPECT_FALSE(read_pprof_labels(mem, 0x5000, 24, &out, &err));  // unreadable
  EXPECT_TRUE(out.empty());
}

// A map[string]string bucket: tophash[8], keys[8], values[8], overflow.
std::vector<uint8_t> bucket(FakeMemory& mem,
                            const std::vector<std::pair<std::string, std::string>>& kv,
                            uint64_t overflow, uint8_t tophash = 0x80) {
  std::vector<uint8_t> b(272, 0);
  for (size_t i = 0; i < kv.size(); ++i) {
    b[i] = tophash;
    auto ks = mem.str(kv[i].first), vs = mem.str(kv[i].second);
    put_word(b, 8 + i * 16, ks.first);
    put_word(b, 16 + i * 16, ks.second);
    put_word(b, 136 + i * 16, vs.first);
    put_word(b, 144 + i * 16, vs.second);
  }
  put_word(b, 264, overflow);
  return b;
}

TEST(PprofLabels, MapLayout) {
  FakeMemory mem;
  // *labelMap at 0x1000 -> hmap at 0x4000: B=1 (2 buckets at 0x5000), the first with an overflow
  // bucket at 0x6000; growing: one old bucket at 0x7000 not yet evacuated, one evacuated.
  mem.put_words(0x1000, {0x4000});
  std::vector<uint8_t> h(48, 0);
  put_word(h, 0, 5);  // count
  h[9] = 1;           // B
  put_word(h, 16, 0x5000);
  put_word(h, 24, 0x7000);
  mem.put(0x4000, h);
  std::vector<uint8_t> b0 = bucket(mem, {{"worker", "a"}}, 0x6000);
  std::vector<uint8_t> b1 = bucket(mem, {{"b", "2"}}, 0);
  b0.insert(b0.end(), b1.begin(), b1.end());
  mem.put(0x5000, b0);
  mem.put(0x6000, bucket(mem, {{"c", "3"}}, 0));
  std::vector<uint8_t> old = bucket(mem, {{"old", "4"}}, 0);
  // B=1 while growing: one old bucket (its entries not moved yet).
  mem.put(0x7000, old);
  EXPECT_EQ(labels_at(mem, 0x1000, 23),
            (GoLabels{{"b", "2"}, {"c", "3"}, {"old", "4"}, {"worker", "a"}}));
  // An evacuated old bucket's slots (tophash 2..4) are not read again.
  mem.put(0x7000, bucket(mem, {{"moved", "x"}}, 0, 2));
  EXPECT_EQ(labels_at(mem, 0x1000, 19), (GoLabels{{"b", "2"}, {"c", "3"}, {"worker", "a"}}));
  // A nil map (labelMap{}): no labels.
  mem.put_words(0x1100, {0});
  EXPECT_TRUE(labels_at(mem, 0x1100, 21).empty());
  // Implausible header: one line, no labels.
  h[9] = 40;
  mem.put(0x4000, h);
  GoLabels out;
  std::string err;
  EXPECT_FALSE(read_pprof_labels(mem, 0x1000, 22, &out, &err));
  EXPECT_NE(err.find("implausible label map"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST(PprofLabels, CyclicOverflowChainIsBounded) {
  FakeMemory mem;
  mem.put_words(0x1000, {0x4000});
  std::vector<uint8_t> h(48, 0);
  put_word(h, 0, 1);
  put_word(h, 16, 0x5000);
  mem.put(0x4000, h);
  mem.put(0x5000, bucket(mem, {{"k", "v"}}, 0x5000));  // its own overflow
  GoLabels out;
  std::string err;
  read_pprof_labels(mem, 0x1000, 21, &out, &err);  // ends; the repeated entry at most 64 times
  EXPECT_LE(out.size(), 64u);
  // 256 empty buckets, each its own overflow: a bounded number of reads, then one line.
  h[9] = 8;
  put_word(h, 16, 0x100000);
  mem.put(0x4000, h);
  std::vector<uint8_t> many;
  for (uint64_t i = 0; i < 256; ++i) {
    std::vector<uint8_t> b = bucket(mem, {}, 0x100000 + i * 272);
    many.insert(many.end(), b.begin(), b.end());
  }
  mem.put(0x100000, many);
  EXPECT_FALSE(read_pprof_labels(mem, 0x1000, 21, &out, &err));
  EXPECT_NE(err.find("too many buckets"), std::string::npos) << err;
}

}  // namespace
}  // namespace cgounwind
