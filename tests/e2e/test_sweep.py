#!/usr/bin/env python3
"""Every instruction of a cgo call and callback (issue 15's single-step sweep): GDB with cgo.py
stops at main._Cfunc_c_outer in testdata/callback (Go → C → Go → C), then `stepi`s through
cgocall, asmcgocall, the C prolog, c_outer, the export wrapper, crosscall2, cgocallback,
cgocallbackg, the callback's Go, c_inner and back (the runtime's scheduler, vDSO clock and
lazy binding on the way), and classifies `bt` at every distinct pc (tests/e2e/sweep_gdb.py):
whole, explained (ends early and says why), silent (ends early without a word), garbage (a `??`
or data symbol above frame 0). Required: 0 silent, 0 garbage.

Usage: test_sweep.py --toolchain go1.26 [--max N]   (CI: 4,000 instructions; the README's
figures come from --max 20000)"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26", max=4000)
SWEEP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep_gdb.py")


def sweep(program: str, start: str, until: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out_json = os.path.join(d, "sweep.json")
        env = {**G.debugger_env(), "SWEEP_UNTIL": until, "SWEEP_MAX": str(ARGS.max),
               "SWEEP_OUT": out_json}
        args = ["gdb", "-batch", "-nx", *G.GDB_CLEAN_INFERIOR,
                "-iex", "set auto-load python-scripts off", "-ex", "set pagination off",
                "-ex", "set confirm off", "-ex", f"source {G.CGO_PY}",
                "-ex", "set environment GODEBUG asyncpreemptoff=1",
                "-ex", f"break {start}", "-ex", "run", "-ex", "delete", "-x", SWEEP,
                G.testdata_binary(ARGS.toolchain, program)]
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=1800, env=env)
        if not os.path.exists(out_json):
            raise AssertionError(f"the sweep wrote nothing:\n{p.stdout[-3000:]}")
        with open(out_json) as f:
            result = json.load(f)
        result["output"] = p.stdout
        return result


class Sweep(unittest.TestCase):
    maxDiff = None

    def test_callback_every_instruction(self) -> None:
        r = sweep("callback", "main._Cfunc_c_outer", "main.main")
        counts = r["counts"]
        print(f"\n{ARGS.toolchain}: {r['steps']} instructions, {r['pcs']} distinct pcs: "
              + ", ".join(f"{counts.get(k, 0)} {k}" for k in
                          ("whole", "explained", "silent", "garbage")), flush=True)
        for reason, n in sorted(r.get("explained", {}).items()):
            print(f"  explained ×{n}: {reason}")
        bad = "\n".join(f"{pc} {v['kind']} {v['function']}: {' > '.join(v['frames'][:8])}"
                        for pc, v in sorted(r["bad"].items())[:40])
        self.assertEqual((counts.get("silent", 0), counts.get("garbage", 0)), (0, 0), bad)
        self.assertGreater(counts.get("whole", 0), 500, r["output"][-2000:])
        self.assertNotIn("Traceback", r["output"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--toolchain", default="go1.26")
    parser.add_argument("--max", type=int, default=4000)
    args, rest = parser.parse_known_args()
    ARGS.toolchain, ARGS.max = args.toolchain, args.max
    prog = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    r = prog.result
    print(f"{ARGS.toolchain}: {r.testsRun - len(r.failures) - len(r.errors)} passed, "
          f"{len(r.failures) + len(r.errors)} failed")
    return 0 if r.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
