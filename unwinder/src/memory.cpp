#include "cgounwind/memory.h"

#include <algorithm>
#include <cstring>

namespace cgounwind {

std::vector<uint8_t> read_many(Memory& mem, const std::vector<uint64_t>& addrs, size_t size,
                               std::vector<bool>& ok) {
  constexpr uint64_t kMaxRunBytes = 256 * 1024, kMaxGap = 4096;
  std::vector<uint8_t> out(addrs.size() * size);
  ok.assign(addrs.size(), false);
  std::vector<size_t> order(addrs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return addrs[a] < addrs[b]; });
  std::vector<uint8_t> run;
  for (size_t i = 0; i < order.size();) {
    uint64_t start = addrs[order[i]], end = start + size;
    size_t j = i + 1;
    while (j < order.size() && addrs[order[j]] >= start && addrs[order[j]] <= end + kMaxGap &&
           addrs[order[j]] + size - start <= kMaxRunBytes) {
      end = std::max(end, addrs[order[j]] + size);
      ++j;
    }
    bool whole = false;
    if (end > start && end - start <= kMaxRunBytes) {
      run.resize(end - start);
      whole = mem.read_uncached(start, run.data(), run.size());
    }
    for (size_t k = i; k < j; ++k) {
      size_t idx = order[k];
      uint8_t* dst = out.data() + idx * size;
      if (whole) {
        std::memcpy(dst, run.data() + (addrs[idx] - start), size);
        ok[idx] = true;
      } else {
        ok[idx] = mem.read(addrs[idx], dst, size);
      }
    }
    i = j;
  }
  return out;
}

}  // namespace cgounwind
