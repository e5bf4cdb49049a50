"""Runs inside GDB (`gdb -x sweep_gdb.py`, after `source cgo.py`): single-steps a stopped Go
program instruction by instruction and classifies the backtrace at every distinct pc.

Environment: SWEEP_FROM (a breakpoint location), SWEEP_UNTIL (the function whose entry ends the
sweep, e.g. main.main once back there), SWEEP_MAX (instructions), SWEEP_OUT (a JSON file).

Each stop is classified by the rules shared with the LLDB sweep (sweep_rules.py): whole,
explained (cgounwind's one line, or GDB's "Backtrace stopped"), silent, garbage.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional

import gdb  # type: ignore[import-not-found]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_rules as R  # noqa: E402

_section_of: Dict[int, str] = {}


def _section(pc: int) -> str:
    if pc not in _section_of:
        text = gdb.execute("info symbol %#x" % pc, to_string=True)
        _section_of[pc] = text.rsplit(" section ", 1)[-1].strip() if " section " in text else ""
    return _section_of[pc]


def _cgo_stop_reason(thread: int) -> Optional[str]:
    main = __import__("__main__")
    target = main._target() if hasattr(main, "_target") else None
    if target is None:
        return None
    for (num, _level), why in target.stops.items():
        if num == thread:
            return why
    return None


def _no_goroutine_above(thread: Optional["gdb.InferiorThread"], bottom: "gdb.Frame") -> bool:
    """sweep_rules.no_goroutine_above, with GDB's facts about the stack's last frame."""
    main = __import__("__main__")
    target = main._target() if hasattr(main, "_target") else None
    if target is None or thread is None:
        return False
    inferior = gdb.selected_inferior()

    def read_word(addr: int) -> int:
        return int.from_bytes(inferior.read_memory(addr, 8).tobytes(), "little")
    return R.no_goroutine_above(target.walker, thread.ptid[1], bottom.name() or "",
                                inferior.architecture().name() == "i386:x86-64",
                                int(bottom.read_register("rsp")), read_word)


def classify() -> Dict[str, Any]:
    frames: List[str] = []
    garbage = False
    frame: Optional[gdb.Frame] = gdb.newest_frame()
    last = frame
    exact = True  # frame 0, and a frame a signal interrupted: its pc is not a return address
    while frame is not None and len(frames) < R.MAX_FRAMES:
        if frame.pc() == 0:  # cgounwind's end of a stack (its frame filter hides it)
            break
        name = frame.name()
        # The frame asyncPreempt or sigpanic was made to look called from: its pc is exact, and
        # cgo.py's frame filter names it there (GDB's own name is pc - 1's): as `bt` shows it.
        main = __import__("__main__")
        if frame.level() > 0 and hasattr(main, "_exact_pc") and main._exact_pc(frame):
            exact = True
            name = main._target().walker.func_name(frame.pc()) or name
        frames.append(name or "??")
        if frame.type() == gdb.NORMAL_FRAME:
            sec = _section(frame.pc() if exact else frame.pc() - 1)
            code = R.is_code(sec)
            # Frame 0 is where the thread is: GDB names it (a nameless PLT stub shows `??`);
            # a `??` or data symbol above it is a frame an unwinder made up.
            garbage = garbage or not code or (name is None and len(frames) > 1)
        exact = frame.type() == gdb.SIGTRAMP_FRAME
        last = frame
        frame = frame.older()
    stop = last.unwind_stop_reason() if last is not None else gdb.FRAME_UNWIND_OUTERMOST
    thread = gdb.selected_thread()
    cgo_why = _cgo_stop_reason(thread.num) if thread else None
    gdb_why = gdb.frame_stop_reason_string(stop) if stop not in (
        gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST) else ""
    kind = R.verdict(frames, garbage, cgo_why or "", gdb_why,
                     lambda: _no_goroutine_above(thread, last))
    why = cgo_why or (gdb_why if kind == "explained" else "")
    return {"kind": kind, "frames": frames, "why": why}


def sweep() -> None:
    until = os.environ.get("SWEEP_UNTIL", "main.main")
    limit = int(os.environ.get("SWEEP_MAX", "20000"))
    seen: Dict[int, Dict[str, Any]] = {}
    visits: Dict[int, int] = {}
    steps = 0
    while steps < limit and gdb.selected_thread() is not None:
        frame = gdb.newest_frame()
        pc = frame.pc()
        if pc not in seen:
            result = classify()
            result["function"] = frame.name() or "??"
            seen[pc] = result
        if steps and frame.name() == until:
            break
        visits[pc] = visits.get(pc, 0) + 1
        # A spin loop (the scheduler waiting, clock_gettime retrying): its pcs are all seen;
        # leave the function rather than step it for ever.
        try:
            gdb.execute("finish" if visits[pc] > 20 and frame.older() is not None else "stepi",
                        to_string=True)
        except gdb.error as e:  # the program ended, or `finish` had nowhere to go
            if not gdb.selected_thread() or "not being run" in str(e):
                break
            gdb.execute("stepi", to_string=True)
        steps += 1
    counts: Dict[str, int] = {}
    for r in seen.values():
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    bad = {"%#x" % pc: r for pc, r in seen.items() if r["kind"] in ("silent", "garbage")}
    why: Dict[str, int] = {}
    for r in seen.values():
        if r["kind"] == "explained":
            key = "%s: %s" % (r["function"], r["why"])
            why[key] = why.get(key, 0) + 1
    with open(os.environ["SWEEP_OUT"], "w") as f:
        json.dump({"steps": steps, "pcs": len(seen), "counts": counts, "bad": bad,
                   "explained": why}, f, indent=1)


if os.environ.get("SWEEP_OUT"):  # run by `gdb -x`; interrupts_gdb.py imports classify()
    sweep()
