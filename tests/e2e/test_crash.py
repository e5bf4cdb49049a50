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
- The same from a core file: the one the kernel writes when the SIGABRT kills the process
  (RLIMIT_CORE raised in the child; this machine's core_pattern is a plain file name, `core`).
  When core_pattern pipes to a program (`|…`, e.g. systemd-coredump or apport) or no core
  appears, the debuggers write it at the SIGABRT stop instead: GDB `gcore`, LLDB
  `process save-core`.

Usage: test_crash.py --toolchain go1.26 [Class.test]
"""

from __future__ import annotations

import argparse
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

# The faulting thread from c_crash out (cgo's C prolog `_cgo_<hash>_Cfunc_c_mid`: any hash).
CRASH_STACK = ["c_crash", "c_mid", "_cgo_0000_Cfunc_c_mid", "runtime.asmcgocall",
               "runtime.cgocall", "main._Cfunc_c_mid", "main.goCrash", "main.main",
               "runtime.main", "runtime.goexit"]
# Where a whole thread's stack ends: a goroutine's start, a thread's start, a g0 stack whose
# goroutine the scheduler dropped (test_sweep.py's "whole").
BOTTOMS = {"runtime.goexit", "clone3", "clone", "runtime.mcall", "runtime.morestack"}
# The signal frame: GDB's name for it, and glibc's trampoline as LLDB names it.
SIGNAL_FRAMES = {"<signal handler called>", "__restore_rt"}
HANDLER = {"runtime.sigtramp", "runtime.sigtrampgo", "runtime.sighandler"}
GDB_SETUP = ["set environment GOTRACEBACK=crash", "handle SIGQUIT nostop noprint pass"]
LLDB_SIGNALS = "process handle -p true -s false -n false SIGURG SIGPIPE SIGQUIT"
MARK = "@@crash "


def binary() -> str:
    return G.testdata_binary(ARGS.toolchain, "crash")


def norm(name: str) -> str:
    return re.sub(r"_cgo(exp)?_[0-9a-fA-F]{4,}_", r"_cgo\1_HASH_", P.normalize_name(name))


def same(expected: list[str], frames: list[str]) -> bool:
    return len(expected) == len(frames) and all(
        P.names_match(norm(e), norm(a)) for e, a in zip(expected, frames))


def sections(out: str) -> dict[str, str]:
    return G.split_sections(out, MARK)


def thread_problems(threads: dict[int, list[str]], where: str) -> list[str]:
    """Every thread: at least one frame, no nameless frame, ends at a thread's start."""
    bad = []
    if not threads:
        bad.append(f"{where}: no thread listed")
    for tid, frames in sorted(threads.items()):
        if not frames or "??" in frames or norm(frames[-1]) not in BOTTOMS:
            bad.append(f"{where}: thread {tid} not whole: {' > '.join(frames)}")
    return bad


def crash_problems(threads: dict[int, list[str]], where: str) -> list[str]:
    """At the SIGABRT (live or core): the faulting thread, the raising thread, the threads
    stopped in the handler."""
    bad = thread_problems(threads, where)
    faulting = [f for f in threads.values() if any(norm(n) == "c_crash" for n in f)]
    if len(faulting) != 1:
        return bad + [f"{where}: {len(faulting)} threads with c_crash"]
    f = faulting[0]
    i = [norm(n) for n in f].index("c_crash")
    if not same(CRASH_STACK, f[i:]):
        bad.append(f"{where}: faulting thread from c_crash: {' > '.join(f[i:])}")
    above = [norm(n) for n in f[:i]]
    if above[-1:] == ["runtime.sigpanic"]:  # Go 1.19: the injected call
        if ARGS.toolchain != "go1.19":
            bad.append(f"{where}: runtime.sigpanic above c_crash on {ARGS.toolchain}")
    elif not above or f[i - 1] not in SIGNAL_FRAMES or not HANDLER & set(above):
        bad.append(f"{where}: faulting thread above c_crash: {' > '.join(f[:i + 1])}")
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


def kernel_core(tmp: str) -> str | None:
    """Runs the program without a debugger in `tmp` with core dumps on; the core file the kernel
    wrote there, or None (core_pattern pipes to a program or names another directory)."""
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|") or "/" in pattern:
        return None

    def allow_core() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    env = {**os.environ, "GOTRACEBACK": "crash"}
    env.pop("LD_PRELOAD", None)
    p = subprocess.run([binary()], cwd=tmp, env=env, preexec_fn=allow_core, timeout=60,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != -6:
        raise AssertionError(f"crash exited {p.returncode}, expected SIGABRT:\n{p.stdout[-2000:]!r}")
    cores = [c for c in glob.glob(os.path.join(tmp, "*")) if os.path.basename(c) != "out"]
    for c in cores:
        with open(c, "rb") as f:
            if f.read(4) == b"\x7fELF":
                return c
    return None


# ---- GDB ---------------------------------------------------------------------------------------

def gdb_live(gcore: str | None = None) -> tuple[str, dict[str, str]]:
    cmds = [*GDB_SETUP, "run", f"echo {MARK}segv\\n", "bt", "continue", f"echo {MARK}abrt\\n",
            "thread apply all bt"]
    if gcore:
        cmds.append(f"gcore {gcore}")
    cmds.append(f"echo {MARK}end\\n")
    out = G.run_gdb(binary(), cmds)
    return out, sections(out)


def gdb_threads(text: str) -> dict[int, list[str]]:
    return {t: bt.frames for t, bt in G.parse_thread_backtraces(text).items()}


class GdbCrash(unittest.TestCase):
    maxDiff = None

    def test_live(self) -> None:
        out, s = gdb_live()
        self.assertEqual(G.problems(out), [], out[-6000:])
        self.assertIn("received signal SIGSEGV", out)
        self.assertIn("received signal SIGABRT", out)
        bts = G.parse_backtraces(s.get("segv", ""))
        self.assertEqual(len(bts), 1, out[-6000:])
        self.assertTrue(same(CRASH_STACK, bts[0].frames), "\n".join(bts[0].lines))
        abrt = gdb_threads(s.get("abrt", ""))
        self.assertEqual(crash_problems(abrt, "gdb live SIGABRT"), [], s.get("abrt", ""))

    def test_core(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            core = kernel_core(tmp)
            if core is None:  # core_pattern pipes elsewhere: GDB writes it at the SIGABRT stop
                core = os.path.join(tmp, "crash.gcore")
                gdb_live(core)
                self.assertTrue(os.path.exists(core), "gcore wrote nothing")
            out = G.run_gdb(binary(), [f"echo {MARK}all\\n", "thread apply all bt",
                                       f"echo {MARK}end\\n"], core=core)
        self.assertEqual(G.problems(out), [], out[-6000:])
        threads = gdb_threads(sections(out).get("all", ""))
        self.assertEqual(crash_problems(threads, "gdb core"), [], out[-8000:])


# ---- LLDB --------------------------------------------------------------------------------------

def lldb_print(name: str) -> str:
    """A section mark in LLDB's own output stream (a `script print` can come out of order with
    the output of commands run by SBDebugger.HandleCommand)."""
    return f"platform shell echo '{MARK}{name}'"


def lldb_live(save_core: str | None = None) -> tuple[str, dict[str, str]]:
    """Launches to the SIGSEGV (which ends lldb -b's -o commands), then runs the rest from one
    `script` command: lldb -b stops reading -k commands at the next stop too."""
    after = ["continue", lldb_print("abrt"), "thread backtrace all", lldb_print("end")]
    if save_core:
        after += L.save_core(save_core)
    out = L.run_lldb(
        [f"plugin load {L.PLUGIN}", LLDB_SIGNALS, "process launch -E GOTRACEBACK=crash"],
        target=binary(),
        after_signal=[lldb_print("segv"), "bt", lldb_print("segvend"),
                      "script [lldb.debugger.HandleCommand(c) for c in " + repr(after) + "]"])
    return out, sections(out)


def lldb_stopped_thread(text: str) -> int | None:
    m = re.search(r"^\* thread #(\d+)", text, re.M)
    return int(m.group(1)) if m else None


class LldbCrash(unittest.TestCase):
    maxDiff = None

    def test_live(self) -> None:
        out, s = lldb_live()
        self.assertNotIn("Traceback", out)
        self.assertEqual([ln for ln in out.splitlines() if ln.startswith("cgounwind:")], [], out[-6000:])
        self.assertIn("stop reason = signal SIGSEGV", out)
        segv = L.parse_threads(s.get("segv", ""))
        self.assertEqual(len(segv), 1, out[-6000:])
        frames = list(segv.values())[0]
        self.assertTrue(same(CRASH_STACK, frames), s.get("segv", ""))
        abrt_text = s.get("abrt", "")
        self.assertIn("stop reason = signal SIGABRT", abrt_text, out[-6000:])
        abrt = L.parse_threads(abrt_text)
        self.assertEqual(crash_problems(abrt, "lldb live SIGABRT"), [], abrt_text)

    def test_core(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            core = kernel_core(tmp)
            if core is None:  # core_pattern pipes elsewhere: LLDB writes it at the SIGABRT stop
                core = os.path.join(tmp, "crash.core")
                out, _ = lldb_live(core)
                core = L.saved_core(core, out)
            # Loading a core makes LLDB's event thread print each thread's frame #0 anywhere in
            # the output: the second listing is the one read.
            out = L.run_lldb([f"plugin load {L.PLUGIN}", f"target create {binary()} -c {core}",
                              "thread backtrace all", lldb_print("all"), "thread backtrace all",
                              lldb_print("end")])
        self.assertNotIn("Traceback", out)
        self.assertEqual([ln for ln in out.splitlines() if ln.startswith("cgounwind:")], [], out[-6000:])
        text = sections(out).get("all", "")
        self.assertEqual(crash_problems(L.parse_threads(text), "lldb core"), [], text)


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
