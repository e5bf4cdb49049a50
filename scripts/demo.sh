#!/usr/bin/env bash
# Sets up, builds, and shows GDB's and LLDB's backtraces of a real cgo program (a Go → C → Go → C
# callback chain) without and with cgounwind, Go values in a Go frame spliced in below C, and Go and
# cgo values printed by GDB with Go's runtime-gdb.py, then with cgounwind.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
/usr/bin/python3 tests/build_testdata.py --out build/testdata --toolchain go1.26 >/dev/null
prog=build/testdata/go1.26/callback
echo "== plain gdb: break c_inner, bt"
gdb -batch -nx -iex 'set auto-load python-scripts off' -ex 'break c_inner' -ex run -ex bt "$prog" 2>&1 | grep -E '^#|Backtrace'
echo
echo "== gdb with: source gdb-python/cgo.py"
gdb -batch -nx -iex 'set auto-load python-scripts off' -ex 'source gdb-python/cgo.py' -ex 'break c_inner' -ex run -ex bt \
    -ex 'info goroutines' "$prog" 2>&1 | grep -vE '^\[|^Breakpoint|^Thread|^$|hit Breakpoint'
echo
echo "== plain lldb-22: b c_inner, bt 25 (LLDB loops through the callback frames)"
lldb-22 -b --no-lldbinit -o 'process handle -p true -s false -n false SIGURG' -o 'b c_inner' \
    -o 'process launch' -o 'bt 25' "$prog" 2>&1 | sed -n '/^(lldb) bt/,$p'
echo
echo "== lldb-22 with: plugin load build/lldb-plugin/libcgounwind.so (then: frame 19, frame variable)"
lldb-22 -b --no-lldbinit -o 'plugin load build/lldb-plugin/libcgounwind.so' -o 'b c_inner' \
    -o 'process launch' -o bt -o 'frame select 19' -o 'frame variable' "$prog" 2>&1 \
    | sed -n '/^(lldb) bt/,$p' | grep -v '^warning: This version of LLDB'
echo
vprog=build/testdata/go1.26/values
goroot=$(/usr/bin/python3 -c 'import json; print(json.load(open("build/testdata/manifest.json"))["toolchains"]["go1.26"]["goroot"])')
show=(-ex 'break main.go:78' -ex run -ex 'print err' -ex 'print ch' -ex 'print cat' -ex 'print num' -ex 'print cstr')
echo "== gdb with Go's runtime-gdb.py: values of testdata/values (err, ch, cat, num, cstr)"
gdb -batch -nx -iex 'set auto-load python-scripts off' -ex "source $goroot/src/runtime/runtime-gdb.py" \
    "${show[@]}" "$vprog" 2>&1 | grep -E '^\$|Error|Traceback'
echo
echo "== the same with cgo.py loaded first"
gdb -batch -nx -iex 'set auto-load python-scripts off' -ex 'source gdb-python/cgo.py' \
    -ex "source $goroot/src/runtime/runtime-gdb.py" "${show[@]}" "$vprog" 2>&1 | grep -E '^\$|Error|Traceback'
