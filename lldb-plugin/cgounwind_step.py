"""cgounwind for LLDB and lldb-dap: `thread step-in/over/out` (s, n, finish; DAP stepIn, next,
stepOut) across the cgo boundary. No Go knowledge here: the core (stepping.h) says where a
step that ended in cgo's glue should go.

LLDB's own step runs unchanged. When it ends in cgo's glue (the `_Cfunc_` stub, the C prolog,
the C export wrapper, the runtime's switch code), the target stop-hook (cgounwind_lldb.StopHook)
calls `after_step`, which queues a scripted thread plan (CgoRunTo) on the thread and asks LLDB to
resume: LLDB then reports one stop, where the user meant to go, as the end of the step.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import lldb

import cgounwind_lldb as shim

_GESTURES = {"step in": "in", "step over": "over", "step out": "out"}
_MAX_FRAMES = 64  # the glue is at most a dozen frames deep; a bound on the walk


def _gesture(thread: lldb.SBThread) -> Optional[str]:
    """The gesture whose plan just completed on this thread, or None."""
    if thread.GetStopReason() != lldb.eStopReasonPlanComplete:
        return None
    return _GESTURES.get(thread.GetStopDescription(64).strip())


def _walker(process: lldb.SBProcess) -> Any:
    go, _ = shim.go_modules(process.GetTarget())
    if not go or not any(b.layout_complete() for b, _ in go):
        return None
    return shim.core.Walker(go, shim._reader(process))


def _stack(thread: lldb.SBThread) -> list[tuple[str, int, int]]:
    """(function, pc, sp) of each frame: LLDB's names; the sp of a spliced frame (which LLDB
    does not know: a ScriptedFrame has no registers) from the core's walk of this stop."""
    n = min(thread.GetNumFrames(), _MAX_FRAMES)  # runs the frame provider's walk
    process = thread.GetProcess()
    sps: dict[int, int] = {}
    walked = shim._walks.get((process.GetProcessID(), thread.GetThreadID()))
    if walked is not None and walked[0] == process.GetStopID():
        first, frames = walked[1], walked[2]
        for j, f in enumerate(frames):
            sp = getattr(f, "sp", None)
            if sp is not None:
                sps[first + j] = sp
    out = []
    for i in range(n):
        f = thread.GetFrameAtIndex(i)
        out.append((f.GetFunctionName() or "", f.GetPC(), sps.get(i, f.GetSP())))
    return out


def _first_line(target: lldb.SBTarget, name: str) -> Optional[int]:
    """Load address of `name`'s first line past its prologue (None without line info)."""
    for ctx in target.FindFunctions(name, lldb.eFunctionNameTypeFull):
        fn = ctx.GetFunction()
        if not fn.IsValid():
            continue
        start = fn.GetStartAddress().GetLoadAddress(target)
        if start == lldb.LLDB_INVALID_ADDRESS:
            continue
        if fn.GetPrologueByteSize():
            return start + fn.GetPrologueByteSize()
        return _second_line(target, ctx, start, fn.GetEndAddress().GetLoadAddress(target))
    return None


def _second_line(target: lldb.SBTarget, ctx: lldb.SBSymbolContext, start: int,
                 end: int) -> int:
    """Optimized code marks no prologue end: the first line entry after the function's opening
    line (GDB's rule), else its start."""
    cu = ctx.GetCompileUnit()
    entries = []
    for i in range(cu.GetNumLineEntries()):
        e = cu.GetLineEntryAtIndex(i)
        addr = e.GetStartAddress().GetLoadAddress(target)
        if start <= addr < end and e.GetLine():
            entries.append((addr, e.GetLine()))
    entries.sort()
    if not entries:
        return start
    opening = entries[0][1]
    for addr, line in entries:
        if addr > start and line != opening:
            return addr
    return start


def after_step(process: lldb.SBProcess) -> bool:
    """At a stop: True when it queued a plan on a thread whose step ended in cgo's glue (the
    stop-hook then resumes instead of reporting the stop)."""
    # The thread whose step just ended (lldb-dap may not have selected it yet).
    thread, gesture = lldb.SBThread(), None
    for t in process:
        gesture = _gesture(t)
        if gesture:
            thread = t
            break
    walker = _walker(process) if gesture else None
    if walker is None:
        return False
    stack = _stack(thread)
    plan = walker.plan_after_step(gesture, stack)
    args: dict[str, Any] = {}
    target = process.GetTarget()
    if plan["action"] == "function":
        pc = _first_line(target, plan["function"])
        if pc is None:  # no line to stop at (no debug info): out instead
            plan = walker.plan_after_step("out" if gesture == "out" else "over", stack)
        else:
            args = {"pc": pc, "check": "none", "then": ""}
    if plan["action"] == "frame":
        pc, sp = plan["pc"], plan["sp"]
        args = {"pc": pc, "sp": sp, "then": gesture if plan["finish_line"] else ""}
        if walker.is_go_pc(pc):
            pos = walker.goroutine_pos(shim.lwp_of(thread), sp)
            if pos is None:
                return False
            args.update({"check": "goroutine", "goid": pos[0], "depth": pos[1]})
        else:
            args["check"] = "sp"
    if args:  # the stop says what the user did ("step in"), as LLDB's own step would
        args["description"] = thread.GetStopDescription(64).strip()
    if not args:
        if plan["why"]:
            print(plan["why"])
        return False
    data = lldb.SBStructuredData()
    data.SetFromJSON(json.dumps(args))
    error = thread.StepUsingScriptedThreadPlan("cgounwind_lldb.CgoRunTo", data, False)
    return error.Success()


class CgoRunTo:
    """Scripted thread plan: run this thread to `pc` (LLDB's run-to-address plan), until the
    check holds there (same sp for C; same goroutine at the same depth for Go), then optionally
    finish the line with LLDB's step over/in range plan."""

    def __init__(self, thread_plan: lldb.SBThreadPlan, args: lldb.SBStructuredData,
                 *_: Any) -> None:
        self.plan = thread_plan
        self.thread = thread_plan.GetThread()
        self.target = self.thread.GetProcess().GetTarget()

        def get(key: str) -> Any:
            v = args.GetValueForKey(key)
            if v.GetType() == lldb.eStructuredDataTypeString:
                return v.GetStringValue(64)
            return v.GetUnsignedIntegerValue()
        self.pc, self.check = get("pc"), get("check")
        self.sp = get("sp") if self.check != "none" else 0
        self.goid = get("goid") if self.check == "goroutine" else 0
        self.depth = get("depth") if self.check == "goroutine" else 0
        self.then = get("then")
        self.description = get("description")
        self.finishing = False
        self.sub = self._run_to()

    def _run_to(self) -> lldb.SBThreadPlan:
        return self.plan.QueueThreadPlanForRunToAddress(lldb.SBAddress(self.pc, self.target))

    def _arrived(self) -> bool:
        frame = self.thread.GetFrameAtIndex(0)
        if self.check == "sp":
            return frame.GetSP() == self.sp
        if self.check == "goroutine":
            process = self.thread.GetProcess()
            walker = _walker(process)
            go, _ = shim.go_modules(process.GetTarget())
            if walker is None or not go:
                return True
            g = frame.FindRegister(go[0][0].arch.g).GetValueAsUnsigned()
            return walker.goroutine_pos_of_g(g, frame.GetSP()) == (self.goid, self.depth)
        return True

    def explains_stop(self, event: lldb.SBEvent) -> bool:
        return False

    def should_stop(self, event: lldb.SBEvent) -> bool:
        try:
            if not self.sub.IsPlanComplete():
                return False
            if self.finishing:
                self.plan.SetPlanComplete(True)
                return True
            if not self._arrived():
                self.sub = self._run_to()  # another frame or goroutine passed by: go on
                return False
            if self.then:
                self.finishing = True
                entry = self.thread.GetFrameAtIndex(0).GetLineEntry()
                start = self.thread.GetFrameAtIndex(0).GetPCAddress()
                end = entry.GetEndAddress().GetLoadAddress(self.target)
                size = max(1, end - start.GetLoadAddress(self.target))
                if self.then == "in":
                    self.sub = self.plan.QueueThreadPlanForStepInRange(start, size)
                else:
                    self.sub = self.plan.QueueThreadPlanForStepOverRange(start, size)
                return False
            self.plan.SetPlanComplete(True)
            return True
        except Exception:  # noqa: BLE001 - nothing may escape into LLDB
            self.plan.SetPlanComplete(True)
            return True

    def should_step(self) -> bool:
        return False

    def is_stale(self) -> bool:
        return False

    def stop_description(self, stream: lldb.SBStream) -> None:
        stream.Print(self.description)
