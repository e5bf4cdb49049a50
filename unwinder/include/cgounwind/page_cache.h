// A per-stop memory cache: page-sized reads through a slower reader, dropped on resume.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cgounwind/memory.h"

namespace cgounwind {

class PageCache : public Memory {
 public:
  using Reader = std::function<bool(uint64_t, void*, size_t)>;
  static constexpr uint64_t kPage = 4096;
  static constexpr size_t kMaxPages = 65536;
  explicit PageCache(Reader reader) : reader_(std::move(reader)) {}

  bool read(uint64_t addr, void* buf, size_t len) override {
    auto* out = static_cast<uint8_t*>(buf);
    while (len > 0) {
      uint64_t page = addr & ~(kPage - 1);
      size_t off = addr - page, n = std::min<size_t>(len, kPage - off);
      const Entry& e = fetch(page);
      if (e.ok) {
        std::memcpy(out, e.bytes.data() + off, n);
      } else if (!reader_(addr, out, n)) {  // partially mapped page: exact read
        return false;
      } else {
        ++reads_;
        if (recording_) recorded_.emplace_back(addr, std::vector<uint8_t>(out, out + n));
      }
      out += n;
      addr += n;
      len -= n;
    }
    return true;
  }
  bool read_uncached(uint64_t addr, void* buf, size_t len) override {
    if (!reader_(addr, buf, len)) return false;
    ++reads_;
    if (recording_) {
      const auto* b = static_cast<const uint8_t*>(buf);
      recorded_.emplace_back(addr, std::vector<uint8_t>(b, b + len));
    }
    return true;
  }
  void clear() { pages_.clear(); }
  size_t reads() const { return reads_; }

  // Calls f(page address, 4096 bytes) for every readable page now in the cache.
  template <class F>
  void for_each_page(F&& f) const {
    for (const auto& [page, e] : pages_)
      if (e.ok) f(page, e.bytes.data(), e.bytes.size());
  }
  // Recording (memory images for tests): while on, every readable page fetched and every exact
  // read of a partially mapped page is also kept here, even across clear(). Costs nothing on
  // cache hits.
  void set_recording(bool on) {
    recording_ = on;
    if (on) recorded_.clear();
  }
  bool recording() const { return recording_; }
  const std::vector<std::pair<uint64_t, std::vector<uint8_t>>>& recorded() const {
    return recorded_;
  }

 private:
  struct Entry {
    bool ok = false;
    std::vector<uint8_t> bytes;
  };
  const Entry& fetch(uint64_t page) {
    auto it = pages_.find(page);
    if (it != pages_.end()) return it->second;
    if (pages_.size() > kMaxPages) pages_.clear();  // bound memory: 256 MiB worst case
    Entry e;
    e.bytes.resize(kPage);
    e.ok = reader_(page, e.bytes.data(), kPage);
    ++reads_;
    if (!e.ok) e.bytes.clear();
    if (recording_ && e.ok) recorded_.emplace_back(page, e.bytes);
    return pages_.emplace(page, std::move(e)).first->second;
  }
  Reader reader_;
  std::unordered_map<uint64_t, Entry> pages_;
  size_t reads_ = 0;
  bool recording_ = false;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> recorded_;
};

}  // namespace cgounwind
