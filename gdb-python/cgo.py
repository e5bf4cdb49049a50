"""cgounwind for GDB: one true backtrace through Go's stack switches (cgo calls, callbacks,
systemstack, mcall, morestack) and goroutine commands.

Usage:  (gdb) source <checkout>/gdb-python/cgo.py

This file is a thin adapter: it hands registers and memory to the C++ core (module _cgounwind)
and turns the core's answers into GDB unwinder results. It holds no Go-runtime knowledge.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Dict, List, Optional, Tuple

import gdb  # type: ignore[import-not-found]
import gdb.unwinder  # type: ignore[import-not-found]

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEBUG = bool(os.environ.get("CGOUNWIND_DEBUG"))


def _find_native_module() -> Optional[str]:
    """Directory holding _cgounwind*.so: $CGOUNWIND_PYTHONPATH, the checkout's build tree,
    or the installed share/cgounwind/python."""
    candidates = [
        os.environ.get("CGOUNWIND_PYTHONPATH", ""),
        os.path.join(_HERE, "..", "build", "python"),
        os.path.join(_HERE, "..", "python"),
    ]
    for d in candidates:
        if d and os.path.isdir(d) and any(f.startswith("_cgounwind") for f in os.listdir(d)):
            return os.path.abspath(d)
    return None


_native_dir = _find_native_module()
if _native_dir is None:
    raise gdb.GdbError("cgounwind: native module _cgounwind not found; build it first "
                       "(cmake -S . -B build && cmake --build build)")
if _native_dir not in sys.path:
    sys.path.insert(0, _native_dir)
import _cgounwind as core  # type: ignore[import-not-found]  # noqa: E402


def _warn(msg: str) -> None:
    gdb.write("cgounwind: %s\n" % msg, gdb.STDERR)


def _read_memory(addr: int, size: int) -> Optional[bytes]:
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, size))
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        return None


class _Target:
    """The core's view of one executable, and per-thread walk states for the current stop."""

    def __init__(self, binary: "core.Binary") -> None:
        self.binary = binary
        self.walker = core.Walker(binary, _read_memory)
        # thread number -> list of (level, WalkState after that level), in level order.
        self.states: Dict[int, List[Tuple[int, "core.WalkState"]]] = {}
        self.reported: set = set()

    def reset(self) -> None:
        self.walker.clear_cache()
        self.states.clear()
        self.reported.clear()

    def state_before(self, thread: int, level: int) -> "core.WalkState":
        entries = self.states.setdefault(thread, [])
        while entries and entries[-1][0] >= level:  # GDB is unwinding this thread again
            entries.pop()
        return entries[-1][1] if entries else core.WalkState()

    def record(self, thread: int, level: int, state: "core.WalkState") -> None:
        self.states.setdefault(thread, []).append((level, state))


_targets: Dict[str, Optional[_Target]] = {}


def _target() -> Optional[_Target]:
    """The _Target of the current program space's executable, or None when it is not Go."""
    try:
        path = gdb.current_progspace().filename
    except gdb.error:
        return None
    if not path:
        return None
    if path not in _targets:
        binary, err = core.load_binary(path)
        if binary is None:
            _targets[path] = None  # not Go (or unreadable): stay silent and harmless
        else:
            if not binary.layout_complete():
                _warn("%s: runtime layout incomplete (%s); stack splicing disabled"
                      % (os.path.basename(path), binary.layout_missing()))
            _targets[path] = _Target(binary)
    return _targets[path]


def _reset_all(*_args: object) -> None:
    for t in _targets.values():
        if t is not None:
            t.reset()


def _forget_binaries(*_args: object) -> None:
    _targets.clear()


class _FrameId:
    """GDB 13 reads frame-id attributes as gdb.Value."""

    def __init__(self, sp: int, pc: int, special: int) -> None:
        self.sp = gdb.Value(sp).cast(_u64())
        self.pc = gdb.Value(pc).cast(_u64())
        self.special = gdb.Value(special).cast(_u64())


def _u64() -> "gdb.Type":
    return gdb.lookup_type("unsigned long")


def _reg(frame: "gdb.PendingFrame", name: str) -> int:
    return int(frame.read_register(name)) & 0xFFFFFFFFFFFFFFFF


class CgoUnwinder(gdb.unwinder.Unwinder):
    """Claims the frames where Go switched stacks and the Go frames after such a switch.

    Frame ids of spliced frames never go below the previous frame's id: GDB rejects a caller
    that looks "inner" to its callee, and goroutine stacks sit below thread stacks."""

    def __init__(self) -> None:
        super().__init__("cgounwind")

    def __call__(self, pending_frame: "gdb.PendingFrame"):  # noqa: C901 - one dispatch
        try:
            return self._unwind(pending_frame)
        except Exception as e:  # never let an exception reach GDB's unwinder loop
            _warn("frame #%s: internal error: %s; backtrace truncated"
                  % (_safe_level(pending_frame), e))
            return None

    def _unwind(self, pending_frame: "gdb.PendingFrame"):
        target = _target()
        if target is None or not target.binary.layout_complete():
            return None
        if pending_frame.architecture().name() != "i386:x86-64":
            return None
        thread = gdb.selected_thread()
        if thread is None:
            return None
        level = pending_frame.level()
        try:
            pc, sp, bp = (_reg(pending_frame, r) for r in ("rip", "rsp", "rbp"))
        except gdb.error:
            return None  # registers unavailable (e.g. the end-of-stack frame): nothing to do
        if pc == 0:
            return None
        state = target.state_before(thread.num, level)
        step = target.walker.step(pc=pc, sp=sp, bp=bp, state=state, lwp=thread.ptid[1],
                                  innermost=(level == 0))
        kind = step.kind
        if _DEBUG:
            gdb.write("cgounwind-debug: #%d pc=%#x sp=%#x bp=%#x -> %s %s caller pc=%#x sp=%#x "
                      "bp=%#x id=%#x %s\n" % (level, pc, sp, bp, kind.name, step.rule, step.pc,
                                               step.sp, step.bp, step.id_sp, step.error))
        if kind == core.StepKind.NotMine:
            return None
        target.record(thread.num, level, step.state)
        special = step.cfa if step.cfa else pc
        info = pending_frame.create_unwind_info(_FrameId(step.id_sp, step.func_entry or pc, special))
        if kind == core.StepKind.Caller:
            info.add_saved_register("rip", gdb.Value(step.pc).cast(_u64()))
            info.add_saved_register("rsp", gdb.Value(step.sp).cast(_u64()))
            info.add_saved_register("rbp", gdb.Value(step.bp).cast(_u64()))
            return info
        if kind == core.StepKind.Stop:
            key = (thread.num, level, pc)
            if key not in target.reported:
                target.reported.add(key)
                _warn("thread %d frame #%d: %s; backtrace truncated" % (thread.num, level, step.error))
        # Outermost or Stop: a zero return address ends the backtrace (hidden by the filter).
        info.add_saved_register("rip", gdb.Value(0).cast(_u64()))
        info.add_saved_register("rsp", gdb.Value(step.id_sp).cast(_u64()))
        info.add_saved_register("rbp", gdb.Value(0).cast(_u64()))
        return info


def _safe_level(frame: "gdb.PendingFrame") -> str:
    try:
        return str(frame.level())
    except Exception:
        return "?"


class _HideEndFrames:
    """Frame filter: drops the zero-pc frame that terminates a goroutine stack."""

    def __init__(self) -> None:
        self.name = "cgounwind-end"
        self.priority = 100
        self.enabled = True

    def filter(self, frame_iter):
        return (f for f in frame_iter if not _is_end_frame(f))


def _is_end_frame(decorator) -> bool:
    try:
        frame = decorator.inferior_frame()
        return frame.level() > 0 and frame.pc() == 0
    except Exception:
        return False


def _register() -> None:
    if getattr(gdb, "_cgounwind_registered", False):
        return
    gdb._cgounwind_registered = True  # type: ignore[attr-defined]
    gdb.unwinder.register_unwinder(None, CgoUnwinder(), replace=True)
    gdb.frame_filters["cgounwind-end"] = _HideEndFrames()
    for ev in (gdb.events.stop, gdb.events.cont, gdb.events.memory_changed,
               gdb.events.register_changed, gdb.events.inferior_call, gdb.events.exited):
        ev.connect(_reset_all)
    gdb.events.new_objfile.connect(_forget_binaries)
    gdb.events.clear_objfiles.connect(_forget_binaries)
    # Go's real "main" is runtime.main: show it (and the goroutine start) below main.main.
    gdb.execute("set backtrace past-main on", to_string=True)


def _thread_for_lwp(lwp: int) -> Optional["gdb.InferiorThread"]:
    if lwp == 0:
        return None
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == lwp:
            return t
    return None


def _require_target() -> _Target:
    target = _target()
    if target is None:
        raise gdb.GdbError("cgounwind: the current program is not a Go binary cgounwind can read")
    return target


class InfoGoroutines(gdb.Command):
    """List goroutines: id, status (wait reason), the thread running it, whether it is inside C
right now, and where it is. '*' marks goroutines that are on a thread.
Usage: info goroutines"""

    def __init__(self) -> None:
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg: str, from_tty: bool) -> None:
        target = _require_target()
        table = target.walker.goroutines()
        if table.error:
            _warn(table.error)
        lines = ["  %-8s %-28s %-7s %-5s %s" % ("Id", "Status", "Thread", "In C", "Location")]
        for g in table.goroutines:
            status = g.status_name + (" (%s)" % g.wait_reason if g.wait_reason else "")
            thread = _thread_for_lwp(g.lwp) if g.lwp else None
            where = g.func or "0x%x" % g.pc
            if g.file:
                where += " at %s:%d" % (g.file, g.line)
            lines.append("%s %-8d %-28s %-7s %-5s %s" % (
                "*" if g.m else " ", g.goid, status, str(thread.num) if thread else "-",
                "yes" if g.in_c else "no", where))
        gdb.write("\n".join(lines) + "\n")


class GoroutineCmd(gdb.Command):
    """Run a command for one goroutine.
Usage: goroutine ID bt        backtrace of goroutine ID (C frames first when it is inside C)
       goroutine ID COMMAND   run COMMAND on the thread running goroutine ID"""

    def __init__(self) -> None:
        super().__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg: str, from_tty: bool) -> None:
        parts = arg.split(None, 1)
        if len(parts) < 2 or not parts[0].isdigit():
            raise gdb.GdbError("usage: goroutine ID bt | goroutine ID COMMAND")
        goid, command = int(parts[0]), parts[1].strip()
        target = _require_target()
        table = target.walker.goroutines()
        found = [g for g in table.goroutines if g.goid == goid]
        if not found:
            raise gdb.GdbError("cgounwind: no goroutine %d%s" % (
                goid, " (%s)" % table.error if table.error else ""))
        g = found[0]
        thread = _thread_for_lwp(g.lwp)
        on_thread = thread is not None and (g.in_c or g.status_name == "running")
        if on_thread:
            previous = gdb.selected_thread()
            thread.switch()
            try:
                gdb.execute(command, from_tty)
            finally:
                if previous is not None and previous.is_valid():
                    previous.switch()
            return
        if command not in ("bt", "backtrace", "where"):
            raise gdb.GdbError("cgounwind: goroutine %d is not running on a thread; "
                               "only 'goroutine %d bt' is available" % (goid, goid))
        stack = target.walker.goroutine_stack(g.addr, g.pc, g.sp, g.bp)
        for i, f in enumerate(stack.frames):
            loc = " at %s:%d" % (f.file, f.line) if f.file else ""
            gdb.write("#%-3d0x%016x in %s ()%s\n" % (i, f.pc, f.func, loc))
        if stack.error:
            _warn("goroutine %d: %s; backtrace truncated" % (goid, stack.error))


_register()
InfoGoroutines()
GoroutineCmd()
