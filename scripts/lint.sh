#!/usr/bin/env bash
# clang-format and clang-tidy over the C++ core (needs a configured build dir for
# compile_commands.json). Usage: scripts/lint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mapfile -t sources < <(git ls-files 'unwinder/*.cpp' 'unwinder/*.h' 'formatters/*.cpp' 'formatters/*.h' 'tests/unit/*.cpp' 'lldb-plugin/*.cpp')
clang-format --dry-run --Werror "${sources[@]}"
mapfile -t tus < <(git ls-files 'unwinder/src/*.cpp' 'formatters/src/*.cpp' 'bindings/python/*.cpp' 'lldb-plugin/*.cpp')
tidy=$(clang-tidy -p "$build" --quiet "${tus[@]}" 2>&1 || true)
if grep -qE "(warning|error):" <<<"$tidy"; then
  grep -E "(warning|error):" <<<"$tidy"
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
echo "lint: clang-format and clang-tidy clean (${#sources[@]} files formatted, ${#tus[@]} checked)"
