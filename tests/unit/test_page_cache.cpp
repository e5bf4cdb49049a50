// The per-stop page cache (page-sized reads), read_many (nearby addresses in one uncached read,
// with the fallbacks when a read fails) and the goroutine listing text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "cgounwind/goroutines.h"
#include "cgounwind/page_cache.h"

namespace cgounwind {
namespace {

// A reader over [0x10000, 0x30000) that counts calls; bytes are the low byte of the address.
struct Backing {
  std::vector<std::pair<uint64_t, size_t>> calls;
  uint64_t lo = 0x10000, hi = 0x30000;
  bool read(uint64_t addr, void* buf, size_t len) {
    calls.emplace_back(addr, len);
    if (addr < lo || addr + len > hi) return false;
    auto* out = static_cast<uint8_t*>(buf);
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(addr + i);
    return true;
  }
};

PageCache cache_over(Backing& b) {
  return PageCache([&b](uint64_t a, void* buf, size_t n) { return b.read(a, buf, n); });
}

TEST(PageCache, ReadsWholePagesOnce) {
  Backing b;
  PageCache c = cache_over(b);
  uint8_t x[16];
  ASSERT_TRUE(c.read(0x10ff8, x, 16));  // crosses a page boundary: two page reads
  EXPECT_EQ(x[0], 0xf8);
  EXPECT_EQ(x[15], 0x07);
  ASSERT_TRUE(c.read(0x10000, x, 8));
  EXPECT_EQ(b.calls.size(), 2u);
}

TEST(ReadMany, NearbyAddressesInOneReadNotCached) {
  Backing b;
  PageCache c = cache_over(b);
  std::vector<uint64_t> gs;
  // g structs 448 bytes apart from 0x10000 to just past 0x20000: one run.
  for (uint64_t a = 0x10000; a < 0x20000; a += 448) gs.push_back(a);
  gs.push_back(0x28000);  // far away: a run of its own
  std::vector<bool> ok;
  std::vector<uint8_t> bytes = read_many(c, gs, 448, ok);
  ASSERT_EQ(b.calls.size(), 2u);
  EXPECT_EQ(b.calls[0],
            std::make_pair(uint64_t{0x10000}, size_t{gs[gs.size() - 2] + 448 - 0x10000}));
  EXPECT_EQ(b.calls[1], std::make_pair(uint64_t{0x28000}, size_t{448}));
  EXPECT_EQ(std::count(ok.begin(), ok.end(), true), static_cast<long>(gs.size()));
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[448], static_cast<uint8_t>(0x10000 + 448));
  EXPECT_EQ(bytes[(gs.size() - 1) * 448], 0x00);
  uint8_t x[8];
  ASSERT_TRUE(c.read(0x10000, x, 8));
  EXPECT_EQ(b.calls.size(), 3u) << "read_many's bytes are not kept by the page cache";
}

TEST(ReadMany, FailedRunFallsBackToEachAddress) {
  Backing b;
  PageCache c = cache_over(b);
  // One run straddling the end of the mapping fails as a whole; each address is then read on
  // its own, and the mapped ones succeed.
  std::vector<bool> ok;
  read_many(c, {0x2fe00, 0x2ff00, 0x30000}, 0x80, ok);
  EXPECT_EQ(b.calls.front(), std::make_pair(uint64_t{0x2fe00}, size_t{0x280}));
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false}));
  // Garbage addresses (wrapping past 2^64, far apart): no crash, nothing read.
  read_many(c, {~uint64_t{0} - 10, 0x10, ~uint64_t{0}}, 448, ok);
  EXPECT_EQ(ok, (std::vector<bool>{false, false, false}));
}

}  // namespace
}  // namespace cgounwind

namespace cgounwind {
namespace {

TEST(GoroutineTable, ListingColumns) {
  GoroutineTable t;
  Goroutine a;
  a.goid = 1;
  a.status_name = "syscall";
  a.m = 0x1000;
  a.lwp = 77;
  a.in_c = true;
  a.regs.pc = 0x401000;
  a.func = "runtime.cgocall";
  a.file = "runtime/cgocall.go";
  a.line = 157;
  Goroutine b;
  b.goid = 123456789;
  b.status_name = "waiting";
  b.wait_reason = "chan receive";
  b.regs.pc = 0x402000;
  t.goroutines = {a, b};
  std::string text = format_goroutine_table(
      t, [](uint64_t lwp) { return lwp == 77 ? std::string("3") : std::string(); });
  EXPECT_EQ(text,
            "  Id       Status                       Thread   In C  Location\n"
            "* 1        syscall                      3        yes   runtime.cgocall at "
            "runtime/cgocall.go:157\n"
            "  123456789 waiting (chan receive)       -        no    0x402000\n");
}

}  // namespace
}  // namespace cgounwind
