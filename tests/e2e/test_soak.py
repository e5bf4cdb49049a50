#!/usr/bin/env python3
"""Soak: thousands of stop / `bt` / continue cycles in one GDB and in one LLDB session.

`hostile soak N` stops N times in hostile_bp (Go → C, a spliced stack each time). In one session
per debugger, each cycle runs `bt` (through cgounwind: the unwinder or frame provider, the frame
filter, Go values of the spliced frames) and continues. The debugger's resident memory is read
from /proc after a warm-up and at the end. Every 500th backtrace must still be the whole spliced
stack.

The cycles are plain top-level commands (a command file), as a user types them: GDB frees the
values a command made only when that command ends, so a loop inside one Python command would
measure that instead.

GDB: it must grow by less than 10 MB. LLDB 22.1.8 keeps every scripted frame provider instance it
creates (one per thread and stop) until the provider is removed from the target, a few KB each
even for a provider that does nothing, so the same cycles are also run with such a provider
(tests/e2e/nop_frame_provider.py) and cgounwind's growth beyond that baseline must stay under
10 MB. (Re-registering the provider now and then frees them, but LLDB then prints every thread's
status to the console.)

    /usr/bin/python3 tests/e2e/test_soak.py [--toolchain go1.26] [--cycles 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26", cycles=10000)
WARMUP = 200          # cycles before the first RSS reading
CHECK_EVERY = 500     # cycles between checks of the whole spliced stack
LIMIT_KB = 10 * 1024  # growth allowed after the warm-up
SPLICED = ["hostile_bp", "hostile_sabotage", "runtime.asmcgocall", "runtime.cgocall", "main.work",
           "main.recurse", "main.main", "runtime.main", "runtime.goexit"]

# Helpers defined in the debugger's Python: _cgu_rss(tag) prints "@@rss TAG KB"; _cgu_check(text)
# prints "@@bad …" unless `text` (a bt) has SPLICED in order. The cycles themselves are plain
# top-level commands, as a user types them (GDB frees the values a command made when it ends).
HELPERS = textwrap.dedent(f"""
    import re as _cgu_re
    def _cgu_rss(tag):
        with open("/proc/self/status") as f:
            kb = int(_cgu_re.search(r"VmRSS:\\s+(\\d+)", f.read()).group(1))
        print("@@rss %s %d" % (tag, kb))
    def _cgu_check(text):
        at = 0
        for name in {SPLICED!r}:
            at = text.find(name, at)
            if at < 0:
                print("@@bad no %s in order in: %s" % (name, text[:1500].replace(chr(10), " | ")))
                return
""")


def cycle_commands(bt: str, cont: str, check: str, rss: str) -> list[str]:
    cmds = []
    for i in range(ARGS.cycles):
        cmds.append(check if i % CHECK_EVERY == 0 or i == ARGS.cycles - 1 else bt)
        if i == WARMUP:
            cmds.append(rss.format(tag="base"))
        if i < ARGS.cycles - 1:
            cmds.append(cont)
    cmds.append(rss.format(tag="end"))
    return cmds


def parse(out: str) -> dict:
    rss = dict(re.findall(r"^@@rss (\w+) (\d+)$", out, re.M))
    if set(rss) != {"base", "end"}:
        raise AssertionError(f"no RSS readings:\n{out[-5000:]}")
    bad = re.findall(r"^@@bad (.*)$", out, re.M)
    return {"base_kb": int(rss["base"]), "end_kb": int(rss["end"]), "bad": bad[:3]}


class Soak(unittest.TestCase):
    maxDiff = None

    def report(self, who: str, r: dict, seconds: float) -> None:
        growth = (r["end_kb"] - r["base_kb"]) / 1024
        print(f"soak {who} {ARGS.toolchain}: {ARGS.cycles} cycles in {seconds:.0f} s, RSS "
              f"{r['base_kb'] / 1024:.1f} MB after {WARMUP} -> {r['end_kb'] / 1024:.1f} MB "
              f"(+{growth:.2f} MB)", flush=True)
        self.assertEqual(r["bad"], [])
        self.assertLess(r["end_kb"] - r["base_kb"], LIMIT_KB, f"{who}: RSS grew by {growth:.1f} MB")

    def run_script(self, suffix: str, lines: list[str], run) -> tuple[str, float]:
        with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
            f.write("\n".join(lines) + "\n")
        t0 = time.monotonic()
        try:
            out = run(f.name)
        finally:
            os.unlink(f.name)
        self.assertNotRegex(out, r"Traceback|Python Exception", out[-5000:])
        return out, time.monotonic() - t0

    def test_gdb(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as h:
            h.write(HELPERS)
        lines = [f"source {h.name}", *cycle_commands(
            "bt", "continue", 'python _cgu_check(gdb.execute("bt", to_string=True))',
            "python _cgu_rss('{tag}')")]
        try:
            out, secs = self.run_script(".gdb", lines, lambda path: G.run_gdb(
                G.testdata_binary(ARGS.toolchain, "hostile"),
                ["break hostile_bp", f"run soak {ARGS.cycles}", f"source {path}"], timeout=3600))
        finally:
            os.unlink(h.name)
        self.report("gdb", parse(out), secs)

    def lldb_soak(self, setup: list[str], check: bool = True) -> tuple[dict, float]:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as h:
            h.write(HELPERS + textwrap.dedent(f"""
                import lldb
                def _cgu_bt():
                    r = lldb.SBCommandReturnObject()
                    lldb.debugger.GetCommandInterpreter().HandleCommand("bt", r)
                    if {check}:
                        _cgu_check(r.GetOutput() + r.GetError())
            """))
        module = os.path.basename(h.name)[:-3]  # `command script import` names it by its file
        lines = [f"command script import {h.name}", *cycle_commands(
            "bt", "process continue", f"script {module}._cgu_bt()",
            f"script {module}._cgu_rss('{{tag}}')")]
        try:
            out, secs = self.run_script(".lldb", lines, lambda path: L.run_lldb(
                [*setup, P._LLDB_SIGNALS, "breakpoint set -n hostile_bp",
                 f"process launch -- soak {ARGS.cycles}", f"command source -s true {path}"],
                target=G.testdata_binary(ARGS.toolchain, "hostile"), timeout=3600))
        finally:
            os.unlink(h.name)
        return parse(out), secs

    def test_lldb(self) -> None:
        ours, secs = self.lldb_soak([f"plugin load {L.PLUGIN}"])
        nop = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nop_frame_provider.py")
        base, base_secs = self.lldb_soak([
            f"command script import {nop}",
            "target frame-provider register -C nop_frame_provider.NopFrameProvider"], check=False)
        baseline = base["end_kb"] - base["base_kb"]
        print(f"soak lldb {ARGS.toolchain}: {ARGS.cycles} cycles with a do-nothing frame provider "
              f"in {base_secs:.0f} s: RSS +{baseline / 1024:.2f} MB (LLDB's own)", flush=True)
        print(f"soak lldb {ARGS.toolchain}: with cgounwind +{(ours['end_kb'] - ours['base_kb']) / 1024:.2f} MB",
              flush=True)
        ours["base_kb"] += baseline  # what LLDB keeps for any frame provider is not ours
        self.report("lldb (beyond LLDB's own)", ours, secs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("--cycles", type=int, default=10000)
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain, ARGS.cycles = ns.toolchain, ns.cycles
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
