#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: stack walk and goroutine table over patched memory
# images, value formatters over arbitrary bytes, ELF/pclntab/.eh_frame parsing) with clang-14,
# ASan and UBSan in BUILD_DIR/fuzz, then runs each for SECONDS on its corpus (BUILD_DIR/fuzz/
# corpus, seeded from the testdata). Any crash, sanitizer report, leak or timeout fails.
# Usage: scripts/fuzz.sh [SECONDS per target, default 60] [BUILD_DIR, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
main=$(realpath "${2:-build}")
dir="$main/fuzz"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCGOUNWIND_FUZZ=ON -DCGOUNWIND_WERROR=OFF >/dev/null
cmake --build "$dir" --target fuzz_walk fuzz_format fuzz_elf -j "$(nproc)" >/dev/null
export CGOUNWIND_TESTDATA_DIR="$main/testdata" CGOUNWIND_IMAGES_DIR="$PWD/tests/unit/images"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
corpus="$dir/corpus"
mkdir -p "$corpus/walk" "$corpus/format" "$corpus/elf"
# Seeds: one input per memory image (walk), a few bytes per type (format), the smallest
# testdata binaries (elf).
for i in $(seq 0 15); do printf "$(printf '\\x%02x' "$i")" >"$corpus/walk/seed$i"; done
for i in $(seq 0 31); do printf "$(printf '\\x%02x\\x%02x' "$i" "$i")ABCDEFGH" >"$corpus/format/seed$i"; done
for f in "$main"/testdata/go1.*/callback-stripped; do cp "$f" "$corpus/elf/$(basename "$(dirname "$f")")"; done
total=0
for t in walk format elf; do
  log="$dir/fuzz_$t.log"
  extra=()
  [ "$t" = elf ] && extra=(-max_len=4000000)
  if ! "$dir/tests/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$dir/" "${extra[@]}" "$corpus/$t" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: fuzz_$t found a problem (log: $log; reproducer: $dir/crash-*)" >&2
    exit 1
  fi
  n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "fuzz: fuzz_$t: ${n:-0} executions in ${secs}s"
  total=$((total + ${n:-0}))
done
echo "fuzz: $total executions, no crash, leak or timeout"
