#!/usr/bin/env python3
"""End-to-end: the real lldb-22 with `plugin load build/lldb-plugin/libcgounwind.so`.

Asserts what a user sees: plain `bt` of every testdata program is, frame for frame, the stack
GDB shows (the golden files of test_gdb.py, compared name by name with programs.names_match),
`thread backtrace all` has no nameless frame; Go targets (created before or after the plugin
loads) pass SIGURG silently, non-Go targets keep LLDB's defaults, and `goroutine list` /
`goroutine bt ID` read the goroutine table and stacks with the core.
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
# A `bt` line: `  * frame #3: 0x0000000000401234 module`function(args) at file.c:3:1 [synthetic]`
_BT_FRAME = re.compile(r"^\s*\*?\s*frame #(\d+): 0x[0-9a-f]+(?: (?:[^`\s]+)`(.*))?$")
_THREAD = re.compile(r"^\*?\s*thread #(\d+)")
EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected")
MID_SWITCH = {"runtime.mcall", "runtime.systemstack", "runtime.asmcgocall", "runtime.morestack",
              "runtime.cgocallback", "runtime.gogo"}


def frame_name(rest: str | None) -> str:
    """The function name of a bt line's text after the backtick; `??` for a nameless frame."""
    if not rest:
        return "??"
    name = re.split(r" at | \+ \d+| \[synthetic\]", rest, maxsplit=1)[0].strip()
    if name.endswith(")"):  # C/Rust frames print their arguments: drop `(…)`
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                name = name[:i]
                break
    return name or "??"


def parse_threads(out: str) -> dict[int, list[str]]:
    """Thread number -> frame names, from `bt` / `thread backtrace all` output (last wins)."""
    threads: dict[int, list[str]] = {}
    current: list[str] | None = None
    for ln in out.splitlines():
        t = _THREAD.match(ln)
        if t:
            current = threads[int(t.group(1))] = []
            continue
        m = _BT_FRAME.match(ln)
        if m and current is not None and int(m.group(1)) == len(current):
            current.append(frame_name(m.group(2)))
        elif not ln.strip() or ln.startswith("(lldb)"):
            current = None
    return threads


def gdb_golden(prog: P.Program) -> list[str]:
    path = os.path.join(EXPECTED, ARGS.toolchain, prog.name + ".bt.txt")
    with open(path) as f:
        return f.read().split()


def same_stack(expected: list[str], frames: list[str]) -> bool:
    def norm(n: str) -> str:
        return re.sub(r"_cgo(exp)?_[0-9a-fA-FH]{4,}_", r"_cgo\1_HASH_", P.normalize_name(n))
    return len(expected) == len(frames) and all(
        P.names_match(norm(e), norm(a)) for e, a in zip(expected, frames))


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


class LldbBacktraces(unittest.TestCase):
    maxDiff = None

    def run_program_bt(self, prog: P.Program) -> None:
        cmds = [f"plugin load {PLUGIN}", *prog.lldb_commands, "bt", "script print('@@ALL')",
                "thread backtrace all"]
        out = run_lldb(cmds, target=binary(prog.binary))
        self.assertNotIn("Traceback", out)
        self.assertNotIn("cgounwind:", out, out)  # no truncation or failure message
        bt_part, all_part = out.split("\n@@ALL\n", 1) if "\n@@ALL\n" in out else (out, "")
        stopped = parse_threads(bt_part[bt_part.rfind("(lldb) bt"):])
        self.assertEqual(len(stopped), 1, out)
        frames = next(iter(stopped.values()))
        expected = gdb_golden(prog)
        if prog.collapse_repeats:
            frames = [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]
        self.assertTrue(same_stack(expected, frames),
                        f"lldb bt differs from gdb's ({prog.name}):\n"
                        + "\n".join(f"{e:40} {a}" for e, a in
                                    zip(expected + [""] * len(frames), frames + [""] * len(expected))
                                    if e or a) + "\n" + out)
        threads = parse_threads(all_part)
        self.assertGreaterEqual(len(threads), 2, all_part)
        for num, names in threads.items():
            self.assertTrue(names, f"thread {num}: no frames\n{all_part}")
            if P.normalize_name(names[0]) in MID_SWITCH:
                continue  # known limitation, as in test_gdb.py
            self.assertNotIn("??", names, f"thread {num}: {names}\n{all_part}")


def _make_bt_test(prog: P.Program):
    def test(self: LldbBacktraces) -> None:
        self.run_program_bt(prog)
    return test


for _p in P.PROGRAMS:
    setattr(LldbBacktraces, f"test_bt_{_p.name.replace('-', '_')}", _make_bt_test(_p))


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
