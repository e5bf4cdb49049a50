#!/usr/bin/env python3
"""GDB: `step`, `next` and `finish` across the cgo boundary land on the user's code (the cases
of stepping_cases.py), and `next` follows one goroutine across threads (test_goroutine_next).

Usage: test_stepping.py --toolchain go1.26 [unittest args]"""

from __future__ import annotations

import argparse
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import test_dap as D  # noqa: E402
import stepping_cases as S  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
_FRAME0 = re.compile(r"^#0\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+):(\d+)", re.M)
_LLDB_FRAME0 = re.compile(r"frame #0: 0x[0-9a-f]+ \S+?`([^\s(]+)(?:\(.*\))? at ([^\s:]+):(\d+)")
_LLDB_GESTURES = {"step": "thread step-in", "next": "thread step-over", "finish": "thread step-out"}


def binary(name: str) -> str:
    return G.testdata_binary(ARGS.toolchain, name)


def gdb_gesture(case: S.Case) -> list[str]:
    if not case.until_leaves:
        return [case.gesture]
    # Repeat until frame 0 is another function (at most 8 times), as a user pressing `next`.
    loop = ("start = gdb.selected_frame().name()\\nfor _ in range(8):\\n"
            f"    gdb.execute({case.gesture!r})\\n"
            "    if gdb.selected_frame().name() != start: break")
    return [f'python exec("{loop}")']


def gdb_where(case: S.Case) -> tuple[str, str, str, str]:
    """(function, file, line, whole output) after the case's gesture."""
    where = (f"{case.stop_file}:{S.stop_line(case)}" if case.stop_text else case.stop_function)
    cmds = [f"set environment {k} {v}" for k, v in S.STEP_ENV.items()]
    cmds += [f"break {where}", "run", "delete", *gdb_gesture(case),
             f"echo {G.MARK}where\\n", "frame"]
    out = G.run_gdb(binary(case.program), cmds)
    part = G.split_sections(out, G.MARK).get("where", "")
    m = _FRAME0.search(part)
    if not m:
        return "", "", "", out
    return m.group(1), os.path.basename(m.group(2)), m.group(3), out


def lldb_gesture(case: S.Case) -> list[str]:
    cmd = _LLDB_GESTURES[case.gesture]
    if not case.until_leaves:
        return [cmd]
    loop = ("t = lldb.process.GetSelectedThread()\\n"
            "start = t.GetFrameAtIndex(0).GetFunctionName()\\nfor _ in range(8):\\n"
            f"    lldb.debugger.HandleCommand({cmd!r})\\n"
            "    if lldb.process.GetSelectedThread().GetFrameAtIndex(0).GetFunctionName() != start:"
            " break")
    return [f'script exec("{loop}")']


def lldb_where(case: S.Case) -> tuple[str, str, str, str]:
    if case.stop_text:
        bp = f"breakpoint set -f {case.stop_file} -l {S.stop_line(case)}"
    else:
        bp = f"breakpoint set -n {case.stop_function}"
    env = " ".join(f"{k}={v}" for k, v in S.STEP_ENV.items())
    # Goroutines as threads of their own (`cgo threads running`): the step stays with the
    # goroutine when the runtime moves it to another OS thread during the call it steps over.
    cmds = [f"plugin load {L.PLUGIN}", "cgo threads running", f"settings set target.env-vars {env}", bp,
            "process launch", "breakpoint delete -f", *lldb_gesture(case),
            "script print('@@WHERE')", "frame info"]
    out = L.run_lldb(cmds, binary(case.program))
    part = out.split("@@WHERE")[-1] if "@@WHERE" in out else ""
    m = _LLDB_FRAME0.search(part)
    if not m:
        return "", "", "", out
    return m.group(1), os.path.basename(m.group(2)), m.group(3), out


def _check(test: unittest.TestCase, case: S.Case, where: tuple[str, str, str, str]) -> None:
    fn, file, line, out = where
    want = (case.expect_function, case.expect_file, str(S.expected_line(case)))
    ok = S.names_match(want[0], fn) and file == want[1] and line.isdigit() and \
        int(line) in S.expected_lines(case)
    test.assertTrue(ok, f"{case.name}: after `{case.gesture}` at {fn} {file}:{line}, "
                        f"want {want[0]} {want[1]}:{want[2]}\n{out}")
    test.assertNotIn("Traceback", out)
    # cgounwind's one-line messages (a plan that gave up, an error): none in these cases.
    # (lldb-dap's console also shows the plugin's "cgounwind: loaded/configured" lines.)
    said = re.findall(r"cgounwind: (?!loaded|configured|goroutines as threads|"
                      r"goroutine \d+ (?:went|came|'s))[^\n\"]*", out)
    test.assertEqual(said, [], out)


class LldbStepping(unittest.TestCase):
    maxDiff = None

    def check(self, case: S.Case) -> None:
        _check(self, case, lldb_where(case))


_DAP_GESTURES = {"step": "stepIn", "next": "next", "finish": "stepOut"}


def _dap_top(dap: "D.DapSession", tid: int) -> tuple[str, str, str]:
    frame = dap.stack_trace(tid, 0, 1)["stackFrames"][0]
    path = frame.get("source", {}).get("path", "") or frame.get("source", {}).get("name", "")
    return D.dap_frame_name(frame["name"]), os.path.basename(path), str(frame.get("line", ""))


def dap_where(case: S.Case) -> tuple[str, str, str, str]:
    """lldb-dap as VS Code drives it: launch (the documented configuration), stop, then the
    gesture's request (stepIn / next / stepOut) and the top of the next stackTrace."""
    dap = D.DapSession()
    try:
        args_env = dict(S.STEP_ENV)
        orig = D.launch_arguments

        def launch_with_env(program: str) -> dict:
            a = orig(program)
            a["env"] = args_env
            return a
        D.launch_arguments = launch_with_env
        try:
            first = case.stop_function or "main.main"
            stopped = dap.launch_to_breakpoint(binary(case.program), first)
        finally:
            D.launch_arguments = orig
        tid = stopped["body"]["threadId"]
        if case.stop_text:
            # A line breakpoint as the Debug Console sets one (LLDB's own command).
            line = S.stop_line(case)
            dap.request("evaluate", {"expression": f"`breakpoint set -f {case.stop_file} -l {line}",
                                     "context": "repl"})
            dap.request("continue", {"threadId": tid})
            tid = dap.wait_event("stopped")["body"]["threadId"]
        dap.request("evaluate", {"expression": "`breakpoint delete -f", "context": "repl"})
        start = _dap_top(dap, tid)[0]
        for _ in range(8 if case.until_leaves else 1):
            dap.request(_DAP_GESTURES[case.gesture], {"threadId": tid})
            try:
                tid = dap.wait_event("stopped", timeout=20)["body"].get("threadId", tid)
            except D.DapError:  # no stop: the step ran on to the program's end
                return "", "", "", dap.transcript()
            if _dap_top(dap, tid)[0] != start:
                break
        fn, file, line = _dap_top(dap, tid)
        # The launch configuration's name starts with "cgounwind: " too.
        return fn, file, line, dap.transcript().replace(D.example_configuration()["name"], "")
    finally:
        dap.close()


class DapStepping(unittest.TestCase):
    maxDiff = None

    def check(self, case: S.Case) -> None:
        _check(self, case, dap_where(case))


class GdbStepping(unittest.TestCase):
    maxDiff = None

    def check(self, case: S.Case) -> None:
        _check(self, case, gdb_where(case))


# -- `next` along one goroutine (testdata/stepgo) ---------------------------------------------
_NEXTS = 12
_CURRENT_THREAD = re.compile(r"^\[Current thread is (\d+) ", re.M)
_RUNNING = re.compile(r"^\*\s+(\d+)\s+running\s+(\d+)\s", re.M)  # * GOID running THREAD
_WENT_ON = re.compile(r"^\[cgounwind: goroutine (\d+) (?:went on on|came back to) thread (\d+)\]",
                      re.M)


def stepgo_loop() -> list[int]:
    """Lines of main.worker's loop in testdata/stepgo/main.go (`// loop: NAME`), in order."""
    with open(os.path.join(G.SRC, "testdata", "stepgo", "main.go")) as f:
        return [n for n, text in enumerate(f, 1)
                if "// loop: " in text and not text.lstrip().startswith("//")]


def gdb_goroutine_next(setup: tuple[str, ...] = ()) -> tuple[list[tuple[int, str, int]], str]:
    """Worker 3 of stepgo stopped before its loop, then `next` _NEXTS times: after each (and
    before the first) what the user sees: the goroutine on the current thread (`thread`, then
    `info goroutines`), frame 0's function and line. Returns those and the whole output."""
    cmds = [*setup, "break main.markerStart", "run", "delete", "finish"]
    for k in range(_NEXTS + 1):
        cmds += [f"echo {G.MARK}{k}\\n", *(["next"] if k else []),
                 f"echo {G.MARK}where{k}\\n", "frame", "thread", "info goroutines -with running"]
    cmds.append(f"echo {G.MARK}end\\n")
    out = G.run_gdb(binary("stepgo"), cmds, timeout=120)
    return where_after_nexts(out, _FRAME0, _CURRENT_THREAD), out


def where_after_nexts(out: str, frame_re: re.Pattern[str],
                      thread_re: re.Pattern[str]) -> list[tuple[int, str, int]]:
    """(goroutine on the current thread, function, line) from each `where{k}` section of a
    goroutine-next session (GDB's or LLDB's spelling), up to the first that lacks them."""
    parts = G.split_sections(out, G.MARK)
    seen: list[tuple[int, str, int]] = []
    for k in range(_NEXTS + 1):
        part = parts.get(f"where{k}", "")
        frame, thread = frame_re.search(part), thread_re.search(part)
        if not frame or not thread:
            break
        goids = [int(g) for g, t in _RUNNING.findall(part) if t == thread.group(1)]
        seen.append((goids[0] if len(goids) == 1 else -1, frame.group(1), int(frame.group(3))))
    return seen


class GdbGoroutineSteps(unittest.TestCase):
    maxDiff = None

    def test_goroutine_next(self) -> None:
        """stepgo: `next` × 12 in a loop whose goroutine blocks and changes threads between lines
        (async preemption on): the same goroutine, function and loop, line after line."""
        seen, out = gdb_goroutine_next()
        check_goroutine_next(self, seen, out)
        goid = seen[0][0]
        went_on = _WENT_ON.findall(out)
        self.assertTrue(all(int(g) == goid for g, _ in went_on), out)
        self.assertEqual([p for p in G.problems(out) if not _WENT_ON.match(p)], [], out)
        print(f"\n{ARGS.toolchain}: goroutine {goid} was caught by a net (went on on another "
              f"thread, or came back to GDB's) {len(went_on)} time(s) in {_NEXTS} nexts",
              flush=True)


    def test_next_over_stack_growth(self) -> None:
        """switches: `next` over `done <- grow(64)`, whose 64 KiB of frames outgrow the
        goroutine's stack: the runtime copies it, GDB's frame id (a stack address) no longer
        matches, and without the nets the step ran on to the program's end. With them it ends
        on the next line of the same function.

        main waits for the goroutine's next line (a second send): when it went on after the
        first, it could raise its SIGUSR1 or exit while the goroutine was still on its way (a
        loaded machine descheduled that thread, 1 run in 30), and GDB reported the signal or
        the exit, not the net's trap pending beside it. SIGUSR1 passes silently: without the
        nets the step runs to the program's end."""
        src = os.path.join(G.SRC, "testdata", "switches", "main.go")
        with open(src) as f:
            text = f.read().splitlines()
        call = next(n for n, t in enumerate(text, 1) if "done <- grow(64)" in t)
        after = next(n for n, t in enumerate(text, 1) if n > call and t.strip() == "done <- 0")
        cmds = [f"set environment {k} {v}" for k, v in S.STEP_ENV.items()]
        cmds += ["handle SIGUSR1 nostop noprint pass",
                 f"break main.go:{call}", "run", "delete", "next",
                 f"echo {G.MARK}where\\n", "frame"]
        out = G.run_gdb(binary("switches"), cmds, timeout=120)
        m = _FRAME0.search(G.split_sections(out, G.MARK).get("where", ""))
        self.assertTrue(m, out)
        self.assertEqual((m.group(1), int(m.group(3))), ("main.growInGoroutine", after), out)
        self.assertNotIn("exited", out)


_LLDB_THREAD = re.compile(r"^thread #(\d+):", re.M)
_LLDB_STRAY = re.compile(r"^  thread #\d+.*stop reason = signal", re.M)


def lldb_goroutine_next(setup: tuple[str, ...] = ()) -> tuple[list[tuple[int, str, int]], str]:
    """gdb_goroutine_next's session in LLDB (plain `next`): after each, frame 0, the selected
    thread and the goroutine `goroutine list` says runs on it. Returns those and the output; a
    run that LLDB ended early (another thread reported stopped by a signal ends `lldb -b`'s
    commands: LLDB's own SIGTRAP for a breakpoint it had just removed) is shorter."""
    cmds = [f"plugin load {L.PLUGIN}", *setup, "b main.markerStart", "run",
            "breakpoint delete -f", "finish"]
    for k in range(_NEXTS + 1):
        cmds += [*(["next"] if k else []), f"script print('{G.MARK}where{k}')", "thread info",
                 "goroutine list -with running", "frame info"]
    out = L.run_lldb(cmds, binary("stepgo"), timeout=180)
    return where_after_nexts(out, _LLDB_FRAME0, _LLDB_THREAD), out


def dap_goroutine_next() -> tuple[list[tuple[int, str, int]], str]:
    """The same in lldb-dap as VS Code drives it (Step Over): the thread id after each stop
    (a goroutine's own thread), frame 0's function and line."""
    dap = D.DapSession()
    try:
        stopped = dap.launch_to_breakpoint(binary("stepgo"), "main.markerStart")
        tid = stopped["body"]["threadId"]
        dap.request("evaluate", {"expression": "`breakpoint delete -f", "context": "repl"})
        seen: list[tuple[int, str, int]] = []
        for k in range(_NEXTS + 1):
            dap.request("stepOut" if k == 0 else "next", {"threadId": tid})
            try:
                # The step's own stop. LLDB's stray SIGTRAP on another thread (README, "Along
                # one goroutine") comes as a second `stopped` event, an exception whose focus
                # stays where it was (preserveFocusHint): VS Code keeps the step's thread.
                body = dap.wait_event("stopped", timeout=30)["body"]
                while body.get("reason") != "step":
                    body = dap.wait_event("stopped", timeout=30)["body"]
            except D.DapError:  # no stop: the step ran on to the program's end
                break
            fn, _, line = _dap_top(dap, body.get("threadId", tid))
            seen.append((body.get("threadId", tid), fn, int(line or 0)))
        return seen, dap.transcript()
    finally:
        dap.close()


def check_goroutine_next(test: unittest.TestCase, seen: list[tuple[int, str, int]],
                         out: str, complete: bool = True) -> None:
    """One goroutine (the same id after each `next`), main.worker's loop lines in order;
    `complete`: all _NEXTS of them."""
    loop = stepgo_loop()
    test.assertEqual(len(loop), 5, loop)  # header, send, receive, work, add
    if complete:
        test.assertEqual(len(seen), _NEXTS + 1, out)
    test.assertGreater(len(seen), 0, out)
    goid = seen[0][0]
    test.assertGreater(goid, 0, out)
    for k, (g, fn, line) in enumerate(seen):
        test.assertEqual((g, fn), (goid, "main.worker"), f"after next #{k}\n{out}")
    # Before the loop (at most `sum := 0` on the way), then its lines in order, wrapping
    # around at the header.
    lines = [line for _, _, line in seen[1:]]
    start = lines.index(loop[0]) if loop[0] in lines else len(lines)
    test.assertLessEqual(start, 1, f"{lines}\n{out}")
    test.assertTrue(all(loop[0] - 3 < line < loop[0] for line in lines[:start]), lines)
    want = [loop[(k - start) % len(loop)] for k in range(start, len(lines))]
    test.assertEqual(lines[start:], want, out)


class LldbGoroutineSteps(unittest.TestCase):
    maxDiff = None

    def test_goroutine_next(self) -> None:
        """stepgo in LLDB: `next` stays on one goroutine while it changes OS threads (`cgo
        threads running`: the goroutine is a thread of its own, and LLDB's thread plan follows
        it). LLDB's stray SIGTRAP on another thread (README, "Along one goroutine") ends `lldb
        -b`'s commands in about half the runs: every step of every run is checked, runs are
        repeated until 24 `next`s were (at most 8 runs)."""
        checked, runs, stray = 0, 0, 0
        while checked < 2 * _NEXTS and runs < 8:
            seen, out = lldb_goroutine_next(("cgo threads running",))
            runs += 1
            self.assertEqual([p for p in G.problems(out) if "cgounwind" in p
                              and "goroutines as threads" not in p], [], out)
            complete = len(seen) == _NEXTS + 1 or not _LLDB_STRAY.search(out)
            stray += not complete
            check_goroutine_next(self, seen, out, complete=complete)
            checked += len(seen) - 1
        self.assertGreaterEqual(checked, 2 * _NEXTS, f"{runs} runs")
        print(f"\n{ARGS.toolchain}: {checked} nexts checked in {runs} runs, {stray} ended early "
              "by LLDB's stray SIGTRAP on another thread", flush=True)

    def test_next_over_stack_growth(self) -> None:
        """switches in LLDB: `next` over `done <- grow(64)`, whose frames outgrow the goroutine's
        stack (the runtime copies it: frame addresses change), ends on the next line of the
        same function, with LLDB's own threads and with `cgo threads running`."""
        src = os.path.join(G.SRC, "testdata", "switches", "main.go")
        with open(src) as f:
            text = f.read().splitlines()
        call = next(n for n, t in enumerate(text, 1) if "done <- grow(64)" in t)
        after = next(n for n, t in enumerate(text, 1) if n > call and t.strip() == "done <- 0")
        env = " ".join(f"{k}={v}" for k, v in S.STEP_ENV.items())
        for mode in ("off", "running"):
            out = L.run_lldb([f"plugin load {L.PLUGIN}", f"cgo threads {mode}",
                              f"settings set target.env-vars {env}",
                              "process handle -p true -s false -n false SIGUSR1",
                              f"breakpoint set -f main.go -l {call}", "run",
                              "breakpoint delete -f", "next", "script print('@@WHERE')",
                              "frame info"], binary("switches"), timeout=120)
            m = _LLDB_FRAME0.search(out.split("@@WHERE")[-1])
            self.assertTrue(m, out)
            self.assertEqual((m.group(1), int(m.group(3))), ("main.growInGoroutine", after),
                             f"cgo threads {mode}\n{out}")

    def test_goroutine_next_fails_thread_bound(self) -> None:
        """The same with LLDB's own OS threads (the command line's default): the check must be
        able to fail. LLDB's step, bound to the OS thread, ends on another goroutine or runs away in
        most runs: at least one of three fails."""
        failures = 0
        for _ in range(3):
            seen, out = lldb_goroutine_next()
            try:
                check_goroutine_next(self, seen, out)
            except AssertionError:
                failures += 1
        self.assertGreater(failures, 0, "LLDB's thread-bound next passed 3 of 3 runs")


class DapGoroutineSteps(unittest.TestCase):
    maxDiff = None

    def test_goroutine_next(self) -> None:
        """stepgo in lldb-dap: Step Over × 12 stays on one goroutine (one thread id: lldb-dap
        lists goroutines as threads) and walks main.worker's loop."""
        seen, out = dap_goroutine_next()
        check_goroutine_next(self, seen, out)


def _make(case: S.Case):
    def test(self: unittest.TestCase) -> None:
        self.check(case)  # type: ignore[attr-defined]
    test.__doc__ = f"{case.program}: {case.gesture} → {case.expect_function}"
    return test


for _c in S.CASES:
    setattr(GdbStepping, f"test_{_c.name}", _make(_c))
    setattr(LldbStepping, f"test_{_c.name}", _make(_c))
    setattr(DapStepping, f"test_{_c.name}", _make(_c))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--toolchain", default="go1.26")
    args, rest = parser.parse_known_args()
    ARGS.toolchain = args.toolchain
    prog = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    r = prog.result
    print(f"{ARGS.toolchain}: {r.testsRun - len(r.failures) - len(r.errors)} passed, "
          f"{len(r.failures) + len(r.errors)} failed")
    return 0 if r.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
