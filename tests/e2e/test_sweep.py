#!/usr/bin/env python3
"""Every instruction of a cgo call and callback (issue 15's single-step sweep): GDB with cgo.py
stops at main._Cfunc_c_outer in testdata/callback (Go → C → Go → C), then `stepi`s through
cgocall, asmcgocall, the C prolog, c_outer, the export wrapper, crosscall2, cgocallback,
cgocallbackg, the callback's Go, c_inner and back (the runtime's scheduler, vDSO clock and
lazy binding on the way), and classifies `bt` at every distinct pc (tests/e2e/sweep_gdb.py):
whole, explained (ends early and says why), silent (ends early without a word), garbage (a `??`
or data symbol above frame 0). Required: 0 silent, 0 garbage.

The same in lldb-22 with the plugin (tests/e2e/sweep_lldb.py), from the same stop, twice:
`thread step-inst` as LLDB's `si` does it (the other threads stay stopped) and with
`-m all-threads` (the others run, as in GDB's stepi: the scheduler's paths). At each distinct pc
the thread's `bt` as printed; the plugin's `cgounwind:` line is the only possible explanation
(LLDB says nothing when its own unwinder stops).

Usage: test_sweep.py --toolchain go1.26 [--max N]   (CI: 4,000 instructions in GDB, 2,000 in
each LLDB sweep, about 10 ms each there; the README's figures come from --max 20000)"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402

# CI's instructions per sweep (--max sets both)
GDB_MAX, LLDB_MAX = 4000, 2000
ARGS = argparse.Namespace(toolchain="go1.26", max=None)
HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP = os.path.join(HERE, "sweep_gdb.py")
SWEEP_LLDB = os.path.join(HERE, "sweep_lldb.py")


def _run(args: list, until: str, out_json: str, limit: int, **extra: str) -> dict:
    return G.run_json_script(args, out_json, {"SWEEP_UNTIL": until, "SWEEP_MAX": str(
        ARGS.max or limit), "SWEEP_OUT": out_json, **extra}, "sweep")


def sweep(program: str, start: str, until: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        args = ["gdb", "-batch", "-nx", *G.GDB_CLEAN_INFERIOR,
                "-iex", "set auto-load python-scripts off", "-ex", "set pagination off",
                "-ex", "set confirm off", "-ex", f"source {G.CGO_PY}",
                "-ex", "set environment GODEBUG asyncpreemptoff=1",
                "-ex", f"break {start}", "-ex", "run", "-ex", "delete", "-x", SWEEP,
                G.testdata_binary(ARGS.toolchain, program)]
        return _run(args, until, os.path.join(d, "sweep.json"), GDB_MAX)


def sweep_lldb(program: str, start: str, until: str, run_mode: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        args = ["lldb-22", "-b", "--no-lldbinit"]
        if G.PRELOAD:  # the programs LLDB runs inherit its environment otherwise
            args += ["-O", "settings set target.unset-env-vars LD_PRELOAD"]
        for c in (f"plugin load {L.PLUGIN}", "settings set target.env-vars GODEBUG=asyncpreemptoff=1",
                  f"breakpoint set -n {start}", "run", "breakpoint delete -f",
                  f"command script import {SWEEP_LLDB}"):
            args += ["-o", c]
        args.append(G.testdata_binary(ARGS.toolchain, program))
        return _run(args, until, os.path.join(d, "sweep.json"), LLDB_MAX,
                    SWEEP_RUN_MODE=run_mode)


def report(test: unittest.TestCase, debugger: str, r: dict) -> None:
    counts = r["counts"]
    print(f"\n{ARGS.toolchain} {debugger}: {r['steps']} instructions, {r['pcs']} distinct pcs: "
          + ", ".join(f"{counts.get(k, 0)} {k}" for k in
                      ("whole", "explained", "silent", "garbage")), flush=True)
    for reason, n in sorted(r.get("explained", {}).items()):
        print(f"  explained ×{n}: {reason}")
    bad = "\n".join(f"{pc} {v['kind']} {v['function']}: {' > '.join(v['frames'][:8])}"
                    for pc, v in sorted(r["bad"].items())[:40])
    test.assertEqual((counts.get("silent", 0), counts.get("garbage", 0)), (0, 0), bad)
    test.assertGreater(counts.get("whole", 0), 500, r["output"][-2000:])
    test.assertNotIn("Traceback", r["output"])


class Sweep(unittest.TestCase):
    maxDiff = None

    def test_callback_every_instruction(self) -> None:
        report(self, "GDB", sweep("callback", "main._Cfunc_c_outer", "main.main"))

    def _lldb(self, run_mode: str) -> None:
        r = sweep_lldb("callback", "main._Cfunc_c_outer", "main.main", run_mode)
        report(self, f"LLDB ({run_mode})", r)
        # Where the provider left out a frame that LLDB's own unwinder listed twice (a caller,
        # stopped at the first instructions of inlined code: LLDB's own `bt` shows it twice),
        # LLDB's numbers skip one (it numbers its own frames by their place in its own list).
        print(f"  frame numbers with a hole: {len(r['holes'])} pcs; {r['seconds']} s", flush=True)

    def test_callback_every_instruction_lldb(self) -> None:
        self._lldb("this-thread")

    def test_callback_every_instruction_lldb_all_threads(self) -> None:
        self._lldb("all-threads")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--toolchain", default="go1.26")
    parser.add_argument("--max", type=int, default=None,
                        help=f"instructions per sweep (CI: {GDB_MAX} GDB, {LLDB_MAX} LLDB)")
    args, rest = parser.parse_known_args()
    ARGS.toolchain, ARGS.max = args.toolchain, args.max
    prog = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    r = prog.result
    print(f"{ARGS.toolchain}: {r.testsRun - len(r.failures) - len(r.errors)} passed, "
          f"{len(r.failures) + len(r.errors)} failed")
    return 0 if r.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
