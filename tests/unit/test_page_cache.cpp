// The per-stop page cache (page-sized reads, bulk prefetch in runs of adjacent pages, and the
// fallbacks when a read fails) and the goroutine listing text.
#include <gtest/gtest.h>

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

TEST(PageCache, PrefetchCoalescesAdjacentPages) {
  Backing b;
  PageCache c = cache_over(b);
  std::vector<std::pair<uint64_t, size_t>> gs;
  // g-sized ranges from 0x10000 to just past 0x20000: 17 adjacent pages.
  for (uint64_t a = 0x10000; a < 0x20000; a += 448) gs.emplace_back(a, 448);
  gs.emplace_back(0x28000, 8);  // one more run
  c.prefetch(gs);
  EXPECT_EQ(b.calls.size(), 2u);
  EXPECT_EQ(b.calls[0], std::make_pair(uint64_t{0x10000}, size_t{17 * 4096}));
  uint8_t x[448];
  for (const auto& [a, n] : gs) ASSERT_TRUE(c.read(a, x, n));
  EXPECT_EQ(x[0], 0x00);
  EXPECT_EQ(b.calls.size(), 2u) << "every read after the prefetch is a cache hit";
  c.prefetch(gs);  // nothing left to fetch
  EXPECT_EQ(b.calls.size(), 2u);
}

TEST(PageCache, FailedPrefetchFallsBackToPages) {
  Backing b;
  PageCache c = cache_over(b);
  // One run straddling the end of the mapping fails as a whole; the pages are then read one by
  // one when needed, and the mapped ones succeed.
  c.prefetch({{0x2e000, 4 * 4096}});
  EXPECT_EQ(b.calls.size(), 1u);
  uint8_t x[8];
  EXPECT_TRUE(c.read(0x2f000, x, 8));
  EXPECT_FALSE(c.read(0x30000, x, 8));
  // Garbage ranges are ignored.
  size_t before = b.calls.size();
  c.prefetch({{~uint64_t{0} - 10, 100}, {0x10000, size_t{1} << 40}, {0x10000, 0}});
  EXPECT_EQ(b.calls.size(), before);
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
