#!/usr/bin/env bash
# The core and its unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer (in
# BUILD_DIR/asan) and run on BUILD_DIR's testdata: memory images, corrupted variants, random
# bytes through the formatters. Any report fails the run.
# Usage: scripts/sanitize.sh [BUILD_DIR]   (default: build; its testdata must be built)
set -euo pipefail
cd "$(dirname "$0")/.."
main=$(realpath "${1:-build}")
dir="$main/asan"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGOUNWIND_SANITIZE=ON >/dev/null
cmake --build "$dir" --target unit_tests -j "$(nproc)"
export CGOUNWIND_TESTDATA_DIR="$main/testdata"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$dir/tests/unit_tests" --gtest_brief=1
echo "sanitize: unit tests clean under ASan+UBSan"
