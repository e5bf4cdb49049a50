// Where the unit tests find the testdata binaries: $CGOUNWIND_TESTDATA_DIR, else the build tree's
// testdata/ (compiled in; tests/build_testdata.py builds it).
#pragma once
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace cgounwind {

inline std::filesystem::path testdata_root() {
  if (const char* env = std::getenv("CGOUNWIND_TESTDATA_DIR"); env != nullptr && *env != 0)
    return env;
  return CGOUNWIND_TESTDATA_DIR;
}

// `program` as every toolchain built it: <root>/go1.*/<program>, those that exist.
inline std::vector<std::filesystem::path> testdata_binaries(const char* program) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(testdata_root(), ec), end; !ec && it != end; it.increment(ec)) {
    fs::path p = it->path() / program;
    if (it->path().filename().string().rfind("go1.", 0) == 0 && fs::is_regular_file(p, ec))
      out.push_back(p);
  }
  return out;
}

}  // namespace cgounwind
