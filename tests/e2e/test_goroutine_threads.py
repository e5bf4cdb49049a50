#!/usr/bin/env python3
"""End-to-end: goroutines as threads in lldb-22 and lldb-dap-22 (the plugin's OS plugin).

testdata/parked: 2,000 goroutines parked in main.park (each with its own `id` and `name`),
main stopped in C (c_stop) three times. Asserts what a user sees:

  * the command line after `cgo threads on` (lldb-dap lists them without it), `thread list`:
    LLDB's own threads unchanged (the stopped one with its spliced C + Go stack),
    plus one thread per goroutine that is on no OS thread, named as Delve names them
    (`[Go 42] main.park (chan receive)`), at most 1,024 by default, ids unique;
  * `thread select` + `bt` on a goroutine thread: its whole Go stack down to runtime.goexit;
    `frame variable`, `v NAME`, `p NAME` in its main.park frame show that goroutine's values;
  * `cgo threads max 5`: five at the next stop, plus the goroutine the user looked at;
    `cgo threads off`: none;
  * a core file written by LLDB: the same threads and stacks;
  * lldb-dap: `threads` lists them (10,000 goroutines: answered within a second at the default
    cap), `stackTrace` / `scopes` / `variables` / `evaluate` (hover) on a parked goroutine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402  (paths and the build tree)
import lldb_common as L  # noqa: E402
from lldb_common import PLUGIN, run_lldb  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
GOROUTINE_NAME = re.compile(r"^\[Go (\d+)\] (\S+) \((.+)\)$")
GOROUTINE_TID_BASE = 1 << 40
# The Go frames of a parked worker, innermost first (Go >= 1.22 adds a main.main.gowrap1 frame
# between main.park and runtime.goexit).
PARKED_FRAMES = ["runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.park"]
PARK_LINE = 22  # `got := <-ch` in testdata/parked/main.go


def binary() -> str:
    return G.testdata_binary(ARGS.toolchain, "parked")


# Thread facts as JSON from LLDB's SB API (what `thread list` shows, in a parseable form).
# Written to a file: LLDB's event thread may print a core's threads in the middle of a line.
THREADS_FILE = os.path.join(tempfile.mkdtemp(prefix="gthreads-"), "threads.jsonl")
THREADS_JSON = (f"script import json; open({THREADS_FILE!r}, 'a').write(json.dumps(["
                "(t.GetThreadID(), t.GetIndexID(), t.GetName() or '') for t in lldb.process]) "
                "+ '\\n')")


def threads_of(out: str) -> list[list[list]]:
    """The listings THREADS_JSON wrote since the last call (`out` is unused: see THREADS_FILE)."""
    if not os.path.exists(THREADS_FILE):
        return []
    with open(THREADS_FILE) as f:
        listings = [json.loads(ln) for ln in f if ln.strip()]
    os.unlink(THREADS_FILE)
    return listings


def same_list(test: unittest.TestCase, got: list, want: list) -> None:
    """assertEqual for long lists (unittest's difflib takes minutes on a thousand lines)."""
    if got != want:
        diff = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        test.fail(f"{len(got)} vs {len(want)} items; first difference at {diff}: "
                  f"{got[diff:diff + 3]} vs {want[diff:diff + 3]}")


def goroutine_threads(threads: list) -> list:
    return [t for t in threads if t[0] >= GOROUTINE_TID_BASE]


def is_parked(name: str) -> bool:
    """A parked goroutine's thread names why it waits ("[Go 7] main.park (chan receive)"); one
    on an OS thread, backed by it, names the function it started in ("[Go 1] runtime.main")."""
    return name.endswith(")")


# Selects the 20th goroutine thread parked in main.park (as `thread select N` would).
SELECT_PARKED = ("script t = [t for t in lldb.process if t.GetThreadID() >= 1 << 40 and "
                 "' main.park ' in (t.GetName() or '')][19]; lldb.process.SetSelectedThread(t); "
                 "print('@@SELECTED', t.GetIndexID())")


class LldbGoroutineThreads(unittest.TestCase):
    maxDiff = 4000  # lists of a thousand threads: difflib on them takes minutes

    def check_listing(self, out: str, threads: list, cap: int) -> None:
        every = goroutine_threads(threads)
        ours = [t for t in every if is_parked(t[2])]
        self.assertEqual(len(ours), cap, out[-3000:])
        self.assertEqual(len({t[0] for t in threads}), len(threads), "duplicate thread ids")
        for tid, _, name in ours:
            m = GOROUTINE_NAME.match(name)
            self.assertIsNotNone(m, name)
            self.assertEqual(tid - GOROUTINE_TID_BASE, int(m.group(1)), name)
        parked = [t for t in ours if " main.park " in t[2]]
        self.assertGreater(len(parked), cap // 2, ours[:20])
        self.assertTrue(all(t[2].endswith("(chan receive)") for t in parked), parked[:5])
        # main (goroutine 1) is inside C on its OS thread: a thread of its own backed by that OS
        # thread (the one stopped at c_stop), not a parked goroutine's thread; the other OS
        # threads (sysmon, idle Ms) stay LLDB's own.
        self.assertNotIn(1, [int(GOROUTINE_NAME.match(t[2]).group(1)) for t in ours])
        running = [t for t in every if not is_parked(t[2])]
        self.assertEqual([t[0] - GOROUTINE_TID_BASE for t in running], [1], running)
        self.assertRegex(out, r"(?m)^\* thread #\d+, name = '\[Go 1\] runtime\.main', stop reason = "
                         r"breakpoint")
        self.assertGreaterEqual(len(threads) - len(every), 2, threads)

    def check_parked_stack(self, out: str) -> None:
        threads = L.parse_threads(out)
        self.assertTrue(threads, out)
        frames = list(threads.values())[-1]
        self.assertEqual([L.frame_name(f) for f in frames[:4]], PARKED_FRAMES, out)
        self.assertEqual(frames[-1].replace(".abi0", ""), "runtime.goexit", out)

    def check_parked_values(self, out: str, c_view: bool = True) -> None:
        # Live: LLDB's own frame (the module's C view gives LLDB the Go variables) or a
        # provider's frame (the recognizer's values, typed alike). A core file gets no C view: the
        # recognizer's values (`frame variable`, `go print`), strings typed by the core's C
        # mirror; by name LLDB finds them only in the provider's frames there.
        string = r"string" if c_view else r"(?:struct )?\$string"
        listed = re.search(rf"\(long\) id = (\d+)\s*\n.*\({string}\) name = \"worker-(\d+)\"", out,
                           re.S)
        self.assertIsNotNone(listed, out)
        self.assertEqual(listed.group(1), listed.group(2), out)
        worker = listed.group(1)
        if not c_view:
            self.assertRegex(out, rf"\(lldb\) go print name\n\({string}\) name = \"worker-{worker}\"")
            self.assertRegex(out, rf"\(lldb\) go print id\n\(long\) id = {worker}\n")
            return
        self.assertRegex(out, rf"\(lldb\) p name\n\({string}\) \"worker-{worker}\"")
        self.assertRegex(out, rf"\(lldb\) p id\n\(long\) {worker}\n")
        self.assertRegex(out, rf"\(lldb\) v name\n\({string}\) name = \"worker-{worker}\"")

    def test_live_listing_stack_values_cap_and_switch(self) -> None:
        # One session: stop 1 (defaults), look at a goroutine, stop 2 (max 5), stop 3 (off).
        out = run_lldb([
            f"plugin load {PLUGIN}", "cgo threads on", "b c_stop", "run", THREADS_JSON, "bt",
            SELECT_PARKED, "bt",
            "frame select 3", "frame variable", "p name", "p id", "v name", "cgo threads max 5",
            "continue", THREADS_JSON, "cgo threads off", "continue", THREADS_JSON],
            target=binary())
        self.assertNotIn("Traceback", out)
        self.assertNotIn("cgounwind: goroutine threads", out)
        stops = threads_of(out)
        self.assertEqual(len(stops), 3, out[-3000:])
        self.check_listing(out, stops[0], 1024)
        stopped_bt = out.split("(lldb) bt\n", 2)[1]
        first = list(L.parse_threads(stopped_bt).values())[0]
        self.assertEqual(first[0], "c_stop", stopped_bt)
        self.assertIn("main.main", first, stopped_bt)
        index = int(re.search(r"^@@SELECTED (\d+)$", out, re.M).group(1))
        self.check_parked_stack(out.split("@@SELECTED", 1)[1].split("(lldb) frame select", 1)[0])
        self.check_parked_values(out)
        # max 5: the first five goroutines that are on no thread, and the selected one (and
        # main's, on its OS thread: the cap is for parked goroutines).
        capped = [t for t in goroutine_threads(stops[1]) if is_parked(t[2])]
        self.assertEqual(len(capped), 6, capped)
        looked_at = [t for t in stops[0] if t[1] == index][0][0]
        self.assertIn(looked_at, [t[0] for t in capped])
        self.assertEqual(goroutine_threads(stops[2]), [])
        self.assertIn("cgounwind: goroutines as threads: off", out)

    def test_core_file(self) -> None:
        # `process save-core` writes every thread LLDB lists: goroutine threads off first (at
        # once). In the command line they are off until `cgo threads on`.
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "parked.core")
            out = run_lldb([f"plugin load {PLUGIN}", "cgo threads on", "b c_stop", "run",
                            THREADS_JSON, "cgo threads off", THREADS_JSON,
                            f"process save-core {core}"], target=binary())
            self.assertTrue(os.path.exists(core), out)
            live, off = threads_of(out)
            self.assertEqual(goroutine_threads(off), [], out[-2000:])
            out = run_lldb([f"plugin load {PLUGIN}", f"target create {binary()} -c {core}",
                            THREADS_JSON, "cgo threads on", THREADS_JSON, SELECT_PARKED, "bt",
                            "frame select 3", "frame variable", "go print name", "go print id"],
                           timeout=300)
            loaded, on = threads_of(out)
            self.assertEqual(goroutine_threads(loaded), [], out[-2000:])
            # The same parked goroutines (wait reasons are read-only data an LLDB minidump
            # lacks). A core's OS threads stay LLDB's own: nothing steps there.
            same_list(self, [t[2].split(" (")[0] for t in goroutine_threads(on)],
                      [t[2].split(" (")[0] for t in goroutine_threads(live) if is_parked(t[2])])
            self.check_parked_stack(out.split("@@SELECTED", 1)[1].split("(lldb) frame select")[0])
            self.check_parked_values(out, c_view=False)


class DapGoroutineThreads(unittest.TestCase):
    """lldb-dap-22 as VS Code drives it (test_dap.DapSession), the program's argument a count."""

    def session(self, count: int, extra_init: list[str] | None = None):
        import test_dap as D  # noqa: E402  (shares its session driver)
        D.ARGS.toolchain = ARGS.toolchain
        original = D.launch_arguments

        def arguments(program: str) -> dict:
            args = original(program)
            args["args"] = [str(count)]
            args["initCommands"] = args.get("initCommands", []) + (extra_init or [])
            return args
        D.launch_arguments = arguments
        s = D.DapSession()
        try:
            stopped = s.launch_to_breakpoint(binary(), "c_stop")
        except BaseException:
            s.close()
            raise
        finally:
            D.launch_arguments = original
        return s, stopped

    def test_threads_stack_scopes_hover(self) -> None:
        s, stopped = self.session(2000)
        try:
            threads = s.request("threads")["body"]["threads"]
            every = [t for t in threads if t["id"] >= GOROUTINE_TID_BASE]
            ours = [t for t in every if is_parked(t["name"])]
            self.assertEqual(len(ours), 1024, threads[:10])
            # main, inside C at c_stop, is the stopped thread: its goroutine's own.
            self.assertEqual(stopped["body"]["threadId"], GOROUTINE_TID_BASE + 1, threads[:10])
            self.assertTrue(all(GOROUTINE_NAME.match(t["name"]) for t in ours), ours[:5])
            self.assertIn(stopped["body"]["threadId"], [t["id"] for t in threads])
            parked = [t for t in ours if " main.park " in t["name"]][19]
            frames = s.stack_trace(parked["id"])["stackFrames"]
            names = [f["name"].split(" ")[0] for f in frames]
            self.assertEqual(names[:4], PARKED_FRAMES, frames)
            park = frames[3]
            self.assertEqual((os.path.basename(park["source"]["path"]), park["line"]),
                             ("main.go", PARK_LINE), park)
            scopes = s.frame_variables(park["id"])
            local = {k: v for scope in scopes.values() for k, v in scope.items()}
            self.assertRegex(local.get("name", ""), r'^"worker-\d+"$', scopes)
            worker = local["name"].strip('"').split("-")[1]
            self.assertEqual(local.get("id"), worker, scopes)
            for context in ("hover", "watch"):
                got = s.request("evaluate", {"expression": "name", "frameId": park["id"],
                                             "context": context})["body"]
                self.assertEqual(got["result"], f'"worker-{worker}"', (context, got))
        finally:
            s.close()

    def test_threads_answer_within_a_second_at_10000(self) -> None:
        s, stopped = self.session(10000)
        try:
            started, cpu0 = time.monotonic(), _cpu_seconds(s.proc.pid)
            s.request("continue", {"threadId": stopped["body"]["threadId"]})
            s.wait_event("stopped")
            answered = time.monotonic()
            threads = s.request("threads")["body"]["threads"]
            done, cpu = time.monotonic(), _cpu_seconds(s.proc.pid) - cpu0
            self.assertEqual(len([t for t in threads if t["id"] >= GOROUTINE_TID_BASE
                                  and is_parked(t["name"])]), 1024)
            # The listing is made when LLDB handles the stop; `threads` then reads it. The
            # request itself in wall time; the whole from `continue` in lldb-dap's CPU time (the
            # program's run to its next stop, and a loaded machine, stretch the wall time).
            self.assertLess(done - answered, 1.0, f"threads: {done - answered:.2f} s")
            self.assertLess(cpu, 1.0, f"continue to threads: {cpu:.2f} s of lldb-dap's CPU")
            print(f"10,000 goroutines: continue -> stopped {answered - started:.3f} s, "
                  f"threads {done - answered:.3f} s; lldb-dap CPU {cpu:.3f} s", file=sys.stderr)
        finally:
            s.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"goroutine threads {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
