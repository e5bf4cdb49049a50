// Shared by the libFuzzer targets: where the testdata binaries and the seed images are.
#pragma once
#include <cstdlib>
#include <string>

namespace cgounwind::fuzz {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != 0 ? v : fallback;
}
inline std::string testdata_dir() { return env_or("CGOUNWIND_TESTDATA_DIR", "build/testdata"); }
inline std::string images_dir() { return env_or("CGOUNWIND_IMAGES_DIR", "tests/unit/images"); }

}  // namespace cgounwind::fuzz
