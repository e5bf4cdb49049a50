#!/usr/bin/env python3
"""End-to-end: hostile programs in the real gdb and lldb-22, live and from core files.

testdata/hostile breaks its own runtime state in C before it stops in hostile_bp (and repairs it
afterwards): asmcgocall's saved depth slot, the g pointer (zeroed, or pointing at
self-referencing garbage; in TLS and in asmcgocall's frame), a cyclic frame-pointer chain in its
C frames, a Go recursion 10,000 frames deep; `hostile-stripped` is built with -ldflags='-s -w'
(no symbol table, no DWARF); /bin/true is not Go at all.

For each, in GDB and in LLDB, live and on a core file of the same stop, what a user must see:
the backtrace is right up to the first bad step and ends there with one line saying why; the
goroutine commands answer; no Python traceback; the session goes on (a last command still runs);
every command finishes within a second.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
# CPU seconds of the debugger's process per command after the stop (a walk that runs away
# spins there); not wall time, which a loaded machine stretched (LLDB's bt of the 10,000-deep
# go1.21 core: 0.13 s idle, 2.1 s beside asan_unit and ubsan_e2e in a CI rehearsal).
TIME_LIMIT = 1.0
MARK = "@@cmd "
TIMING = re.compile(r"^@@time (.+?) ([0-9.]+)$", re.M)

# The stack of `hostile normal` at hostile_bp, innermost first (every toolchain).
TRUE_STACK = ["hostile_bp", "hostile_sabotage", "_cgo_HASH_Cfunc_hostile_sabotage",
              "runtime.asmcgocall", "runtime.cgocall", "main._Cfunc_hostile_sabotage", "main.work",
              "main.recurse", "main.main", "runtime.main", "runtime.goexit"]
CYCLE_STACK = ["hostile_bp", "cycle_b", "cycle_a", "hostile_sabotage"]


@dataclasses.dataclass(frozen=True)
class Case:
    mode: str
    binary: str = "hostile"
    frames: tuple[str, ...] = ()   # the whole backtrace, exactly (unless `prefix`)
    prefix: bool = False           # `frames` is only how the backtrace starts
    reason: str | None = None      # regex of the one line that says why bt ends early (None: it
                                   # must not end early)
    min_recurse: int = 0           # main.recurse frames at least


CASES = {c.mode if c.binary == "hostile" else c.binary: c for c in [
    Case("normal", frames=tuple(TRUE_STACK)),
    # The first bad step is asmcgocall's: everything before it is right.
    Case("depth", frames=tuple(TRUE_STACK[:4]), reason=r"frame #3: .*backtrace truncated"),
    Case("gzero", frames=tuple(TRUE_STACK[:4]), reason=r"frame #3: .*backtrace truncated"),
    Case("gscramble", frames=tuple(TRUE_STACK[:4]), reason=r"frame #3: .*backtrace truncated"),
    # hostile_sabotage's caller is computed from the broken chain: the stack ends at it.
    Case("cycle", frames=tuple(CYCLE_STACK),
         reason=r"previous frame inner to this frame|frame #3: .*(cyclic|not above)"),
    Case("deep", frames=tuple(TRUE_STACK[:8]), prefix=True, min_recurse=1000,
         reason=r"deeper than \d+ frames"),
    # No symbols at all: C frames are nameless; Go frames named from Go's own function table.
    Case("normal", binary="hostile-stripped",
         frames=(*("??|" + f for f in TRUE_STACK[:3]), *TRUE_STACK[3:])),
]}


def binary(name: str) -> str:
    return G.testdata_binary(ARGS.toolchain, name)


def stack_problems(case: Case, frames: list[str]) -> list[str]:
    got = frames[:len(case.frames)] if case.prefix else frames
    # "a|b": either name (a -s binary keeps its C symbols with some Go versions' linkers)
    expected = [next((alt for alt in e.split("|") if L.same_stack([alt], [g])), e)
                if "|" in e else e for e, g in zip(case.frames, got)] + list(case.frames[len(got):])
    if not L.same_stack(expected, got):
        return [f"expected {'a stack starting with ' if case.prefix else ''}{list(case.frames)}, "
                f"got {frames[:20]}{' …' if len(frames) > 20 else ''}"]
    recurse = sum(1 for f in frames if f == "main.recurse")
    if recurse < case.min_recurse:
        return [f"{recurse} main.recurse frames, expected at least {case.min_recurse}"]
    return []


def slow_commands(out: str) -> list[str]:
    return [f"{name}: {float(t):.3f} s" for name, t in TIMING.findall(out) if float(t) >= TIME_LIMIT]


# -------------------------------------------------------------------------------------------
# GDB


def gdb_timed(commands: list[tuple[str, str]]) -> list[str]:
    """gdb -ex commands that run each (name, command) with its output delimited and timed."""
    out = ["python import time as _cgu_t"]
    for name, cmd in commands:
        out += [f"echo {MARK}{name}\\n", "python _cgu_t0 = _cgu_t.process_time()", cmd,
                f"python print('@@time {name} %.3f' % (_cgu_t.process_time() - _cgu_t0))"]
    out.append("echo @@alive\\n")
    return out


def gdb_sections(out: str) -> dict[str, str]:
    return G.split_sections(out, MARK, ("@@time", "@@alive"))


def gdb_stop(case: Case) -> list[str]:
    if case.binary == "hostile":
        return ["break hostile_bp", f"run {case.mode}"]
    return ["set environment HOSTILE_TRAP 1", f"run {case.mode}"]


GDB_COMMANDS = [("bt", "bt"), ("all", "thread apply all bt"), ("goroutines", "info goroutines"),
                ("g1", "goroutine 1 bt")]


class Cases:
    """The hostile cases, for each debugger's test class (which defines run_case)."""

    def run_case(self, key: str) -> None:
        raise NotImplementedError

    def test_normal(self) -> None:
        self.run_case("normal")

    def test_depth_slot_overwritten(self) -> None:
        self.run_case("depth")

    def test_g_zeroed(self) -> None:
        self.run_case("gzero")

    def test_g_scrambled(self) -> None:
        self.run_case("gscramble")

    def test_cyclic_frame_pointers(self) -> None:
        self.run_case("cycle")

    def test_10k_deep(self) -> None:
        self.run_case("deep")

    def test_fully_stripped(self) -> None:
        self.run_case("hostile-stripped")


class GdbHostile(Cases, unittest.TestCase):
    maxDiff = None

    def check(self, case: Case, out: str, where: str) -> None:
        parts = gdb_sections(out)
        self.assertNotRegex(out, r"Traceback|Python Exception|Error occurred in Python", out)
        self.assertIn("@@alive", out, f"{where}: the session did not go on\n{out}")
        self.assertEqual(slow_commands(out), [], f"{where}: slower than {TIME_LIMIT} s\n{out}")
        bts = G.parse_backtraces(parts.get("bt", ""))
        self.assertEqual(len(bts), 1, f"{where}: no backtrace\n{out}")
        self.assertEqual(stack_problems(case, bts[0].frames), [], f"{where}\n{parts['bt']}")
        ends = [ln for ln in parts["bt"].splitlines()
                if ln.startswith("Backtrace stopped") or ln.startswith("cgounwind:")]
        if case.reason is None:
            self.assertEqual(ends, [], f"{where}: unexpected line\n{parts['bt']}")
        else:
            self.assertEqual(len(ends), 1, f"{where}: expected one line saying why\n{parts['bt']}")
            self.assertRegex(ends[0], case.reason, where)
            self.assertFalse(parts["bt"].rstrip().splitlines()[-1].startswith("#"),
                             f"{where}: the reason must come where the backtrace ends")
        # Every thread's backtrace is printed (the broken one included).
        self.assertGreaterEqual(len(G.parse_thread_backtraces(parts["all"])), 2, parts["all"])
        if case.binary == "hostile":
            self.assertRegex(parts["goroutines"], r"(?m)^\* 1 +syscall +1 +yes ", out)
            self.assertTrue(G.parse_backtraces(parts["g1"]), f"{where}: goroutine 1 bt\n{out}")
        else:  # no symbol table: no runtime.allgs; one line says so
            self.assertRegex(parts["goroutines"], r"cgounwind: runtime\.allgs not found", out)

    def run_case(self, key: str) -> None:
        case = CASES[key]
        path = binary(case.binary)
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "hostile.core")
            live = G.run_gdb(path, gdb_stop(case) + gdb_timed(GDB_COMMANDS) + [f"gcore {core}"])
            self.check(case, live, f"{key} live")
            self.assertTrue(os.path.exists(core), live)
            dead = G.run_gdb(path, gdb_timed(GDB_COMMANDS), core=core)
            self.check(case, dead, f"{key} core")

    def test_not_go(self) -> None:
        """/bin/true: bt is GDB's own, the goroutine commands say in one line that this is not a
        Go program, live and on a core file."""
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "true.core")
            cmds = gdb_timed([("bt", "bt"), ("goroutines", "info goroutines")])
            live = G.run_gdb("/bin/true", ["starti"] + cmds + [f"gcore {core}"])
            plain = G.run_gdb("/bin/true", ["starti", "bt"], load_cgo=False)
            dead = G.run_gdb("/bin/true", cmds, core=core)
        for where, out in (("live", live), ("core", dead)):
            parts = gdb_sections(out)
            self.assertNotRegex(out, r"Traceback|Python Exception", out)
            self.assertIn("@@alive", out, out)
            self.assertEqual(slow_commands(out), [], out)
            self.assertEqual([ln for ln in out.splitlines() if "cgounwind:" in ln],
                             ["cgounwind: the current program is not a Go binary cgounwind can read"],
                             f"{where}\n{out}")
            self.assertTrue(G.parse_backtraces(parts["bt"]), out)
        self.assertEqual(G.parse_backtraces(gdb_sections(live)["bt"])[0].lines,
                         G.parse_backtraces(plain)[0].lines, "bt is not GDB's own")


# -------------------------------------------------------------------------------------------
# LLDB


def lldb_timed(commands: list[tuple[str, str]]) -> list[str]:
    out = ["script import time as _cgu_t"]
    for name, cmd in commands:
        out += [f"script print('{MARK}{name}'); _cgu_t0 = _cgu_t.process_time()", cmd,
                f"script print('@@time {name} %.3f' % (_cgu_t.process_time() - _cgu_t0))"]
    return out + ["script print('@@alive')"]


def lldb_sections(out: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK):].strip()
            parts[current] = ""
        elif line.startswith("@@") or line.startswith("(lldb) script"):
            current = None if line.startswith("@@") else current
        elif current is not None:
            parts[current] += line + "\n"
    return parts


def lldb_stop(case: Case) -> list[str]:
    args = f"-- {case.mode}"
    if case.binary == "hostile":
        return [P._LLDB_SIGNALS, "breakpoint set -n hostile_bp", f"process launch {args}"]
    return [P._LLDB_SIGNALS, f"process launch --environment HOSTILE_TRAP=1 {args}"]


# Commands that may fail (an error ends `lldb -b`) go last.
LLDB_COMMANDS = [("bt", "bt"), ("all", "thread backtrace all"), ("goroutines", "goroutine list"),
                 ("g1", "goroutine bt 1")]


class LldbHostile(Cases, unittest.TestCase):
    maxDiff = None

    def check(self, case: Case, out: str, where: str) -> None:
        parts = lldb_sections(out)
        self.assertNotRegex(out, r"Traceback|Python Exception", out)
        self.assertEqual(slow_commands(out), [], f"{where}: slower than {TIME_LIMIT} s\n{out}")
        bt = L.selected_bt(parts.get("bt", ""))
        threads = L.parse_threads(bt)
        self.assertEqual(len(threads), 1, f"{where}: no backtrace\n{out}")
        num, frames = next(iter(threads.items()))
        if case.binary == "hostile":
            self.assertEqual(stack_problems(case, frames), [], f"{where}\n{bt}")
        else:  # LLDB names the runtime's functions after one made-up symbol: not checked
            self.assertEqual(len(frames), len(TRUE_STACK), f"{where}\n{bt}")
            self.assertEqual(frames[5:9], TRUE_STACK[5:9], f"{where}\n{bt}")
            self.assertEqual(frames[-1], "runtime.goexit", f"{where}\n{bt}")
        # LLDB has no hook at the end of `bt`: the plugin says why when it walks the stack
        # (at the stop, or at the first bt), once for the stopped thread.
        ends = [ln for ln in out.splitlines()
                if ln.startswith("cgounwind:") and f"thread #{num}:" in ln]
        if case.reason is None:
            self.assertEqual(ends, [], f"{where}: unexpected line\n{out}")
        else:
            self.assertEqual(len(ends), 1, f"{where}: expected one line saying why\n{out}")
            self.assertRegex(ends[0], case.reason.replace("previous frame inner to this frame|",
                                                          ""), where)
        self.assertGreaterEqual(len(L.parse_threads(parts["all"])), 2, parts["all"])
        if case.binary == "hostile":
            self.assertIn("@@alive", out, f"{where}: the session did not go on\n{out}")
            self.assertRegex(parts["goroutines"], rf"(?m)^\* 1 +syscall +{num} +yes ", out)
            self.assertRegex(parts["g1"], r"(?m)^goroutine 1 \(syscall\):$", out)
        else:
            self.assertRegex(parts["goroutines"], r"cgounwind: runtime\.allgs not found", out)

    def run_case(self, key: str) -> None:
        case = CASES[key]
        path = binary(case.binary)
        commands = LLDB_COMMANDS if case.binary == "hostile" else LLDB_COMMANDS[:3]
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "hostile.core")
            after = [*lldb_timed(commands), *L.save_core(core)]
            if case.binary == "hostile":
                live = L.run_lldb([f"plugin load {L.PLUGIN}", *lldb_stop(case), *after], target=path)
            else:  # stopped by a signal (SIGTRAP): lldb -b runs the -k commands
                live = L.run_lldb([f"plugin load {L.PLUGIN}", *lldb_stop(case)], target=path,
                                  after_signal=after)
            self.check(case, live, f"{key} live")
            core = L.saved_core(core, live)
            dead = L.run_lldb([f"plugin load {L.PLUGIN}", f"target create {path} -c {core}",
                               *lldb_timed(commands)])
            self.check(case, dead, f"{key} core")

    def test_not_go(self) -> None:
        """/bin/true: LLDB's own bt, `goroutine list` says in one line it is not Go."""
        cmds = [("bt", "bt"), ("goroutines", "goroutine list")]
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "true.core")
            live = L.run_lldb([f"plugin load {L.PLUGIN}", "process launch --stop-at-entry",
                               f"process save-core --style modified-memory {core}",
                               *lldb_timed(cmds)], target="/bin/true")
            dead = L.run_lldb([f"plugin load {L.PLUGIN}", f"target create /bin/true -c {core}",
                               *lldb_timed(cmds)])
        for where, out in (("live", live), ("core", dead)):
            self.assertNotRegex(out, r"Traceback|Python Exception", out)
            self.assertEqual(slow_commands(out), [], out)
            self.assertTrue(L.parse_threads(lldb_sections(out)["bt"]), f"{where}\n{out}")
            self.assertRegex(lldb_sections(out).get("goroutines", ""), r"not a Go", f"{where}\n{out}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"hostile {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
