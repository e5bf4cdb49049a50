"""Runs inside lldb-22 (`command script import sweep_lldb.py`, after `plugin load
libcgounwind.so` and a stop): single-steps a stopped Go program instruction by instruction
(`thread step-inst`) and classifies, at every distinct pc, the selected thread's `bt` as the user
sees it with the plugin, by the rules the GDB sweep uses (sweep_rules.py).

Environment: SWEEP_UNTIL (the function whose entry ends the sweep, e.g. main.main once back
there), SWEEP_MAX (instructions), SWEEP_OUT (a JSON file).

The reason for an early end can only be cgounwind's one line (`cgounwind: thread #N: …;
backtrace truncated`): LLDB prints nothing when its own unwinder stops. The plugin prints each
distinct line once per session; the sweep forgets what it printed before every stop, so that
each stop is judged by what a user stopping there first would read.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any, Dict, List, Optional

import lldb  # type: ignore[import-not-found]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lldb_common as L  # noqa: E402
import sweep_rules as R  # noqa: E402

# `  * frame #3: 0x0000000000401234 module`function(args) at file.c:3:1 [synthetic]`
_BT_FRAME = re.compile(r"^\s*\*?\s*frame #(\d+): (0x[0-9a-f]+)(?: (?:[^`\s]+)`(.*))?$")
# LLDB's name for a function it found no symbol for (a PLT stub, code without a symbol table)
_UNNAMED = "___lldb_unnamed_symbol"
# Frames whose caller's pc is where a signal interrupted it, not a return address.
_TRAMPOLINES = ("__restore_rt", "runtime.sigreturn", "runtime.sigreturn__sigaction")


def _frame_name(rest: Optional[str]) -> str:
    """The function of a bt line's text after the backtick (lldb_common's rule); `??` for a
    nameless frame, LLDB's made-up `___lldb_unnamed_symbol…` names included."""
    name = L.frame_name(rest)
    return "??" if name.startswith(_UNNAMED) else name


class Sweep:
    def __init__(self, debugger: lldb.SBDebugger) -> None:
        self.debugger = debugger
        self.ci = debugger.GetCommandInterpreter()
        self.target = debugger.GetSelectedTarget()
        self.process = self.target.GetProcess()
        self.shim = sys.modules["cgounwind_lldb"]
        self.said: List[str] = []
        self.sections: Dict[int, str] = {}
        self.walker: Any = None
        self.amd64 = self.target.GetTriple().startswith("x86_64")
        self.run_mode = os.environ.get("SWEEP_RUN_MODE", "this-thread")
        self.tid = self.process.GetSelectedThread().GetThreadID()
        self._record_plugin_lines()

    def _record_plugin_lines(self) -> None:
        """Keep every line the plugin prints (it still prints it)."""
        say = self.shim._say_once
        said = self.said

        def recording(debugger: lldb.SBDebugger, line: str) -> None:
            if line not in self.shim._warned:
                said.append(line)
            say(debugger, line)
        self.shim._say_once = recording

    def _section(self, pc: int) -> str:
        if pc not in self.sections:
            sec = self.target.ResolveLoadAddress(pc).GetSection()
            self.sections[pc] = (sec.GetName() or "") if sec.IsValid() else ""
        return self.sections[pc]

    def _walker(self) -> Any:
        if self.walker is None:
            go, _ = self.shim.go_modules(self.target)
            self.walker = self.shim.core.Walker(go, self.shim._reader(self.process))
        return self.walker

    def _read_word(self, addr: int) -> Optional[int]:
        err = lldb.SBError()
        v = self.process.ReadPointerFromMemory(addr, err)
        return v if err.Success() else None

    def _bottom_sp(self, thread: lldb.SBThread, index: int) -> Optional[int]:
        """SP of frame `index`: LLDB's, or (a spliced frame has no registers) the core's walk's."""
        walked = self.shim._walks.get((self.process.GetProcessID(), thread.GetThreadID()))
        if walked is not None and walked[0] == self.process.GetStopID():
            j = index - walked[1]
            if 0 <= j < len(walked[2]):
                return walked[2][j].sp
        sp = thread.GetFrameAtIndex(index).GetSP()
        return sp if sp not in (0, lldb.LLDB_INVALID_ADDRESS) else None

    def thread_pc(self, thread: lldb.SBThread) -> Optional[int]:
        """Where the thread is, from the kernel (/proc/PID/task/TID/syscall of a stopped thread:
        `-1 SP PC`), not from LLDB's frames, which the plugin under test provides."""
        try:
            with open("/proc/%d/task/%d/syscall" % (self.process.GetProcessID(),
                                                    thread.GetThreadID())) as f:
                return int(f.read().split()[-1], 16)
        except (OSError, ValueError, IndexError):
            return None

    def new_stop(self) -> None:
        """Before the process runs again: the next stop's plugin lines are printed (and kept)
        as to a user stopping there first, and the core reads memory afresh."""
        self.said.clear()
        self.shim._warned.clear()
        self.walker = None

    def classify(self, thread: Optional[lldb.SBThread] = None) -> Dict[str, Any]:
        """The selected thread's `bt`, or `thread`'s (`thread backtrace N`: inside a command,
        as here, `thread select` does not move the context a plain `bt` runs in)."""
        result = lldb.SBCommandReturnObject()
        if thread is None:
            thread = self.process.GetSelectedThread()
            self.ci.HandleCommand("bt", result)
        else:
            self.ci.HandleCommand("thread backtrace %d" % thread.GetIndexID(), result)
        text = result.GetOutput() + result.GetError()
        frames: List[str] = []
        numbers: List[int] = []
        pcs: List[int] = []
        made_up = False
        exact = True
        for ln in text.splitlines():
            m = _BT_FRAME.match(ln)
            # In the order printed: the numbers can skip or repeat one (see `holes` below).
            if not m or len(frames) >= R.MAX_FRAMES:
                continue
            numbers.append(int(m.group(1)))
            pc, name = int(m.group(2), 16), _frame_name(m.group(3))
            frames.append(name)
            pcs.append(pc)
            code = R.is_code(self._section(pc if exact else pc - 1))
            # Frame 0 is where the thread is: LLDB names it (a nameless PLT stub is LLDB's own);
            # a nameless frame or a data symbol above it is a frame an unwinder made up.
            made_up = made_up or not code or (name == "??" and len(frames) > 1)
            exact = name in _TRAMPOLINES
        # The stack must begin where the thread is: a list that lost its innermost frames is
        # as wrong as one with a made-up frame (before the provider handed on inlined frames,
        # `bt` began in the caller's caller at the first instruction of inlined code).
        at = self.thread_pc(thread)
        top_lost = at is not None and (not pcs or pcs[0] != at)
        garbage = made_up or top_lost
        prefix = "thread #%d: " % thread.GetIndexID()
        why = next((ln[len(prefix):] for ln in self.said if ln.startswith(prefix)), "")
        if not why:  # a failure of the provider itself is said without a thread
            why = next((ln for ln in self.said if ln.startswith("frame provider failed")), "")

        def alone() -> bool:
            return R.no_goroutine_above(self._walker(), thread.GetThreadID(), frames[-1],
                                        self.amd64, self._bottom_sp(thread, len(frames) - 1),
                                        self._read_word)
        kind = R.verdict(frames, garbage, why, "", alone)
        if kind == "garbage" and top_lost and why and not made_up:
            # The stack does not begin where the thread is, and the plugin said why (LLDB gave
            # its frame list no registers at that stop): explained, not made up.
            kind = "explained"
        # LLDB numbers a frame of its own that the provider hands on by its place in LLDB's own
        # list, and the provider's frames by their place in the new one: where the provider left
        # one of LLDB's frames out (a caller LLDB listed twice), the numbers skip one, and the
        # first spliced frame after it repeats the number before it.
        holes = numbers != list(range(len(numbers)))
        return {"kind": kind, "frames": frames, "why": why, "holes": holes, "top_lost": top_lost,
                "bt": text if kind in ("silent", "garbage") or holes else ""}

    def step(self, thread: lldb.SBThread, out: bool) -> bool:
        """One instruction (or, out of a spin loop, `finish`); False once the process is gone.
        SWEEP_RUN_MODE: `this-thread` (LLDB's default for `si`: the other threads stay stopped)
        or `all-threads` (`si -m all-threads`, as GDB's stepi: the scheduler's paths too)."""
        self.new_stop()
        if self.run_mode == "this-thread":
            err = lldb.SBError()
            if out:
                thread.StepOut(err)
            if not out or err.Fail():
                thread.StepInstruction(False, err)
        else:
            for command in (["thread step-out"] if out else []) + ["thread step-inst"]:
                result = lldb.SBCommandReturnObject()
                self.ci.HandleCommand(f"{command} -m {self.run_mode} {thread.GetIndexID()}",
                                      result)
                if result.Succeeded():
                    break
        if self.process.GetState() != lldb.eStateStopped:
            return False
        # Another thread's stop (a signal) may have selected it: the sweep follows its own.
        if not self.process.SetSelectedThreadByID(self.tid):
            return False
        return True

    def run(self) -> Dict[str, Any]:
        until = os.environ.get("SWEEP_UNTIL", "main.main")
        limit = int(os.environ.get("SWEEP_MAX", "20000"))
        seen: Dict[int, Dict[str, Any]] = {}
        visits: Dict[int, int] = {}
        steps = 0
        started = time.monotonic()
        while steps < limit and self.process.GetState() == lldb.eStateStopped:
            thread = self.process.GetSelectedThread()
            frame = thread.GetFrameAtIndex(0)
            pc = self.thread_pc(thread) or frame.GetPC()
            name = frame.GetFunctionName() or "??"
            if pc not in seen:
                r = self.classify()
                r["function"] = name
                seen[pc] = r
            if steps and name == until:
                break
            visits[pc] = visits.get(pc, 0) + 1
            # A spin loop (the scheduler waiting, clock_gettime retrying): its pcs are all seen;
            # leave the function rather than step it for ever.
            if not self.step(thread, visits[pc] > 20 and thread.GetNumFrames() > 1):
                break
            steps += 1
        counts: Dict[str, int] = {}
        for r in seen.values():
            counts[r["kind"]] = counts.get(r["kind"], 0) + 1
        bad = {"%#x" % pc: r for pc, r in seen.items() if r["kind"] in ("silent", "garbage")}
        holes = {"%#x" % pc: r for pc, r in seen.items() if r["holes"]}
        why: Dict[str, int] = {}
        for r in seen.values():
            if r["kind"] == "explained":
                key = "%s: %s" % (r["function"], re.sub(r"0x[0-9a-f]+", "0x…", r["why"]))
                why[key] = why.get(key, 0) + 1
        functions: Dict[str, int] = {}  # frame 0's function: distinct pcs
        for r in seen.values():
            functions[r["function"]] = functions.get(r["function"], 0) + 1
        return {"steps": steps, "pcs": len(seen), "counts": counts, "bad": bad,
                "explained": why, "holes": holes, "functions": functions,
                "seconds": round(time.monotonic() - started, 1)}


def __lldb_init_module(debugger: lldb.SBDebugger, internal_dict: Any) -> None:
    if not os.environ.get("SWEEP_OUT"):
        return
    debugger.SetAsync(False)
    try:
        result = Sweep(debugger).run()
    except Exception as e:  # noqa: BLE001 - the test reads the error from the JSON file
        import traceback
        result = {"error": "%s\n%s" % (e, traceback.format_exc())}
    with open(os.environ["SWEEP_OUT"], "w") as f:
        json.dump(result, f, indent=1)
