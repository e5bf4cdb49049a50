#!/usr/bin/env python3
"""Crash stops (issue 15): testdata/crash dereferences NULL in C called from Go
(main.main → main.goCrash → C.c_mid → c_crash), with GOTRACEBACK=crash, in GDB (cgo.py) and
lldb-22 (the plugin), live and from a core file.

- At the SIGSEGV: the faulting thread's `bt` is exactly c_crash, c_mid, cgo's C prolog,
  runtime.asmcgocall, runtime.cgocall, main._Cfunc_c_mid, main.goCrash, main.main, runtime.main,
  runtime.goexit.
- At the runtime's re-raised SIGABRT (the SIGSEGV passed on): the faulting thread runs through
  the runtime's signal handler (runtime.sigtramp, sigtrampgo, sighandler, …), the signal frame
  (GDB `<signal handler called>`, LLDB `__restore_rt`), then the same ten frames; Go 1.19
  instead injects a call to runtime.sigpanic at the faulting pc (sigctxt.preparePanic), which
  throws: runtime.sigpanic directly above c_crash. The thread that raises SIGABRT starts at
  runtime.raise (Go 1.21 re-raises it on the last thread the SIGQUIT relay reached, later Go on
  the faulting thread). Threads the relay stopped inside the handler (Go >= 1.21; 1.19's throw
  sends no SIGQUIT) continue past their signal frames to their start. Every thread of
  `thread apply all bt` / `thread backtrace all` ends at a thread's start (runtime.goexit,
  clone3, or a g0 stack's runtime.mcall), no `??` or nameless frame, no line from cgounwind,
  no Python traceback.
- The same from core files: the one the kernel writes when the SIGABRT kills the process
  (RLIMIT_CORE raised in the child; this machine's core_pattern is a plain file name, `core`;
  skipped when core_pattern pipes to a program, `|…` as systemd-coredump or apport, or names
  another directory); else (and also with CGOUNWIND_CRASH_GCORE=1) one GDB writes with `gcore`
  at the SIGABRT stop, read by GDB and by LLDB. Not LLDB's own `process save-core`: at this
  stop, with the threads on the runtime's gsignal stacks inside the Go heap mapping, LLDB
  22.1's minidump lists the stopped thread twice (dropping another thread) and leaves out the
  part of that mapping below the stopped thread's SP, where the goroutines are (go1.26, 3 saves
  of 4: the faulting thread then ends at runtime.asmcgocall, "unreadable goroutine").

The same for `crash-O2` (C at -O2: c_crash frameless, faulting at its first instruction).

testdata/crash/rust (`crash-rust`): a Rust panic with `panic = "abort"` inside a cgo call
(main.goRust → C.rust_crash → rustlib::rust_fail → panic → libc abort): the first stop is libc's
SIGABRT (the faulting thread: libc's raise and abort, Rust's panic machinery, then rust_crash, cgo's
prolog … runtime.goexit), the second the runtime's re-raised one, as above with the signal frame
above libc's raise.

testdata/storm (16 threads crossing cgo nonstop) sent SIGABRT at storm_ready with
GOTRACEBACK=crash (`test_storm_abort`): the runtime's SIGQUIT relay interrupts every thread
wherever it is (in C, in asmcgocall, cgocallback, the scheduler, …); at each stop of the relay
and at the final one, every thread of every stop is whole (in GDB and LLDB).

A thread interrupted in the middle of a stack switch (`test_mid_switch`): testdata/crash stopped
at runtime.asmcgocall's first instruction after its switch to g0's stack (before its call: the
frame the CFI describes is not there), then sent SIGQUIT on that thread: at the next stop the
thread runs through the handler, the signal frame, asmcgocall (its pc exact, not a return
address) and its goroutine's frames to runtime.goexit.

Usage: test_crash.py --toolchain go1.26 [Class.test]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import re
import resource
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")



@dataclasses.dataclass(frozen=True)
class Case:
    program: str
    first_signal: str  # the first stop: the fault itself
    # The faulting thread from its innermost function of the program's own out (cgo's C prolog
    # `_cgo_<hash>_Cfunc_…`: any hash).
    stack: tuple[str, ...]
    # Parts of names that must be above stack[0], in this order, at the first stop (libc's
    # raise and abort, Rust's panic machinery); none: stack[0] is frame 0 there.
    first_above: tuple[str, ...] = ()


def has_in_order(parts: tuple[str, ...], frames: list[str]) -> bool:
    """Whether frames (innermost first) have names containing each of parts, in order."""
    i = 0
    for part in parts:
        while i < len(frames) and part not in frames[i]:
            i += 1
        if i == len(frames):
            return False
        i += 1
    return True


CRASH = Case("crash", "SIGSEGV",
             ("c_crash", "c_mid", "_cgo_0000_Cfunc_c_mid", "runtime.asmcgocall",
              "runtime.cgocall", "main._Cfunc_c_mid", "main.goCrash", "main.main",
              "runtime.main", "runtime.goexit"))
# C at -O2: c_crash is frameless and faults at its first instruction, so the interrupted frame's
# pc looked up as a return address (pc - 1) is in the function before it.
CRASH_O2 = dataclasses.replace(CRASH, program="crash-O2")
RUST = Case("crash-rust", "SIGABRT",
            ("rust_fail", "rust_crash", "_cgo_0000_Cfunc_rust_crash", "runtime.asmcgocall",
             "runtime.cgocall", "main._Cfunc_rust_crash", "main.goRust", "main.main",
             "runtime.main", "runtime.goexit"),
            first_above=("raise", "abort", "panic"))
# Where a whole thread's stack ends: a goroutine's start, a thread's start, a g0 stack whose
# goroutine the scheduler dropped (test_sweep.py's "whole").
BOTTOMS = {"runtime.goexit", "clone3", "clone", "runtime.mcall", "runtime.morestack"}
# The signal frame: GDB's name for it, and glibc's trampoline as LLDB names it.
SIGNAL_FRAMES = {"<signal handler called>", "__restore_rt"}
HANDLER = {"runtime.sigtramp", "runtime.sigtrampgo", "runtime.sighandler"}
GDB_SETUP = ["set environment GOTRACEBACK=crash", "unset environment RUST_BACKTRACE",
             "handle SIGQUIT nostop noprint pass"]
LLDB_SIGNALS = "process handle -p true -s false -n false SIGURG SIGPIPE SIGQUIT"
MARK = "@@crash "
# The programs' own output (the runtime's goroutine dumps) away from the debuggers': written
# while a debugger prints, it cuts the debugger's lines.
QUIET = "> /dev/null 2>&1"
LLDB_QUIET = "-o /dev/null -e /dev/null"


def binary(case: Case) -> str:
    return G.testdata_binary(ARGS.toolchain, case.program)


def norm(name: str) -> str:
    return re.sub(r"_cgo(exp)?_[0-9a-fA-F]{4,}_", r"_cgo\1_HASH_", P.normalize_name(name))


def same(expected: list[str], frames: list[str]) -> bool:
    return len(expected) == len(frames) and all(
        P.names_match(norm(e), norm(a)) for e, a in zip(expected, frames))


def sections(out: str) -> dict[str, str]:
    return G.split_sections(out, MARK)


def first_stop_problems(case: Case, frames: list[str]) -> list[str]:
    """The faulting thread at the first stop: case.first_above (in order) above case.stack,
    which ends the stack exactly."""
    names = [norm(n) for n in frames]
    starts = [i for i, n in enumerate(frames) if P.names_match(case.stack[0], n)]
    if not starts:
        return [f"no {case.stack[0]} in {' > '.join(frames)}"]
    i = starts[0]
    bad = []
    if not same(list(case.stack), frames[i:]):
        bad.append(f"from {case.stack[0]}: {' > '.join(frames[i:])}")
    if not has_in_order(case.first_above, names[:i]) or (not case.first_above and i != 0):
        bad.append(f"above {case.stack[0]}: {' > '.join(frames[:i])}")
    if "??" in frames:
        bad.append(f"nameless frame: {' > '.join(frames)}")
    return bad


def thread_problems(threads: dict[int, list[str]], where: str) -> list[str]:
    """Every thread: at least one frame, no nameless frame, ends at a thread's start."""
    bad = []
    if not threads:
        bad.append(f"{where}: no thread listed")
    for tid, frames in sorted(threads.items()):
        if not frames or "??" in frames or norm(frames[-1]) not in BOTTOMS:
            bad.append(f"{where}: thread {tid} not whole: {' > '.join(frames)}")
    return bad


def crash_problems(case: Case, threads: dict[int, list[str]], where: str) -> list[str]:
    """At the runtime's SIGABRT (live or core): the faulting thread, the raising thread, the
    threads stopped in the handler."""
    bad = thread_problems(threads, where)
    fault = case.stack[0]
    faulting = [f for f in threads.values() if any(P.names_match(fault, n) for n in f)]
    if len(faulting) != 1:
        return bad + [f"{where}: {len(faulting)} threads with {fault}"]
    f = faulting[0]
    i = next(j for j, n in enumerate(f) if P.names_match(fault, n))
    if not same(list(case.stack), f[i:]):
        bad.append(f"{where}: faulting thread from {fault}: {' > '.join(f[i:])}")
    above = [norm(n) for n in f[:i]]
    signal = [j for j, n in enumerate(f[:i]) if n in SIGNAL_FRAMES]
    if above[-1:] == ["runtime.sigpanic"]:  # Go 1.19: the injected call
        if ARGS.toolchain != "go1.19":
            bad.append(f"{where}: runtime.sigpanic above {fault} on {ARGS.toolchain}")
    elif (not signal or not HANDLER & set(above[:signal[-1]])
          or not has_in_order(case.first_above, above[signal[-1]:])
          or (not case.first_above and signal[-1] != i - 1)):
        bad.append(f"{where}: faulting thread above {fault}: {' > '.join(f[:i + 1])}")
    raising = [t for t in threads.values() if t and norm(t[0]) == "runtime.raise"]
    if len(raising) != 1:
        bad.append(f"{where}: {len(raising)} threads in runtime.raise")
    handled = [t for t in threads.values() if SIGNAL_FRAMES & set(t)]
    for t in handled:
        k = max(j for j, n in enumerate(t) if n in SIGNAL_FRAMES)
        if len(t) <= k + 1 or not HANDLER & {norm(n) for n in t[:k]}:
            bad.append(f"{where}: signal frame without handler or caller: {' > '.join(t)}")
    # Go >= 1.21 stops every other M inside the handler (the SIGQUIT relay of GOTRACEBACK=crash).
    if ARGS.toolchain != "go1.19" and len(handled) < 2:
        bad.append(f"{where}: {len(handled)} threads stopped in the signal handler, expected >= 2")
    return bad


# ---- the kernel's core file ----------------------------------------------------------------


def core_pattern() -> str:
    with open("/proc/sys/kernel/core_pattern") as f:
        return f.read().strip()


def kernel_core(case: Case, tmp: str) -> str | None:
    """Runs the program without a debugger in `tmp` with core dumps on; the core file the kernel
    wrote there, or None (core_pattern pipes to a program or names another directory)."""
    pattern = core_pattern()
    if pattern.startswith("|") or "/" in pattern:
        return None

    def allow_core() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    env = {**os.environ, "GOTRACEBACK": "crash"}
    for k in ("LD_PRELOAD", "RUST_BACKTRACE"):
        env.pop(k, None)
    p = subprocess.run([binary(case)], cwd=tmp, env=env, preexec_fn=allow_core, timeout=60,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != -6:
        raise AssertionError(f"{case.program} exited {p.returncode}, expected SIGABRT:\n"
                             f"{p.stdout[-2000:]!r}")
    cores = [c for c in glob.glob(os.path.join(tmp, "*")) if os.path.basename(c) != "out"]
    for c in cores:
        with open(c, "rb") as f:
            if f.read(4) == b"\x7fELF":
                return c
    return None


# ---- GDB ---------------------------------------------------------------------------------------

def gdb_live(case: Case, gcore: str | None = None) -> tuple[str, dict[str, str]]:
    cmds = [*GDB_SETUP, f"run {QUIET}", f"echo {MARK}first\\n", "bt", "continue",
            f"echo {MARK}abrt\\n", "thread apply all bt"]
    if gcore:
        cmds.append(f"gcore {gcore}")
    cmds.append(f"echo {MARK}end\\n")
    out = G.run_gdb(binary(case), cmds)
    return out, sections(out)


def cores(case: Case, tmp: str) -> list[tuple[str, str]]:
    """(source, path) of the core files of one crash: the kernel's when core_pattern lets it
    write one here, else (or also, with CGOUNWIND_CRASH_GCORE=1) GDB's `gcore` at the runtime's
    SIGABRT. (gcore writes the address space the runtimes reserve without access too: ~1.5 GB
    and ~10 s for this program, against the kernel's 75 MB.)"""
    out = []
    kernel_dir = os.path.join(tmp, "kernel")
    os.mkdir(kernel_dir)
    kernel = kernel_core(case, kernel_dir)
    if kernel is not None:
        out.append(("kernel", kernel))
        if not os.environ.get("CGOUNWIND_CRASH_GCORE"):
            return out
    else:
        print(f"note: no kernel core file (core_pattern {core_pattern()!r}): gcore instead")
    gcore = os.path.join(tmp, "crash.gcore")
    said, _ = gdb_live(case, gcore)
    if not os.path.exists(gcore):
        raise AssertionError(f"gcore wrote nothing:\n{said[-3000:]}")
    out.append(("gcore", gcore))
    return out


def gdb_threads(text: str) -> dict[int, list[str]]:
    return {t: bt.frames for t, bt in G.parse_thread_backtraces(text).items()}


STORM_STOPS = 80  # more than the relay makes (one stop per thread, ~25)

GDB_STORM = """
import gdb
gdb.execute("set environment GOTRACEBACK=crash")
gdb.execute("handle SIGQUIT stop print pass")
gdb.execute("handle SIGABRT stop print pass")
gdb.execute("break storm_ready")
gdb.execute("run 60000 %s")
gdb.execute("delete")
gdb.execute("signal SIGABRT")
for i in range(%d):
    if not gdb.selected_inferior().pid:
        break
    gdb.write("%sstop%%d\\n" %% i)
    gdb.execute("thread apply all bt")
    try:
        gdb.execute("continue")
    except gdb.error:
        break
gdb.write("%send\\n")
""" % (QUIET, STORM_STOPS, MARK, MARK)


def storm_problems(stops: dict[str, dict[int, list[str]]], where: str) -> list[str]:
    """Every thread inside a signal handler whole, no nameless frame anywhere. (The other
    threads are wherever the relay found them: the random interrupts of test_interrupts.py,
    whose one-line explanations, e.g. a g0 stack left by morestack's preemption, are theirs.)"""
    bad = []
    if len(stops) < 2:
        bad.append(f"{where}: {len(stops)} stops")
    badsignal = 0
    for name, threads in stops.items():
        handled = {t: f for t, f in threads.items() if SIGNAL_FRAMES & set(f)}
        # A signal on one of storm's C threads while cgo's extra M was still "in C"
        # (runtime.badsignal takes a second M for the thread): its interrupted frames are the
        # first M's (they ended at systemstack in LLDB, ~1 run in 10, before the core chose the
        # M whose g0 stack holds them).
        badsignal += sum("runtime.badsignal" in map(norm, f) for f in handled.values())
        bad += thread_problems(handled, f"{where} {name}") if handled else []
        bad += [f"{where} {name}: thread {t}: {' > '.join(f)}" for t, f in threads.items()
                if "??" in f]
    if not any(SIGNAL_FRAMES & set(f) for threads in stops.values() for f in threads.values()):
        bad.append(f"{where}: no thread stopped in a signal handler")
    if badsignal:
        print(f"{where}: {badsignal} thread stack(s) through runtime.badsignal")
    return bad


def failing_stops(parts: dict[str, str], bad: list[str]) -> str:
    """The output of the stops that `bad` names."""
    return "\n".join(v for k, v in parts.items() if any(f"storm {k}:" in b for b in bad))


def explained(lines: list[str]) -> None:
    for ln in sorted(set(lines)):
        print(f"note: {ln}")


def mid_switch_pc(path: str) -> int:
    """runtime.asmcgocall's instruction right after `MOVQ (g_sched+gobuf_sp)(SI), SP` (amd64:
    `mov 0x38(%rsi),%rsp`), by the ELF symbol of its ABI0 body."""
    syms = subprocess.run(["nm", path], stdout=subprocess.PIPE, text=True, check=True).stdout
    found = {f[2]: int(f[0], 16) for f in map(str.split, syms.splitlines()) if len(f) == 3}
    # The assembly body (`runtime.asmcgocall` is its ABIInternal wrapper where both exist).
    entry = found.get("runtime.asmcgocall.abi0", found.get("runtime.asmcgocall", 0))
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--start-address={entry:#x}",
                          f"--stop-address={entry + 0xa0:#x}", path],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()
    insns = [ln for ln in dis if re.match(r"^\s+[0-9a-f]+:", ln)]
    for i, ln in enumerate(insns[:-1]):
        if re.search(r"\bmov\s+0x38\(%rsi\),%rsp", ln):
            return int(insns[i + 1].split(":")[0], 16)
    raise AssertionError(f"no switch to g0 in asmcgocall at {entry:#x}:\n" + "\n".join(insns))


def mid_switch_problems(threads: dict[int, list[str]], where: str) -> list[str]:
    """The thread interrupted in asmcgocall: handler, signal frame, asmcgocall, … goexit."""
    hit = [f for f in threads.values()
           if any(n in SIGNAL_FRAMES and j + 1 < len(f) and norm(f[j + 1]) == "runtime.asmcgocall"
                  for j, n in enumerate(f))]
    if len(hit) != 1:
        return [f"{where}: {len(hit)} threads interrupted in asmcgocall"]
    f = hit[0]
    if norm(f[-1]) != "runtime.goexit" or "??" in f or not HANDLER & {norm(n) for n in f}:
        return [f"{where}: {' > '.join(f)}"]
    return []


class _CrashStops:
    """The live and core stops of each crash program, for a debugger's `live` and `core`."""

    def live(self, case: Case) -> None:
        raise NotImplementedError

    def core(self, case: Case) -> None:
        raise NotImplementedError

    def test_live(self) -> None:
        self.live(CRASH)

    def test_core(self) -> None:
        self.core(CRASH)

    def test_rust_live(self) -> None:
        self.live(RUST)

    def test_rust_core(self) -> None:
        self.core(RUST)

    def test_O2_live(self) -> None:
        self.live(CRASH_O2)

    def test_O2_core(self) -> None:
        self.core(CRASH_O2)


class GdbCrash(_CrashStops, unittest.TestCase):
    maxDiff = None

    def live(self, case: Case) -> None:
        out, s = gdb_live(case)
        self.assertEqual(G.problems(out), [], out[-6000:])
        self.assertIn(f"received signal {case.first_signal}", out)
        self.assertEqual(out.count("received signal SIGABRT"),
                         1 + (case.first_signal == "SIGABRT"), out[-6000:])
        bts = G.parse_backtraces(s.get("first", ""))
        self.assertEqual(len(bts), 1, out[-6000:])
        self.assertEqual(first_stop_problems(case, bts[0].frames), [], "\n".join(bts[0].lines))
        abrt = gdb_threads(s.get("abrt", ""))
        self.assertEqual(crash_problems(case, abrt, "gdb live SIGABRT"), [], s.get("abrt", ""))

    def core(self, case: Case) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for source, core in cores(case, tmp):
                with self.subTest(core=source):
                    out = G.run_gdb(binary(case), [f"echo {MARK}all\\n", "thread apply all bt",
                                                   f"echo {MARK}end\\n"], core=core)
                    self.assertEqual(G.problems(out), [], out[-6000:])
                    threads = gdb_threads(sections(out).get("all", ""))
                    self.assertEqual(crash_problems(case, threads, f"gdb, {source} core"), [],
                                     out[-8000:])

    def test_mid_switch(self) -> None:
        path = binary(CRASH)
        out = G.run_gdb(path, [
            "set environment GOTRACEBACK=crash", "handle SIGQUIT stop print pass",
            "handle SIGSEGV nostop noprint pass", f"break *{mid_switch_pc(path):#x}",
            f"run {QUIET}", "delete", "signal SIGQUIT", f"echo {MARK}all\\n",
            "thread apply all bt", f"echo {MARK}end\\n"])
        self.assertEqual(G.problems(out), [], out[-6000:])
        text = sections(out).get("all", "")
        self.assertEqual(mid_switch_problems(gdb_threads(text), "gdb"), [], text or out[-6000:])

    def test_storm_abort(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "storm.py")
            with open(script, "w") as f:
                f.write(GDB_STORM)
            out = G.run_gdb(G.testdata_binary(ARGS.toolchain, "storm"), [f"source {script}"],
                            timeout=300)
        self.assertNotIn("Traceback", out)
        self.assertNotIn("Python Exception", out)
        explained(G.problems(out))
        parts = sections(out)
        stops = {k: gdb_threads(v) for k, v in parts.items() if k.startswith("stop")}
        print(f"\ngdb storm: {len(stops)} stops, {sum(map(len, stops.values()))} threads")
        bad = storm_problems(stops, "gdb storm")
        self.assertEqual(bad, [], failing_stops(parts, bad) or out[-6000:])


# ---- LLDB --------------------------------------------------------------------------------------

def lldb_print(name: str) -> str:
    """A section mark in LLDB's own output stream (a `script print` can come out of order with
    the output of commands run by SBDebugger.HandleCommand)."""
    return f"platform shell echo '{MARK}{name}'"


def lldb_live(case: Case) -> tuple[str, dict[str, str]]:
    """Launches to the first stop (a signal ends lldb -b's -o commands), then runs the rest from
    one `script` command: lldb -b stops reading -k commands at the next stop too."""
    after = ["continue", lldb_print("abrt"), "thread backtrace all", lldb_print("end")]
    out = L.run_lldb(
        [f"plugin load {L.PLUGIN}", LLDB_SIGNALS,
         f"process launch {LLDB_QUIET} -E GOTRACEBACK=crash -E RUST_BACKTRACE=0"],
        target=binary(case),
        after_signal=[lldb_print("first"), "bt", lldb_print("firstend"),
                      "script [lldb.debugger.HandleCommand(c) for c in " + repr(after) + "]"])
    return out, sections(out)


def lldb_core_threads(text: str) -> dict[int, list[str]]:
    """`thread backtrace all` on a core just loaded: LLDB's event thread prints each thread's stop
    (`  thread #N` and its frame #0) anywhere in the output, also between the listing's threads
    (seen: go1.21). Each thread's longest stack is its listing's."""
    out: dict[int, list[str]] = {}
    for block in re.split(r"(?m)^(?=[* ] thread #)", text):
        for tid, frames in L.parse_threads(block).items():
            if len(frames) > len(out.get(tid, [])):
                out[tid] = frames
    return out


def cgounwind_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("cgounwind:")]


LLDB_STORM = """
import lldb
dbg = lldb.debugger
dbg.SetAsync(False)
ci = dbg.GetCommandInterpreter()
def run(cmd):
    r = lldb.SBCommandReturnObject()
    ci.HandleCommand(cmd, r)
    return r.GetOutput() + r.GetError()
for c in ("target create " + STORM, "settings set target.env-vars GOTRACEBACK=crash",
          "process handle -p true -s false -n false SIGURG SIGPIPE",
          "process handle -p true -s true -n true SIGQUIT SIGABRT",
          "breakpoint set -n storm_ready", "process launch %s -- 60000", "breakpoint delete -f"):
    print(c, "->", run(c))
# LLDB's `process signal` cannot send a signal to a stopped process ("failed to send signal 6"):
# the signal comes from outside while it runs.
import subprocess
pid = dbg.GetSelectedTarget().GetProcess().GetProcessID()
subprocess.Popen(["/bin/sh", "-c", "sleep 0.3; kill -ABRT %%d" %% pid])
run("continue")
for i in range(%d):
    p = dbg.GetSelectedTarget().GetProcess()
    if not p.IsValid() or p.GetState() != lldb.eStateStopped:
        break
    print("%sstop%%d" %% i)
    print(run("thread backtrace all"))
    run("continue")
print("%send")
""" % (LLDB_QUIET, STORM_STOPS, MARK, MARK)


class LldbCrash(_CrashStops, unittest.TestCase):
    maxDiff = None

    def live(self, case: Case) -> None:
        out, s = lldb_live(case)
        self.assertNotIn("Traceback", out)
        self.assertEqual(cgounwind_lines(out), [], out[-6000:])
        self.assertIn(f"stop reason = signal {case.first_signal}", s.get("first", ""), out[-6000:])
        first = L.parse_threads(s.get("first", ""))
        self.assertEqual(len(first), 1, out[-6000:])
        frames = list(first.values())[0]
        self.assertEqual(first_stop_problems(case, frames), [], s.get("first", ""))
        abrt_text = s.get("abrt", "")
        self.assertIn("stop reason = signal SIGABRT", abrt_text, out[-6000:])
        abrt = L.parse_threads(abrt_text)
        self.assertEqual(crash_problems(case, abrt, "lldb live SIGABRT"), [], abrt_text)

    def core(self, case: Case) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for source, core in cores(case, tmp):
                with self.subTest(core=source):
                    # Loading a core makes LLDB's event thread print each thread's frame #0
                    # anywhere in the output: the second listing is the one read.
                    out = L.run_lldb([f"plugin load {L.PLUGIN}",
                                      f"target create {binary(case)} -c {core}",
                                      "script import time; time.sleep(1)",
                                      "thread backtrace all", lldb_print("all"),
                                      "thread backtrace all", lldb_print("end")])
                    self.assertNotIn("Traceback", out)
                    self.assertEqual(cgounwind_lines(out), [], out[-6000:])
                    text = sections(out).get("all", "")
                    self.assertEqual(crash_problems(case, lldb_core_threads(text),
                                                    f"lldb, {source} core"), [], text)

    def test_mid_switch(self) -> None:
        path = binary(CRASH)
        # SIGQUIT for the stopped thread itself (tgkill; LLDB's `process signal` cannot signal
        # a stopped process), delivered at the next resume.
        tgkill = ("script import ctypes; p = lldb.debugger.GetSelectedTarget().GetProcess(); "
                  "ctypes.CDLL(None).syscall(234, p.GetProcessID(), "
                  "p.GetSelectedThread().GetThreadID(), 3)")
        after = ["continue", lldb_print("all"), "thread backtrace all", lldb_print("end")]
        out = L.run_lldb(
            [f"plugin load {L.PLUGIN}", f"target create {path}",
             "process handle -p true -s false -n false SIGURG SIGPIPE SIGSEGV",
             "process handle -p true -s true -n true SIGQUIT",
             f"process launch -s {LLDB_QUIET} -E GOTRACEBACK=crash",
             f"breakpoint set -a {mid_switch_pc(path):#x}", "continue", "breakpoint delete -f",
             tgkill, "continue"],
            after_signal=["script [lldb.debugger.HandleCommand(c) for c in " + repr(after) + "]"])
        self.assertNotIn("Traceback", out)
        self.assertEqual(cgounwind_lines(out), [], out[-6000:])
        text = sections(out).get("all", "")
        self.assertEqual(mid_switch_problems(lldb_core_threads(text), "lldb"), [],
                         text or out[-6000:])

    def test_storm_abort(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "storm.py")
            with open(script, "w") as f:
                # The target is made inside the script: commands that the script runs take the
                # `script` command's own context (a target given before has no process there).
                f.write(f"STORM = {G.testdata_binary(ARGS.toolchain, 'storm')!r}\n" + LLDB_STORM)
            out = L.run_lldb([f"plugin load {L.PLUGIN}", f"script exec(open({script!r}).read())"],
                             timeout=300)
        self.assertNotIn("Traceback", out)
        explained(cgounwind_lines(out))
        parts = sections(out)
        stops = {k: lldb_core_threads(v) for k, v in parts.items() if k.startswith("stop")}
        print(f"\nlldb storm: {len(stops)} stops, {sum(map(len, stops.values()))} threads")
        bad = storm_problems(stops, "lldb storm")
        self.assertEqual(bad, [], failing_stops(parts, bad) or out[-6000:])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"crash {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
