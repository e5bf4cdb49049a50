#!/usr/bin/env python3
"""End-to-end: the plugin in LLDB 19 (Debian bookworm's lldb-19, which has no scripted frame
providers), extracted by scripts/fetch_lldb19.sh rather than installed (it conflicts with lldb-22).

Asserts what a LLDB 19 user sees with multiblock stopped at c_all_blocked, in three batch
sessions: plain lldb-19 (the reference `bt`), `lldb-19 FILE` + `plugin load`, and `plugin load`
before `target create`. With the plugin: it loads without error, says exactly once (and says
nothing else) that stack splicing needs LLDB >= 22, Go's SIGURG does not stop the process,
`goroutine list` / `goroutine bt all` work, and `bt` is LLDB's own, frame for frame.

LLDB 19 is looked for in $CGOUNWIND_LLDB19, else <build>/lldb19. If it is missing the test
fails, unless CGOUNWIND_ALLOW_NO_LLDB19=1 (then it is skipped).
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
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402
import test_lldb as T  # noqa: E402  (plugin path, `bt` parsing, SIGURG row, testdata binaries)

LLDB19_DIR = os.environ.get("CGOUNWIND_LLDB19", os.path.join(G.BUILD, "lldb19"))
LLDB19_BIN = os.path.join(LLDB19_DIR, "usr", "lib", "llvm-19", "bin")
LLDB19 = os.path.join(LLDB19_BIN, "lldb")
SPLICE_LINE = "cgounwind: stack splicing needs LLDB >= 22"
BT_MARK = "@@BT"


def run_lldb19(commands: list[str], target: str | None = None, timeout: int = 120) -> str:
    args = [LLDB19, "-b", "--no-lldbinit"]
    for c in commands:
        args += ["-o", c]
    if target:
        args.append(target)
    env = {**os.environ, "LLDB_DEBUGSERVER_PATH": os.path.join(LLDB19_BIN, "lldb-server")}
    return subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env).stdout


def bt_frames(out: str) -> list[str]:
    """Frame names of the stopped thread's `bt`, printed after `script print('@@BT')`."""
    part = out.split(f"\n{BT_MARK}\n", 1)[1] if f"\n{BT_MARK}\n" in out else ""
    threads = T.parse_threads(part)
    return next(iter(threads.values())) if len(threads) == 1 else []


class Lldb19(unittest.TestCase):
    maxDiff = None
    sessions: dict[str, str] = {}

    @classmethod
    def setUpClass(cls) -> None:
        if not os.access(LLDB19, os.X_OK):
            msg = (f"LLDB 19 not found at {LLDB19}: run scripts/fetch_lldb19.sh {LLDB19_DIR} "
                   "(or set CGOUNWIND_LLDB19)")
            if os.environ.get("CGOUNWIND_ALLOW_NO_LLDB19") == "1":
                raise unittest.SkipTest(msg)
            raise AssertionError(msg)
        prog = T.binary("multiblock")
        stop = ["breakpoint set -n c_all_blocked", "process launch", "process handle SIGURG"]
        after = ["goroutine list", "goroutine bt all", f"script print('{BT_MARK}')", "bt"]
        cls.sessions = {
            "plain": run_lldb19(["version", *P.BY_NAME["multiblock"].lldb_commands,
                                 f"script print('{BT_MARK}')", "bt"], target=prog),
            "lldb FILE": run_lldb19([f"plugin load {T.PLUGIN}", *stop, *after], target=prog),
            "target created later": run_lldb19(
                [f"plugin load {T.PLUGIN}", f"target create {prog}", *stop, *after]),
        }

    def plugin_sessions(self) -> dict[str, str]:
        return {k: v for k, v in self.sessions.items() if k != "plain"}

    def test_plain_lldb19_reference(self) -> None:
        out = self.sessions["plain"]
        self.assertIn("lldb version 19.", out)
        self.assertIn("stop reason = breakpoint", out)
        self.assertEqual(bt_frames(out)[:1], ["c_all_blocked"], out)

    def test_plugin_loads(self) -> None:
        for name, out in self.plugin_sessions().items():
            with self.subTest(session=name):
                self.assertNotIn("Traceback", out)
                self.assertNotRegex(out, r"(?im)^\s*error|error:")
                self.assertIn("goroutine list", out)  # batch mode went on after `plugin load`

    def test_splicing_line_once(self) -> None:
        for name, out in self.plugin_sessions().items():
            with self.subTest(session=name):
                said = [ln for ln in out.splitlines() if ln.startswith("cgounwind:")]
                self.assertEqual(len(said), 1, out)
                self.assertTrue(said[0].startswith(SPLICE_LINE), out)

    def test_sigurg_does_not_stop(self) -> None:
        for name, out in self.plugin_sessions().items():
            with self.subTest(session=name):
                self.assertNotIn("signal SIGURG", out)
                self.assertIn("stop reason = breakpoint", out)
                self.assertEqual(T.sigurg_row(out), ["true", "false", "false"], out)

    def test_goroutine_commands(self) -> None:
        # The checks of test_lldb.py's test_goroutine_list_and_bt.
        prog = P.BY_NAME["multiblock"]
        for name, out in self.plugin_sessions().items():
            with self.subTest(session=name):
                listing = out.split(f"\n{BT_MARK}\n")[0]
                self.assertEqual(L.goroutine_problems(listing, prog), [], out)

    def test_bt_unchanged(self) -> None:
        plain = bt_frames(self.sessions["plain"])
        self.assertTrue(plain, self.sessions["plain"])
        for name, out in self.plugin_sessions().items():
            with self.subTest(session=name):
                self.assertEqual(bt_frames(out), plain, out)
                self.assertNotIn("[synthetic]", out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.23")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    T.ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    # A test fails once however many of its sessions (subtests) fail.
    failed = len({id(getattr(t, "test_case", t)) for t, _ in result.failures + result.errors})
    skipped = len(result.skipped)
    passed = max(result.testsRun - failed - skipped, 0)  # a setUpClass error or skip runs none
    print(f"lldb19 {ns.toolchain}: {passed} passed, {failed} failed"
          + (f", {skipped} skipped" if skipped else ""))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
