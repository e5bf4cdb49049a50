"""What the end-to-end debugger tests expect from each testdata program.

Plain data (plus two tiny pure helpers for comparing frame names); standard library only.
Binaries are built by tests/build_testdata.py into <build>/testdata/<toolchain>/<binary> and
listed in <build>/testdata/manifest.json (see load_manifest()).

For every program/variant:
  name           binary name (== the key in the manifest's "programs")
  source         directory under testdata/
  gdb_commands   gdb commands that bring the program to its breakpoint (BP)
  lldb_commands  the same for lldb (SIGURG, Go's preemption signal, must not stop lldb)
  bp_function    the function the program is stopped in
  bp_args        arguments of bp_function at the stop, as the debugger shows them (C -O0 only)
  user_frames    function names, innermost first, that a correct *spliced* backtrace of the
                 stopped thread must contain as a subsequence (other frames may sit in between:
                 cgo's C wrappers `_cgo_<hash>_Cfunc_*`, Go's `_cgoexp_<hash>_*`, ABI wrappers,
                 runtime.systemstack_switch, `main.main.gowrapN` (Go >= 1.22), libc internals).
                 Only names that are the same in Go 1.19 … 1.26 are listed.
  bottom         the expected outermost frame of that thread
  threads        other threads that must be stopped somewhere specific (multiblock)

Frame names are compared with names_match(): a trailing ".abi0"/".abiinternal" (what the ELF
symbol table calls Go assembly functions, e.g. `runtime.asmcgocall.abi0` in binaries without
Go DWARF) and Rust's trailing `::h<16 hex>` hash are ignored, and a Rust path matches its last
components (`rust_entry` from the ELF symbol ~ `rustlib::rust_entry` from DWARF).

Observed with stock gdb 13 (no cgounwind) at every BP, for every toolchain: the innermost frames
are `<bp_function>`, `_cgo_<hash>_Cfunc_<bp_function>`, `runtime.asmcgocall` (`.abi0` in the
-stripped variant), after which gdb's own unwinding goes wrong.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re

# Toolchains the e2e tests run against (ctest gdb_go<version>); the builder builds whatever is
# installed, so a given machine may have fewer.
TOOLCHAINS = ("go1.19", "go1.21", "go1.22", "go1.23", "go1.26")

GOROUTINE_BOTTOM = "runtime.goexit"


def _cgocall(cfunc: str, pkg: str = "main") -> list[str]:
    """A Go → C call, seen from inside the C function (innermost first), without the C function.
    (The cgo C wrapper `_cgo_<hash>_Cfunc_<cfunc>` sits between cfunc and asmcgocall; with C at
    -O2 it can be a tail call and vanish, so it is never required.)"""
    return ["runtime.asmcgocall", "runtime.cgocall", f"{pkg}._Cfunc_{cfunc}"]


def _callback(export: str) -> list[str]:
    """A C → Go call of the //export-ed Go function `export`, from the Go function down to the
    C caller of the exported C wrapper (exclusive). `main._cgoexp_<hash>_<export>` sits between
    main.<export> and runtime.cgocallbackg1 and is not required."""
    return [f"main.{export}", "runtime.cgocallbackg1", "runtime.cgocallbackg",
            "runtime.cgocallback", "crosscall2", export]


_MAIN = ["main.main", "runtime.main", "runtime.goexit"]


def _gdb_break_run(bp: str) -> list[str]:
    return [f"break {bp}", "run"]


_LLDB_SIGNALS = "process handle -p true -s false -n false SIGURG SIGPIPE"


def _lldb_break_run(bp: str) -> list[str]:
    return [_LLDB_SIGNALS, f"breakpoint set -n {bp}", "process launch"]


@dataclasses.dataclass(frozen=True)
class ThreadExpectation:
    """A thread (other than the stopped one) that must be blocked at a known place."""

    selector: str  # a function that identifies the thread: it is on exactly one thread's stack
    user_frames: tuple[str, ...]
    bottom: str
    inner_args: dict = dataclasses.field(default_factory=dict)  # args of user_frames[0]


@dataclasses.dataclass(frozen=True)
class Program:
    name: str
    source: str
    description: str
    gdb_commands: tuple[str, ...]
    lldb_commands: tuple[str, ...]
    bp_function: str
    user_frames: tuple[str, ...]
    bottom: str = GOROUTINE_BOTTOM
    bottom_alternatives: tuple[str, ...] = ()  # other acceptable names for `bottom`
    bp_args: dict = dataclasses.field(default_factory=dict)
    threads: tuple[ThreadExpectation, ...] = ()
    # Minimum number of times a function must occur in the spliced backtrace.
    min_counts: dict = dataclasses.field(default_factory=dict)
    c_opt: str = "-O0"  # CGO_CFLAGS optimisation of the program's own C code
    go_dwarf: bool = True  # False: built with -ldflags=-w (C DWARF remains, Go DWARF does not)
    notes: str = ""

    build: str = ""  # binary name when several stops share one program
    # Golden files collapse runs of one function: how deep a recursion is when the stop happens
    # varies from run to run (e.g. where a goroutine's stack first needs to grow).
    collapse_repeats: bool = False

    @property
    def binary(self) -> str:
        return self.build or self.name

    @property
    def bottoms(self) -> tuple[str, ...]:
        return (self.bottom,) + tuple(b for b in self.bottom_alternatives if b != self.bottom)


# ---------------------------------------------------------------------------------------------

_SEED = Program(
    name="seed",
    source="seed",
    description="main.main → seed/app.DoStuff → C.animal_print (C static library libanimal)",
    gdb_commands=tuple(_gdb_break_run("animal_print")),
    lldb_commands=tuple(_lldb_break_run("animal_print")),
    bp_function="animal_print",
    # First hit: the dog (a->kind == ANIMAL_KIND_DOG, a->tail_len == 42); the second hit
    # (`continue`) is a cat named "Tom".
    bp_args={"a->kind": "ANIMAL_KIND_DOG", "a->tail_len": "42"},
    user_frames=("animal_print", *_cgocall("animal_print", pkg="seed/app"), "seed/app.DoStuff",
                 *_MAIN),
)

_CALLBACK_FRAMES = ("c_inner", *_cgocall("c_inner"), "main.goInner", *_callback("GoMiddle"),
                    "c_outer", *_cgocall("c_outer"), "main.goOuter", *_MAIN)

_CALLBACK = Program(
    name="callback",
    source="callback",
    description="main.main → main.goOuter → C.c_outer → GoMiddle (export) → main.goInner → "
                "C.c_inner",
    gdb_commands=tuple(_gdb_break_run("c_inner")),
    lldb_commands=tuple(_lldb_break_run("c_inner")),
    bp_function="c_inner",
    bp_args={"n": "2"},
    user_frames=_CALLBACK_FRAMES,
)

_CALLBACK_O2 = dataclasses.replace(
    _CALLBACK, name="callback-O2", c_opt="-O2", bp_args={},
    notes="C (and runtime/cgo) compiled with -g -O2; c_outer's argument is optimised out.")

_CALLBACK_STRIPPED = dataclasses.replace(
    _CALLBACK, name="callback-stripped", go_dwarf=False,
    notes="go build -ldflags=-w: no Go DWARF (no .debug_frame for Go code: Go frames must be "
          "unwound with .gopclntab); the C objects keep their DWARF. gdb names Go assembly "
          "functions from the ELF symtab, e.g. runtime.asmcgocall.abi0.")

_WORKERS = (("main.workerAlpha", 1), ("main.workerBeta", 2), ("main.workerGamma", 3))

_MULTIBLOCK = Program(
    name="multiblock",
    source="multiblock",
    description="three goroutines (main.workerAlpha/Beta/Gamma, each LockOSThread'ed) blocked "
                "in C.c_block; main.main calls C.c_all_blocked",
    gdb_commands=tuple(_gdb_break_run("c_all_blocked")),
    lldb_commands=tuple(_lldb_break_run("c_all_blocked")),
    bp_function="c_all_blocked",
    user_frames=("c_all_blocked", *_cgocall("c_all_blocked"), *_MAIN),
    threads=tuple(
        ThreadExpectation(
            selector=worker,
            # Above c_block: libc's pthread_cond_wait internals (___pthread_cond_wait,
            # __futex_abstimed_wait_common, ...). Go >= 1.22 adds main.main.gowrapN between
            # the worker and runtime.goexit.
            user_frames=("c_block", *_cgocall("c_block"), worker, GOROUTINE_BOTTOM),
            bottom=GOROUTINE_BOTTOM,
            inner_args={"id": str(ident)},
        ) for worker, ident in _WORKERS),
    notes="The stopped thread is not necessarily the process's main thread, and the workers "
          "are on arbitrary threads: find each worker's thread by its selector.",
)

_CTHREAD = Program(
    name="cthread",
    source="cthread",
    description="C pthread c_thread_main → GoFromCThread (export) → main.goWorkInThread → "
                "C.c_leaf_in_thread",
    gdb_commands=tuple(_gdb_break_run("c_leaf_in_thread")),
    lldb_commands=tuple(_lldb_break_run("c_leaf_in_thread")),
    bp_function="c_leaf_in_thread",
    bp_args={"n": "5"},
    user_frames=("c_leaf_in_thread", *_cgocall("c_leaf_in_thread"), "main.goWorkInThread",
                 *_callback("GoFromCThread"), "c_thread_main"),
    # glibc >= 2.34 starts threads with clone3 (bookworm: 2.36); start_thread sits between it
    # and c_thread_main. Both names need libc symbols (libc6-dbg).
    bottom="clone3",
    bottom_alternatives=("clone",),
    notes="No runtime.main/runtime.goexit: the goroutine lives on an extra M of a C thread; "
          "below runtime.cgocallback the stack is the C thread's (crosscall2, GoFromCThread, "
          "c_thread_main, start_thread, clone3).",
)

_DEPTH = 12


def _deep_frames() -> tuple[str, ...]:
    frames = ["c_bottom", *_cgocall("c_bottom"), "main.goLevel"]
    for _ in range(_DEPTH):
        frames += [*_callback("GoLevel"), "c_level", *_cgocall("c_level"), "main.goLevel"]
    return tuple(frames + _MAIN)


_DEEP = Program(
    name="deep",
    source="deep",
    description="main.main → main.goLevel(12) → C.c_level(12) → GoLevel(11) → main.goLevel(11) "
                "→ … → main.goLevel(0) → C.c_bottom",
    gdb_commands=tuple(_gdb_break_run("c_bottom")),
    lldb_commands=tuple(_lldb_break_run("c_bottom")),
    bp_function="c_bottom",
    user_frames=_deep_frames(),
    min_counts={"c_level": _DEPTH, "main.goLevel": _DEPTH + 1, "main.GoLevel": _DEPTH,
                "crosscall2": _DEPTH, "runtime.asmcgocall": _DEPTH + 1},
    notes="The backtrace has well over 100 frames: do not truncate it.",
)

_SYSSTACK = Program(
    name="sysstack",
    source="sysstack",
    description="breakpoint in runtime.(*mheap).allocSpan on the system stack, reached from "
                "main.bigAlloc's 64 MiB make([]byte)",
    # main.marker is Go code: while the debugger sits on it, sysmon decides the goroutine has
    # run too long and, on resume, async-preempts it (SIGURG) while gdb steps over the
    # breakpoint; the goroutine later resumes on another thread *at the breakpoint address* and
    # hits main.marker a second time (4 of 6 runs with go1.23 and a plain `break`). A one-shot
    # breakpoint avoids that (45/45 gdb runs and 16/16 lldb runs reached allocSpan).
    gdb_commands=("tbreak main.marker", "run", "break runtime.(*mheap).allocSpan", "continue"),
    lldb_commands=(_LLDB_SIGNALS, "breakpoint set -o true -n main.marker", "process launch",
                   "breakpoint set -n 'runtime.(*mheap).allocSpan'", "process continue"),
    bp_function="runtime.(*mheap).allocSpan",
    bp_args={"npages": "8192"},
    # On g0: allocSpan ← (*mheap).alloc.func1 ← systemstack; then the goroutine's stack
    # (whose top frame Go's own traceback shows as runtime.systemstack_switch). Go 1.24+ adds
    # runtime.mallocgcLarge between allocLarge and mallocgc.
    user_frames=("runtime.(*mheap).allocSpan", "runtime.(*mheap).alloc.func1",
                 "runtime.systemstack", "runtime.(*mheap).alloc", "runtime.(*mcache).allocLarge",
                 "runtime.mallocgc", "runtime.makeslice", "main.bigAlloc", *_MAIN),
    notes="Stops on whichever thread runs the main goroutine at that point (not always thread "
          "1). The first allocSpan hit after main.marker is bigAlloc's (npages == 8192, which gdb "
          "shows; lldb cannot print Go variables) with every toolchain tested.",
)

_RUSTCHAIN = Program(
    name="rustchain",
    source="rustchain",
    description="main.goCallRust → C.rust_entry (Rust) → rustlib::rust_middle (Rust) → "
                "go_cb_trampoline (C) → GoFromRust (export) → main.goAfterRust → C.c_after_rust",
    gdb_commands=tuple(_gdb_break_run("c_after_rust")),
    lldb_commands=tuple(_lldb_break_run("c_after_rust")),
    bp_function="c_after_rust",
    bp_args={"n": "8"},
    # gdb names the Rust frames rustlib::rust_middle / rustlib::rust_entry (DWARF); lldb says
    # rustlib::rust_middle::h<hash> / rust_entry. names_match() accepts all of them.
    user_frames=("c_after_rust", *_cgocall("c_after_rust"), "main.goAfterRust",
                 *_callback("GoFromRust"), "go_cb_trampoline", "rustlib::rust_middle",
                 "rustlib::rust_entry", *_cgocall("rust_entry"), "main.goCallRust", *_MAIN),
    notes="The Rust staticlib is built with opt-level 3, debug = true, panic = abort.",
)

_CALLBACK_GOSTOP = Program(
    name="callback-gostop",
    build="callback",
    source="callback",
    description="a stop inside Go code called back from C: main.goInner, with C frames below",
    gdb_commands=tuple(_gdb_break_run("main.goInner")),
    lldb_commands=tuple(_lldb_break_run("main.goInner")),
    bp_function="main.goInner",
    user_frames=("main.goInner", *_callback("GoMiddle"), "c_outer", *_cgocall("c_outer"),
                 "main.goOuter", *_MAIN),
)


def _after_marker(marker: str, bp: str) -> tuple[str, ...]:
    return (f"tbreak {marker}", "run", f"break {bp}", "continue")


_SWITCHES_GROW = Program(
    name="switches-grow",
    build="switches",
    source="switches",
    description="stack growth: runtime.newstack on g0 via runtime.morestack from main.grow",
    gdb_commands=_after_marker("main.markerGrow", "runtime.newstack"),
    lldb_commands=(_LLDB_SIGNALS, "breakpoint set -o true -n main.markerGrow", "process launch",
                   "breakpoint set -n runtime.newstack", "process continue"),
    bp_function="runtime.newstack",
    collapse_repeats=True,
    user_frames=("runtime.newstack", "runtime.morestack", "main.grow", "main.growInGoroutine",
                 GOROUTINE_BOTTOM),
)

_SWITCHES_PARK = Program(
    name="switches-park",
    build="switches",
    source="switches",
    description="a goroutine parking: runtime.park_m on g0 via runtime.mcall from gopark",
    # park_m runs for every goroutine that blocks: stop for the main goroutine (goid 1) only.
    gdb_commands=_after_marker("main.markerPark", "runtime.park_m if gp.goid == 1"),
    # lldb cannot evaluate Go: the condition is a Python breakpoint command that looks for
    # main.waitHere in the (spliced) stack and auto-continues otherwise.
    lldb_commands=(_LLDB_SIGNALS, "breakpoint set -o true -n main.markerPark", "process launch",
                   "breakpoint set -n runtime.park_m",
                   "breakpoint command add -s python 2 -o \"return any(f.GetFunctionName() == "
                   "'main.waitHere' for f in frame.GetThread())\"",
                   "process continue",
                   # Two threads can reach park_m in the same stop: select main's.
                   "script [lldb.process.SetSelectedThread(t) for t in lldb.process if any("
                   "f.GetFunctionName() == 'main.waitHere' for f in t)]"),
    bp_function="runtime.park_m",
    user_frames=("runtime.park_m", "runtime.mcall", "runtime.gopark", "runtime.chanrecv1",
                 "main.waitHere", *_MAIN),
)

_VALUES = Program(
    name="values",
    source="values",
    description="main.main → main.goValues (Go locals of every basic kind, built with -N -l) → "
                "C.c_values_stop",
    gdb_commands=tuple(_gdb_break_run("c_values_stop")),
    lldb_commands=tuple(_lldb_break_run("c_values_stop")),
    bp_function="c_values_stop",
    bp_args={"n": "7"},
    user_frames=("c_values_stop", *_cgocall("c_values_stop"), "main.goValues", *_MAIN),
    notes="The Go values are read in the spliced frame main.goValues by the LLDB and DAP tests.",
)
PROGRAMS: tuple[Program, ...] = (_SEED, _CALLBACK, _CALLBACK_O2, _CALLBACK_STRIPPED, _MULTIBLOCK,
                                 _CTHREAD, _DEEP, _SYSSTACK, _RUSTCHAIN, _CALLBACK_GOSTOP,
                                 _SWITCHES_GROW, _SWITCHES_PARK, _VALUES)
BY_NAME: dict[str, Program] = {p.name: p for p in PROGRAMS}


# ---------------------------------------------------------------------------------------------
# helpers

_ABI_SUFFIX = re.compile(r"\.(abi0|abiinternal)$")
_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")
# glibc symbols with two names for one address: gdb and lldb pick different ones.
_LIBC_ALIASES = {"__clone3": "clone3", "__clone": "clone"}


_GDB_GO_MINSYM = re.compile(r"^([\w./]+)\[(.+)\]$")


def normalize_name(name: str) -> str:
    """Drops what differs between symbol sources but not between functions (see module doc).
    gdb shows Go ELF symbols without DWARF as `runtime[cgocall]`: that is runtime.cgocall."""
    name = name.strip()
    name = _GDB_GO_MINSYM.sub(r"\1.\2", name)
    name = _ABI_SUFFIX.sub("", name)
    name = _RUST_HASH.sub("", name)
    return _LIBC_ALIASES.get(name, name)


def names_match(expected: str, actual: str) -> bool:
    e, a = normalize_name(expected), normalize_name(actual)
    if e == a:
        return True
    # Rust paths: `rust_entry` (ELF symbol) ~ `rustlib::rust_entry` (DWARF). Only "::" counts, so
    # C `GoMiddle` never matches Go `main.GoMiddle`.
    return ("::" in e or "::" in a) and (e.endswith("::" + a) or a.endswith("::" + e))


def missing_frames(expected: list[str] | tuple[str, ...], actual: list[str]) -> list[str]:
    """Expected names not found, in order, as a subsequence of `actual` (innermost first).
    Empty list: `expected` is a subsequence."""
    i = 0
    for pos, want in enumerate(expected):
        while i < len(actual) and not names_match(want, actual[i]):
            i += 1
        if i == len(actual):
            return list(expected[pos:])
        i += 1
    return []


def load_manifest(testdata_build_dir: str) -> dict:
    """<build>/testdata/manifest.json: {"toolchains": {"go1.21": {"goversion", "goroot", "go",
    "programs": {name: absolute path}}}}."""
    with open(os.path.join(testdata_build_dir, "manifest.json")) as f:
        return json.load(f)


def values_map_text(toolchain: str) -> str:
    """How the formatters show testdata/values' `m` (map[string]int{"answer": 42})."""
    return 'map[string]int len: 1 ["answer": 42]'


# testdata/values' cgo values, as every front end shows them (GDB `print`, LLDB `frame variable`,
# lldb-dap's Variables pane): the C type's members, a tagged union's active member first and
# marked, C strings as text.
VALUES_C_TEXT = {
    "sh": "{kind = SHAPE_CIRCLE, {radius = 5, rect = {w = 5, h = 0}}}",
    "cat": '{kind = ANIMAL_KIND_CAT, {cat_name = "Tom" <active>, tail_len = 7171924}}',
    "dog": '{kind = ANIMAL_KIND_DOG, {tail_len = 42, cat_name = "*"}}',
    "num": "{tag = NUMBER_F, as = {f = 1.5 <active>, i = 1069547520, "
           "raw = {0, 0, 192, 63, 0, 0, 0, 0}}}",
    "pos": "{dims = 2, {{x = 3, y = -4}, bits = {packed = 4294705155, bytes = {3, 0, 252, 255}}}}",
    "cstr": '"Tom"',
}
# Their C type names (cgo's _Ctype_struct___N are shown as the C types they stand for).
VALUES_C_TYPES = {"sh": "Shape", "cat": "Animal", "dog": "Animal", "num": "Number", "pos": "Pos",
                  "cstr": "CStr"}


def big_map_problems(text: str) -> list[str]:
    """What is wrong with the text of testdata/values' `big` (map[int]int, 20 entries i: i*i,
    of which the formatters show 16, in map order): [] when right."""
    m = re.fullmatch(r"map\[int\]int len: 20 \[(.*), \.\.\.\+4 more\]", text.strip())
    if not m:
        return [f"not a 20-entry map[int]int showing 16: {text!r}"]
    pairs = [p.split(": ") for p in m.group(1).split(", ")]
    problems = [f"entry {p}" for p in pairs if len(p) != 2 or int(p[1]) != int(p[0]) ** 2]
    keys = [p[0] for p in pairs]
    if len(keys) != 16 or len(set(keys)) != 16:
        problems.append(f"{len(keys)} entries, {len(set(keys))} distinct: {keys}")
    return problems
