// Where the unit tests find the testdata binaries: $CGOUNWIND_TESTDATA_DIR, else the build tree's
// testdata/ (compiled in; tests/build_testdata.py builds it).
#pragma once
#include <cstdlib>
#include <filesystem>

namespace cgounwind {

inline std::filesystem::path testdata_root() {
  if (const char* env = std::getenv("CGOUNWIND_TESTDATA_DIR"); env != nullptr && *env != 0)
    return env;
  return CGOUNWIND_TESTDATA_DIR;
}

}  // namespace cgounwind
