#!/usr/bin/env python3
"""End-to-end: the real lldb-22 with `plugin load build/lldb-plugin/libcgounwind.so`.

Covers what the plugin does so far: Go targets (created before or after the plugin loads) pass
SIGURG silently, non-Go targets keep LLDB's defaults, and `goroutine list` / `goroutine bt ID`
read the goroutine table and stacks with the core (a goroutine inside C: the thread's C frames,
then its own Go frames).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402  (paths and the build tree)
import programs as P  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
PLUGIN = os.path.join(G.BUILD, "lldb-plugin", "libcgounwind.so")
_FRAME = re.compile(r"^\s+frame #(\d+): 0x[0-9a-f]+ (\S+)")


def binary(name: str) -> str:
    return G.testdata_binary(ARGS.toolchain, name)


def run_lldb(commands: list[str], target: str | None = None, timeout: int = 180) -> str:
    args = ["lldb-22", "-b", "--no-lldbinit"]
    for c in commands:
        args += ["-o", c]
    if target:
        args.append(target)
    return subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout).stdout


def sigurg_row(out: str) -> list[str]:
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("SIGURG")]
    return rows[-1][1:4] if rows else []


class LldbPlugin(unittest.TestCase):
    maxDiff = None

    def test_sigurg_quiet_for_go_targets_only(self) -> None:
        prog = binary("multiblock")
        stop = ["breakpoint set -n c_all_blocked", "process launch", "process handle SIGURG"]
        before = run_lldb([f"plugin load {PLUGIN}"] + stop, target=prog)
        self.assertIn("stop reason = breakpoint", before)
        self.assertEqual(sigurg_row(before), ["true", "false", "false"], before)
        later = run_lldb([f"plugin load {PLUGIN}", f"target create {prog}"] + stop)
        self.assertIn("stop reason = breakpoint", later)
        self.assertEqual(sigurg_row(later), ["true", "false", "false"], later)
        plain = run_lldb(["process launch --stop-at-entry", "process handle SIGURG"], "/bin/true")
        other = run_lldb([f"plugin load {PLUGIN}", "process launch --stop-at-entry",
                          "process handle SIGURG"], "/bin/true")
        self.assertEqual(sigurg_row(other), sigurg_row(plain), other)
        self.assertNotIn("error", other.lower())

    def test_goroutine_list_and_bt(self) -> None:
        prog = P.BY_NAME["multiblock"]
        # Goroutine ids differ between runs: list them and every stack in one session.
        out = run_lldb([f"plugin load {PLUGIN}", "breakpoint set -n c_all_blocked",
                        "process launch", "goroutine list", "goroutine bt all"],
                       target=binary(prog.binary))
        rows = [ln for ln in out.splitlines() if re.match(r"^[* ] \d+ ", ln)]
        in_c = [ln.split()[1] for ln in rows if re.search(r"syscall\s+\d+\s+yes ", ln)]
        self.assertGreaterEqual(len(in_c), 4, out)
        self.assertTrue(any(" waiting (" in ln for ln in rows), out)
        blocks = re.split(r"^goroutine (\d+) \(", out, flags=re.M)[1:]
        stacks = {blocks[i]: [m.group(2) for m in map(_FRAME.match, blocks[i + 1].splitlines()) if m]
                  for i in range(0, len(blocks), 2)}
        listed = {ln.split()[1] if ln.startswith("*") else ln.split()[0] for ln in rows}
        self.assertEqual(set(stacks), listed, out)
        main = [stacks[i] for i in in_c if stacks[i] and stacks[i][0] == "c_all_blocked"]
        self.assertEqual(len(main), 1, out)
        self.assertEqual(P.missing_frames(prog.user_frames, main[0]), [], main[0])
        for exp in prog.threads:
            owners = [stacks[i] for i in in_c if any(P.names_match(exp.selector, f) for f in stacks[i])]
            self.assertEqual(len(owners), 1, f"{exp.selector}\n{out}")
            self.assertEqual(P.missing_frames(exp.user_frames, owners[0]), [], owners[0])
            self.assertEqual(owners[0][-1], "runtime.goexit", owners[0])
        self.assertNotIn("warning:", out)

    def test_parked_goroutine_bt(self) -> None:
        out = run_lldb([f"plugin load {PLUGIN}", "breakpoint set -n c_all_blocked",
                        "process launch", "goroutine bt 2"], target=binary("multiblock"))
        frames = [m.group(2) for m in map(_FRAME.match, out.split("goroutine 2 (")[-1].splitlines()) if m]
        self.assertIn("runtime.gopark", frames, out)
        self.assertEqual(frames[-1], "runtime.goexit", out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"lldb {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
