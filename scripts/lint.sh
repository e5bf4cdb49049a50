#!/usr/bin/env bash
# clang-format and clang-tidy over the C++ core (needs a configured build dir for
# compile_commands.json). Usage: scripts/lint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mapfile -t sources < <(git ls-files 'unwinder/*.cpp' 'unwinder/*.h' 'tests/unit/*.cpp')
clang-format --dry-run --Werror "${sources[@]}"
mapfile -t tus < <(git ls-files 'unwinder/src/*.cpp' 'unwinder/python/*.cpp')
clang-tidy -p "$build" --quiet "${tus[@]}" 2>&1 | grep -E "(warning|error):" && exit 1
echo "lint: clang-format and clang-tidy clean (${#sources[@]} files formatted, ${#tus[@]} checked)"
