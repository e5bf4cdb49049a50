"""Stepping across the cgo boundary: the gestures every front end is tested with (GDB in
test_stepping.py, LLDB and lldb-dap beside it). Lines are found by the text on them, so the
cases read like what a user does: stop on this line, `step`, expect to be on that line."""

from __future__ import annotations

import os
from dataclasses import dataclass

SRC = os.environ.get("CGOUNWIND_SRC",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
TESTDATA = os.path.join(SRC, "testdata")
# Asynchronous preemption (SIGURG) can move a goroutine to another thread in the middle of any
# step; the boundary cases turn it off so that they test the boundary. test_goroutine_steps
# keeps it on.
STEP_ENV = {"GODEBUG": "asyncpreemptoff=1"}


@dataclass(frozen=True)
class Case:
    name: str
    program: str         # testdata binary
    gesture: str         # "step" | "next" | "finish"
    expect_function: str
    expect_file: str     # base name
    expect_text: str     # text on the expected line
    stop_file: str = ""  # stop on the line of stop_file holding stop_text ...
    stop_text: str = ""
    stop_function: str = ""  # ... or at this function's first line
    until_leaves: bool = False  # repeat the gesture until frame 0 leaves the starting function
    # Also right: a Go function's opening line, where a debugger's breakpoint by name (past
    # the prologue) stops when the function's first statement shares its stack-check code; a
    # line the compiler scheduled after a call (see _CB_SCALE).
    also_text: tuple[str, ...] = ()


def line_of(source_dir: str, file: str, text: str) -> int:
    path = os.path.join(TESTDATA, source_dir, file)
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if text in line:
                return n
    raise AssertionError(f"{text!r} not found in {path}")


_CB_CALL_C = "C.c_outer(C.int(n))"
_CB_CALL_GO = "GoMiddle(n + 1)"
_CB_GO_BODY = "return C.int(goInner(int(n)) + 1)"
_CB_AFTER_GO = "cgu_callback_sink = r;"
_CB_AFTER_C = "SinkInt = scale"
# goInner computes `scale` after the call returns (the compiler moved it there, and its line
# entry is a statement): a step out of c_inner may stop on that line first, as out of any callee.
_CB_SCALE = "scale := n*100 + 7"
# arm64's code has a statement of the calling line after the call's return: the step out stops
# there, back on the line that called c_inner.
_CB_OUT_OF_C = (_CB_SCALE, "C.c_inner(C.int(n))")

CALLBACK_CASES = (
    Case("step_go_to_c", "callback", "step", "c_outer", "callback.c", _CB_CALL_GO,
         stop_file="main.go", stop_text=_CB_CALL_C),
    Case("step_c_to_go", "callback", "step", "main.GoMiddle", "main.go", _CB_GO_BODY,
         stop_file="callback.c", stop_text=_CB_CALL_GO, also_text=("func GoMiddle(",)),
    Case("finish_c_to_go", "callback", "finish", "main.goOuter", "main.go", _CB_CALL_C,
         stop_function="c_outer"),
    Case("finish_go_to_c", "callback", "finish", "c_outer", "callback.c", _CB_CALL_GO,
         stop_function="main.GoMiddle"),
    Case("next_out_of_c", "callback", "next", "main.goInner", "main.go", _CB_AFTER_C,
         stop_function="c_inner", until_leaves=True, also_text=_CB_OUT_OF_C),
    Case("step_out_of_c", "callback", "step", "main.goInner", "main.go", _CB_AFTER_C,
         stop_function="c_inner", until_leaves=True, also_text=_CB_OUT_OF_C),
    Case("next_out_of_go", "callback", "next", "c_outer", "callback.c", _CB_AFTER_GO,
         stop_function="main.GoMiddle", until_leaves=True),
    Case("next_over_c_call", "callback", "next", "main.goOuter", "main.go", "Sink = label",
         stop_file="main.go", stop_text=_CB_CALL_C),
    Case("next_over_go_call", "callback", "next", "c_outer", "callback.c", _CB_AFTER_GO,
         stop_file="callback.c", stop_text=_CB_CALL_GO),
)

# The same gestures with the C side at -O2, and through Rust's C ABI.
OPTIMIZED_CASES = (
    Case("O2_step_go_to_c", "callback-O2", "step", "c_outer", "callback.c", _CB_CALL_GO,
         stop_file="main.go", stop_text=_CB_CALL_C),
    Case("O2_step_c_to_go", "callback-O2", "step", "main.GoMiddle", "main.go", _CB_GO_BODY,
         stop_file="callback.c", stop_text=_CB_CALL_GO, also_text=("func GoMiddle(",)),
    Case("O2_finish_c_to_go", "callback-O2", "finish", "main.goInner", "main.go",
         "C.c_inner(C.int(n))", stop_function="c_inner"),
    Case("O2_next_out_of_c", "callback-O2", "next", "main.goInner", "main.go", _CB_AFTER_C,
         stop_function="c_inner", until_leaves=True, also_text=_CB_OUT_OF_C),
    Case("rust_step_go_to_rust", "rustchain", "step", "rust_entry", "lib.rs",
         "let r = rust_middle(cb, opaque(n));",
         stop_file="main.go", stop_text="C.rust_entry("),
    Case("rust_finish_rust_to_go", "rustchain", "finish", "main.goCallRust", "main.go",
         "C.rust_entry(", stop_function="rust_entry"),
    Case("rust_step_c_to_go", "rustchain", "step", "main.GoFromRust", "main.go",
         "return C.int(goAfterRust(int(n)) + 1)",
         stop_file="rustchain.c", stop_text="GoFromRust((int)n)", also_text=("func GoFromRust(",)),
)

CASES = CALLBACK_CASES + OPTIMIZED_CASES

SOURCE_DIRS = {"main.go": None, "callback.c": "callback", "lib.rs": "rustchain/rustlib/src",
               "rustchain.c": "rustchain"}


def source_dir(case: Case, file: str) -> str:
    if file == "main.go":
        return "rustchain" if case.program.startswith("rustchain") else "callback"
    return SOURCE_DIRS[file] or ""


def expected_line(case: Case) -> int:
    return line_of(source_dir(case, case.expect_file), case.expect_file, case.expect_text)


def expected_lines(case: Case) -> set[int]:
    lines = {expected_line(case)}
    for text in case.also_text:
        lines.add(line_of(source_dir(case, case.expect_file), case.expect_file, text))
    return lines


def stop_line(case: Case) -> int:
    return line_of(source_dir(case, case.stop_file), case.stop_file, case.stop_text)


def names_match(want: str, got: str) -> bool:
    """`main.GoMiddle` matches GDB's and LLDB's spellings (LLDB may add a module prefix)."""
    got = got.split("`")[-1]
    for suffix in (".abi0",):
        got = got[:-len(suffix)] if got.endswith(suffix) else got
    return got == want or got.endswith("::" + want)
