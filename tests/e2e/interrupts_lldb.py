"""Runs inside lldb-22 (`command script import interrupts_lldb.py`, after `plugin load
libcgounwind.so` and a stop in storm_ready of testdata/storm): interrupts the running program at
random moments and classifies every thread's stack at each stop as `bt` shows it with the plugin
(sweep_lldb.Sweep.classify: the single-step sweep's rules, sweep_rules.py).

Each interrupt is a SIGINT sent to the process by a separate `sleep; kill` process 1–40 ms
after the continue (`process handle SIGINT -s true -p false`: LLDB stops every thread wherever
it is and the program never sees the signal). `thread backtrace all` is also run at every stop
and searched for Python errors.

Environment: INTERRUPTS (how many), INTERRUPTS_SEED, INTERRUPTS_OUT (a JSON file).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import Any, Dict, List

import lldb  # type: ignore[import-not-found]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_lldb import Sweep  # noqa: E402

_PYTHON_ERRORS = ("Traceback", "Python Exception", "error: python")


def _tally(table: Dict[str, int], key: str) -> None:
    table[key] = table.get(key, 0) + 1


def interrupts(debugger: lldb.SBDebugger) -> Dict[str, Any]:
    count = int(os.environ.get("INTERRUPTS", "100"))
    rng = random.Random(int(os.environ.get("INTERRUPTS_SEED", "15")))
    sweep = Sweep(debugger)
    process = sweep.process
    kinds: Dict[str, int] = {}
    bottoms: Dict[str, int] = {}
    tops: Dict[str, int] = {}
    explained: Dict[str, int] = {}
    bad: List[Dict[str, Any]] = []
    python_errors: List[str] = []
    stops = 0
    for _ in range(count):
        sweep.said.clear()
        sweep.shim._warned.clear()  # each stop's lines are printed as to a user stopping there
        sweep.walker = None  # memory changed: the core's walker caches what it read
        killer = subprocess.Popen(["sh", "-c", "sleep %.4f; kill -INT %d" % (
            rng.uniform(0.001, 0.040), process.GetProcessID())])
        process.Continue()
        killer.wait()
        if process.GetState() != lldb.eStateStopped:
            break
        stops += 1
        result = lldb.SBCommandReturnObject()
        sweep.ci.HandleCommand("thread backtrace all", result)
        text = result.GetOutput() + result.GetError()
        python_errors += [ln for ln in text.splitlines() if ln.strip().startswith(_PYTHON_ERRORS)]
        for thread in process:
            r = sweep.classify(thread)
            _tally(kinds, r["kind"])
            _tally(bottoms, r["frames"][-1] if r["frames"] else "(none)")
            _tally(tops, r["frames"][0] if r["frames"] else "(none)")
            if r["kind"] == "explained":
                _tally(explained, "%s: %s" % (r["frames"][0] if r["frames"] else "?", r["why"]))
            elif r["kind"] in ("silent", "garbage") and len(bad) < 50:
                bad.append(r)
    return {"stops": stops, "kinds": kinds, "bottoms": bottoms, "tops": tops,
            "explained": explained, "bad": bad, "python_errors": python_errors[:20]}


def __lldb_init_module(debugger: lldb.SBDebugger, internal_dict: Any) -> None:
    if not os.environ.get("INTERRUPTS_OUT"):
        return
    debugger.SetAsync(False)
    try:
        result = interrupts(debugger)
    except Exception as e:  # noqa: BLE001 - the test reads the error from the JSON file
        import traceback
        result = {"error": "%s\n%s" % (e, traceback.format_exc())}
    with open(os.environ["INTERRUPTS_OUT"], "w") as f:
        json.dump(result, f, indent=1)
