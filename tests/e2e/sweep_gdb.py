"""Runs inside GDB (`gdb -x sweep_gdb.py`, after `source cgo.py`): single-steps a stopped Go
program instruction by instruction and classifies the backtrace at every distinct pc.

Environment: SWEEP_FROM (a breakpoint location), SWEEP_UNTIL (the function whose entry ends the
sweep, e.g. main.main once back there), SWEEP_MAX (instructions), SWEEP_OUT (a JSON file).

Each stop is one of:
  whole      the stack reaches a thread's start (runtime.goexit, runtime.mstart, rt0_go, C main,
             start_thread / clone)
  explained  it ends early, and says why (cgounwind's one line, or GDB's "Backtrace stopped")
  silent     it ends early without a word
  garbage    a frame is `??` or a symbol outside code (a data symbol taken for a frame)
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import gdb  # type: ignore[import-not-found]

_BOTTOMS = ("runtime.goexit", "runtime.mstart", "runtime.rt0_go", "main", "start_thread",
            "clone", "clone3", "_start", "__libc_start_main", "__libc_start_call_main",
            "runtime.mstart0", "runtime.goexit1", "runtime.goexit0", "crosscall_amd64",
            "threadentry")
# A g0 stack whose switch function no longer has a goroutine above it (the scheduler dropped or
# handed off m.curg: gopreempt_m, park_m): the thread's stack ends there, whole.
_G0_BOTTOMS = ("runtime.morestack", "runtime.mcall")
_MAX_FRAMES = 256
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
    """A g0 stack ending at its switch function has no goroutine of this thread above it: the
    M runs none (m.curg == 0), or (amd64 mcall, whose frame holds the goroutine it switched from
    at its SP) the one it switched from is not the M's goroutine any more (dropped by fn, then
    run elsewhere, or another one started here by execute)."""
    main = __import__("__main__")
    target = main._target() if hasattr(main, "_target") else None
    if target is None or thread is None:
        return False
    curg = target.walker.goid_of_thread(thread.ptid[1])
    if curg is None:
        return True
    if bottom.name() != "runtime.mcall" or gdb.selected_inferior().architecture().name() != \
            "i386:x86-64":
        return False
    sp = int(bottom.read_register("rsp"))
    gp = int.from_bytes(gdb.selected_inferior().read_memory(sp, 8).tobytes(), "little")
    pos = target.walker.goroutine_pos_of_g(gp, sp) if gp else None
    return pos is None or pos[0] != curg


def classify() -> Dict[str, Any]:
    frames: List[str] = []
    garbage = False
    frame: Optional[gdb.Frame] = gdb.newest_frame()
    last = frame
    exact = True  # frame 0, and a frame a signal interrupted: its pc is not a return address
    while frame is not None and len(frames) < _MAX_FRAMES:
        if frame.pc() == 0:  # cgounwind's end of a stack (its frame filter hides it)
            break
        name = frame.name()
        frames.append(name or "??")
        if frame.type() == gdb.NORMAL_FRAME:
            sec = _section(frame.pc() if exact else frame.pc() - 1)
            code = not sec or sec.startswith((".text", ".plt", ".init", ".fini"))
            # Frame 0 is where the thread is: GDB names it (a nameless PLT stub shows `??`);
            # a `??` or data symbol above it is a frame an unwinder made up.
            garbage = garbage or not code or (name is None and len(frames) > 1)
        exact = frame.type() == gdb.SIGTRAMP_FRAME
        last = frame
        frame = frame.older()
    stop = last.unwind_stop_reason() if last is not None else gdb.FRAME_UNWIND_OUTERMOST
    thread = gdb.selected_thread()
    cgo_why = _cgo_stop_reason(thread.num) if thread else None
    if garbage:
        kind = "garbage"
    elif frames and frames[-1].split(".abi0")[0] in _BOTTOMS:
        kind = "whole"
    elif (frames and frames[-1] in _G0_BOTTOMS and not cgo_why
          and _no_goroutine_above(thread, last)):
        kind = "whole"
    elif cgo_why or stop not in (gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST):
        kind = "explained"
    else:
        kind = "silent"
    why = cgo_why or (gdb.frame_stop_reason_string(stop) if kind == "explained" else "")
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
