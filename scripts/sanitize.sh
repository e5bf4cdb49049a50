#!/usr/bin/env bash
# cgounwind under the sanitizers, on BUILD_DIR's testdata. Any sanitizer report fails the run.
#   unit: the core and the unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer
#         (BUILD_DIR/asan): memory images, corrupted variants, random bytes through the
#         formatters; leak checking on.
#   e2e:  the native module and the LLDB plugin built with UndefinedBehaviorSanitizer
#         (BUILD_DIR/ubsan), inside the real gdb and lldb-22, for the GDB, LLDB and hostile-program
#         suites on Go 1.26. ASan cannot go there: its runtime must be preloaded into the
#         debugger, and gdb 13 and lldb-22 then hang in glibc's setlocale before main (bookworm;
#         gcc 12's and clang 14's runtimes alike). The same core code runs under ASan in the unit
#         tests and the fuzzers (scripts/fuzz.sh).
# Usage: scripts/sanitize.sh [BUILD_DIR] [unit|e2e|all]   (default: build all; testdata built)
set -euo pipefail
cd "$(dirname "$0")/.."
main=$(realpath "${1:-build}")
what=${2:-all}
export CGOUNWIND_TESTDATA_DIR="$main/testdata"
if [ "$what" != e2e ]; then
  dir="$main/asan"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGOUNWIND_SANITIZE=ON >/dev/null
  cmake --build "$dir" --target unit_tests -j "$(nproc)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/tests/unit_tests" --gtest_brief=1
  echo "sanitize: unit tests clean under ASan+UBSan"
fi
[ "$what" = unit ] && exit 0

dir="$main/ubsan"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGOUNWIND_UBSAN=ON >/dev/null
cmake --build "$dir" --target _cgounwind cgounwind_lldb -j "$(nproc)"
reports="$dir/e2e-reports"
rm -rf "$reports" && mkdir -p "$reports"
# Reports go to files too: a debugger may swallow its stderr.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export CGOUNWIND_BUILD="$main" CGOUNWIND_SRC="$PWD" CGOUNWIND_ARTIFACTS="$dir"
failed=0
for suite in gdb lldb hostile; do
  if ! /usr/bin/python3 "tests/e2e/test_$suite.py" --toolchain go1.26 >"$reports/$suite.log" 2>&1; then
    tail -40 "$reports/$suite.log"
    echo "sanitize: e2e $suite failed with the UBSan build (log: $reports/$suite.log)" >&2
    failed=1
  fi
done
if compgen -G "$reports/ubsan.*" >/dev/null; then
  for f in "$reports"/ubsan.*; do echo "== $f"; head -60 "$f"; done
  echo "sanitize: UBSan reports from inside the debuggers (above)" >&2
  exit 1
fi
[ "$failed" = 0 ] || exit 1
echo "sanitize: e2e suites clean with UBSan inside gdb and lldb (gdb, lldb, hostile on go1.26)"
