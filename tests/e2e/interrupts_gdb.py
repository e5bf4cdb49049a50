"""Runs inside GDB (`gdb -x interrupts_gdb.py`, after `source cgo.py`, stopped in storm_ready of
testdata/storm): interrupts the running program at random moments and classifies every thread's
stack at each stop, as `thread apply all bt` shows it.

Each interrupt is a SIGINT sent to the process by a separate `sleep; kill` process (GDB holds
Python's lock while the inferior runs, so a Python timer thread could not fire), 1–40 ms after the
`continue`; GDB stops every thread wherever it is. Each thread's stack is classified as in the
single-step sweep (sweep_gdb.classify: whole / explained / silent / garbage).

Environment: INTERRUPTS (how many), INTERRUPTS_SEED, INTERRUPTS_OUT (a JSON file).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import Any, Dict, List

import gdb  # type: ignore[import-not-found]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_gdb import classify  # noqa: E402

_PYTHON_ERRORS = ("Traceback", "Python Exception")


def _interrupt_after(pid: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(["sh", "-c", "sleep %.4f; kill -INT %d" % (seconds, pid)])


def _frame_registers() -> List[str]:
    """pc/sp of each frame of the selected thread, for the report of a bad stack."""
    out: List[str] = []
    frame = gdb.newest_frame()
    while frame is not None and len(out) < 64:
        try:
            out.append("%#x/%#x" % (frame.pc(), int(frame.read_register("sp"))))
        except gdb.error:
            out.append("%#x/?" % frame.pc())
        frame = frame.older()
    return out


def interrupts() -> None:
    count = int(os.environ.get("INTERRUPTS", "100"))
    rng = random.Random(int(os.environ.get("INTERRUPTS_SEED", "15")))
    inferior = gdb.selected_inferior()
    stops = 0
    kinds: Dict[str, int] = {}
    bottoms: Dict[str, int] = {}
    tops: Dict[str, int] = {}
    explained: Dict[str, int] = {}
    bad: List[Dict[str, Any]] = []
    python_errors: List[str] = []
    for _ in range(count):
        killer = _interrupt_after(inferior.pid, rng.uniform(0.001, 0.040))
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error:
            killer.wait()
            break
        killer.wait()
        if not inferior.pid:
            break
        stops += 1
        text = gdb.execute("thread apply all bt", to_string=True)
        python_errors += [ln for ln in text.splitlines() if ln.startswith(_PYTHON_ERRORS)]
        for thread in inferior.threads():
            thread.switch()
            r = classify()
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
            bottom = r["frames"][-1] if r["frames"] else "(none)"
            bottoms[bottom] = bottoms.get(bottom, 0) + 1
            top = r["frames"][0] if r["frames"] else "(none)"
            tops[top] = tops.get(top, 0) + 1
            if r["kind"] == "explained":
                key = "%s: %s" % (r["frames"][0] if r["frames"] else "?", r["why"])
                explained[key] = explained.get(key, 0) + 1
            elif r["kind"] in ("silent", "garbage") and len(bad) < 50:
                r["pcs"] = _frame_registers()
                bad.append(r)
    with open(os.environ["INTERRUPTS_OUT"], "w") as f:
        json.dump({"stops": stops, "kinds": kinds, "bottoms": bottoms, "tops": tops,
                   "explained": explained,
                   "bad": bad, "python_errors": python_errors[:20]}, f, indent=1)


interrupts()
