#!/usr/bin/env python3
"""End-to-end: the goroutine listing's options (Delve's `goroutines` spellings) in the real gdb
(`info goroutines ARGS`, with `source gdb-python/cgo.py`) and lldb-22 (`goroutine list ARGS`,
with `plugin load build/lldb-plugin/libcgounwind.so`), on testdata/goroutines stopped in c_stop.

The program parks 5 workers from one `go` statement (3 labelled worker=a, 2 worker=b), 2
sleepers from another (role=sleeper, worker=b) and 2 lockers from a third (no labels). Each
filter must select exactly the goroutines its predicate names in the full listing (`-g -l`: the
"created by" and labels lines) of the same session, in the expected numbers; groups must count
them; and the two debuggers must print the same text (run with GOMAXPROCS=1, the program's
goroutine ids are the same in both sessions).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402  (paths and the build tree)
from lldb_common import PLUGIN, run_lldb  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
MARK = G.MARK

# Section name -> options; the same for both debuggers.
QUERIES = [
    ("all", "-g -l"),
    ("goloc", "-with goloc main.startParked"),
    ("goloc_not", "-without goloc main.startParked -with user -with goloc main."),
    ("userloc", "-with userloc main.parkedWorker"),
    ("usercol", "-u -with label worker"),
    ("label_a", "-with label worker=a"),
    ("label_b", "-with label worker=b"),
    ("label_role", "-with label role -l"),
    ("no_worker", "-without label worker"),
    ("status", '-with status "chan receive"'),
    ("sleep", "-w status sleep -wo running"),
    ("startloc", "-with startloc main.sleeper -s"),
    ("running", "-with running"),
    ("group_goloc", "-group goloc"),
    ("group_label", "-group label worker"),
    ("group_status", "-group status -with user"),
    ("group_userloc", "-group userloc -with label worker"),
    ("bad", "-with nowhere x"),
]

ROW = re.compile(r"^([* ]) (\d+) +(\S.*?) {2,}")
GROUP = re.compile(r"^  (\d+) +(.*)  \[([\d .]+)\]$")


def binary() -> str:
    return G.testdata_binary(ARGS.toolchain, "goroutines")


def gdb_sections() -> dict[str, str]:
    _, parts = G.run_sections(binary(), ["set environment GOMAXPROCS=1", "break c_stop", "run"],
                              [(name, f"info goroutines {q}") for name, q in QUERIES])
    return parts


def lldb_sections() -> dict[str, str]:
    cmds = [f"plugin load {PLUGIN}", "settings set target.env-vars GOMAXPROCS=1",
            "breakpoint set -n c_stop", "process launch"]
    for name, q in QUERIES:
        cmds += [f"script print('{MARK}{name}')", f"goroutine list {q}"]
    cmds.append(f"script print('{MARK}end')")
    out = run_lldb(cmds, target=binary())
    parts = G.split_sections(out, MARK)
    # Without LLDB's echo of each command.
    return {k: "".join(ln + "\n" for ln in v.splitlines() if not ln.startswith("(lldb) "))
            for k, v in parts.items()}


def row_ids(text: str) -> list[int]:
    return [int(m.group(2)) for m in map(ROW.match, text.splitlines()) if m]


def goroutines(text: str) -> dict[int, dict]:
    """id -> {"status", "created", "labels", "on_thread"} from a `-g -l` listing."""
    out: dict[int, dict] = {}
    current = None
    for ln in text.splitlines():
        m = ROW.match(ln)
        if m:
            current = out[int(m.group(2))] = {"status": m.group(3), "created": "", "labels": "",
                                              "on_thread": m.group(1) == "*"}
        elif current is not None and ln.startswith("           created by "):
            current["created"] = ln.split("created by ", 1)[1]
        elif current is not None and ln.startswith("           labels: "):
            current["labels"] = ln.split("labels: ", 1)[1]
    return out


def groups(text: str) -> dict[str, int]:
    return {m.group(2): int(m.group(1)) for m in map(GROUP.match, text.splitlines()) if m}


class GoroutineQueries(unittest.TestCase):
    maxDiff = None
    gdb: dict[str, str] = {}
    lldb: dict[str, str] = {}

    @classmethod
    def setUpClass(cls) -> None:
        cls.gdb = gdb_sections()
        cls.lldb = lldb_sections()

    def check(self, parts: dict[str, str], who: str) -> None:
        whole = "".join(f"== {k}\n{v}" for k, v in parts.items())
        gs = goroutines(parts.get("all", ""))
        self.assertGreaterEqual(len(gs), 10, f"{who}: listing\n{whole}")

        def ids(pred) -> list[int]:
            return sorted(i for i, g in gs.items() if pred(g))

        parked = ids(lambda g: g["created"].startswith("main.startParked at goroutines/main.go:"))
        sleepers = ids(lambda g: g["created"].startswith("main.startSleepers at "))
        lockers = ids(lambda g: g["created"].startswith("main.main at goroutines/main.go:"))
        self.assertEqual((len(parked), len(sleepers), len(lockers)), (5, 2, 2), f"{who}\n{whole}")
        for i in parked:
            self.assertEqual(gs[i]["status"], "waiting (chan receive)", f"{who} {i}\n{whole}")
        for i in sleepers:
            self.assertEqual(gs[i]["status"], "waiting (sleep)", f"{who} {i}\n{whole}")
            self.assertEqual(gs[i]["labels"], "role=sleeper worker=b", f"{who} {i}\n{whole}")
        self.assertEqual(sorted(gs[i]["labels"] for i in parked), ["worker=a"] * 3 + ["worker=b"] * 2,
                         f"{who}\n{whole}")
        for i in lockers:
            self.assertEqual(gs[i]["labels"], "", f"{who} {i}\n{whole}")
        self.assertEqual(gs[1]["created"], "", f"{who}: goroutine 1 has no go statement\n{whole}")

        expect = {
            "goloc": parked,
            "goloc_not": sorted(sleepers + lockers),
            "userloc": parked,
            "usercol": sorted(parked + sleepers),
            "label_a": ids(lambda g: g["labels"] == "worker=a"),
            "label_b": ids(lambda g: "worker=b" in g["labels"].split()),
            "label_role": sleepers,
            "no_worker": ids(lambda g: "worker=" not in g["labels"]),
            "status": ids(lambda g: g["status"] == "waiting (chan receive)"),
            "sleep": sleepers,
            "startloc": sleepers,
            "running": ids(lambda g: g["on_thread"]),
        }
        sizes = {"goloc": 5, "userloc": 5, "label_a": 3, "label_b": 4, "label_role": 2,
                 "sleep": 2, "startloc": 2, "running": 1, "goloc_not": 4, "usercol": 7}
        for name, want in expect.items():
            got = sorted(row_ids(parts.get(name, "")))
            self.assertEqual(got, want, f"{who}: {name}\n{parts.get(name)}\n{whole}")
            if name in sizes:
                self.assertEqual(len(got), sizes[name], f"{who}: {name}\n{parts.get(name)}")
            self.assertIn(f"{len(want)} of {len(gs)} goroutines", parts[name], f"{who}: {name}")
        # The columns and lines the options add.
        for ln in parts["usercol"].splitlines():
            m = ROW.match(ln)
            if m and int(m.group(2)) in parked:
                self.assertIn("main.parkedWorker at goroutines/main.go:", ln, who)
        self.assertIn("User location", parts["usercol"], who)
        self.assertIn("Start location", parts["startloc"], who)
        self.assertIn("main.sleeper at goroutines/main.go:", parts["startloc"], who)
        self.assertEqual(parts["label_role"].count("labels: role=sleeper worker=b"), 2, who)

        g = groups(parts["group_goloc"])
        self.assertEqual({k.split(" at ")[0]: v for k, v in g.items() if k.startswith("main.")},
                         {"main.startParked": 5, "main.startSleepers": 2, "main.main": 2},
                         f"{who}\n{parts['group_goloc']}")
        self.assertEqual(sum(g.values()), len(gs), f"{who}\n{parts['group_goloc']}")
        self.assertRegex(parts["group_goloc"], r"(?m)^  5 +main\.startParked at .*  \[" +
                         " ".join(map(str, parked)) + r"\]$", who)
        g = groups(parts["group_label"])
        self.assertEqual((g.get("worker=a"), g.get("worker=b"), g.get("(no worker label)")),
                         (3, 4, len(gs) - 7), f"{who}\n{parts['group_label']}")
        self.assertIn("Label worker", parts["group_label"], who)
        g = groups(parts["group_status"])
        self.assertEqual((g.get("waiting (chan receive)"), g.get("waiting (sleep)")), (5, 2),
                         f"{who}\n{parts['group_status']}")
        g = groups(parts["group_userloc"])
        self.assertEqual(g.get(next((k for k in g if k.startswith("main.parkedWorker at ")), "")),
                         5, f"{who}\n{parts['group_userloc']}")
        self.assertEqual(sum(g.values()), 7, f"{who}\n{parts['group_userloc']}")
        self.assertIn("unknown KIND 'nowhere'", parts["bad"], f"{who}\n{parts['bad']}")
        self.assertNotIn("Traceback", whole)
        self.assertNotIn("warning:", whole)

    def test_gdb(self) -> None:
        self.check(self.gdb, "gdb")

    def test_lldb(self) -> None:
        self.check(self.lldb, "lldb")

    def test_same_text(self) -> None:
        for name, _ in QUERIES:
            g, l = self.gdb.get(name, ""), self.lldb.get(name, "")
            if name == "bad":  # each debugger's own error prefix, then the core's one line
                g, l = g.split("info goroutines: ")[-1], l.split("goroutine list: ")[-1]
            self.assertEqual(g.rstrip(), l.rstrip(), f"{name}: GDB and LLDB differ")
            self.assertTrue(g.strip(), name)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"goroutines {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
