"""cgounwind for GDB: `step`, `next`, `finish` and `until` across the cgo boundary and along one
goroutine. Loaded by cgo.py; holds no Go knowledge: the core (stepping.h) says where a step
that ended in cgo's glue should go, and which pcs a goroutine may come back at.

GDB's own commands run unchanged. Two hooks per command (GDB's `hook-CMD` / `hookpost-CMD`):
- before: in Go code, goroutine nets: breakpoints at each line change of the function and at
  the return address, that stop only when *this goroutine* reaches them on *another thread*
  (GDB's own step is bound to the thread, which the goroutine may leave at any blocking call);
- after: if the step ended in cgo's glue (the `_Cfunc_` stub, the C prolog, the export wrapper,
  the runtime's switch code), run on to where the user meant: the C or Go function being
  called, or back to the first frame of the user's code (then finish its line for step/next).
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

import gdb  # type: ignore[import-not-found]

_GESTURES = {"step": "in", "next": "over", "until": "over", "finish": "out"}
_MAX_FRAMES = 64  # the glue is at most a dozen frames deep; a bound on the walk
_State = Any  # cgo.py's _Target


class _Net(gdb.Breakpoint):
    """Stops when goroutine `goid` reaches this pc at stack depth `depth` where GDB's own step
    cannot see it: on another thread than the one GDB is stepping; on that thread while GDB's
    step there runs on to a step-resume breakpoint (the goroutine left the thread inside a call
    or at a signal, and came back); or on that thread after the goroutine's stack was copied
    (morestack: GDB's frame ids are stack addresses, so its step no longer recognizes the
    frame). `top`: the goroutine's stack top when the step began."""

    def __init__(self, target: _State, pc: int, goid: int, depth: int, top: int, thread: int,
                 returns: bool, hits: List["_Net"], primary: Optional["_Net"] = None) -> None:
        super().__init__("*%#x" % pc, internal=True)
        self.silent = True
        self.pc = pc
        self._target, self.goid, self.depth, self.stepping_thread = target, goid, depth, thread
        self._top = top
        self.returns = returns  # the caller's return address: mid-line there
        self.moved = False  # caught after a stack copy (else: on another thread)
        self._hits = hits
        # A backup, one instruction after `primary`: stops only when GDB did not stop where
        # `primary` said so. A step-resume breakpoint GDB left on that thread from an earlier
        # step (it deletes only the stopping thread's) takes precedence over any other there.
        self._primary = primary

    def stop(self) -> bool:
        try:
            thread = gdb.selected_thread()
            if thread is None:
                return False
            frame = gdb.newest_frame()
            a = self._target.arch
            g = _reg(frame, a.g)
            sp = _reg(frame, a.sp)
            pos = _fresh(self._target).goroutine_pos_of_g(g, sp)
        except (gdb.error, RuntimeError, ValueError):
            return False
        if pos != (self.goid, self.depth):
            return False
        self.moved = sp + self.depth != self._top
        if self._primary is not None:
            if self._primary not in self._hits:
                return False
        elif thread.num == self.stepping_thread and not self.moved and not _waits_for_step_resume(thread):
            return False  # GDB's own step sees it there
        self._hits.append(self)
        return True


class _RunTo(gdb.Breakpoint):
    """Stops at pc when `check` says so (the same thread and sp for C; the same goroutine at
    the same depth for Go)."""

    def __init__(self, spec: str, check: Callable[[], bool], thread: Optional[int]) -> None:
        super().__init__(spec, internal=True)
        self.silent = True
        if thread is not None:
            self.thread = thread
        self._check = check

    def stop(self) -> bool:
        try:
            return self._check()
        except (gdb.error, RuntimeError, ValueError):
            return False


class Stepper:
    def __init__(self, target: Callable[[], Optional[_State]]) -> None:
        self._target = target
        self._nets: List[_Net] = []
        self._hits: List[_Net] = []
        self._displaced: Optional[str] = None  # the user's `displaced-stepping` while nets are up
        self._deferred = False  # nets kept until an asynchronous command's stop

    # -- before GDB's command ---------------------------------------------------------------
    def before(self, command: str) -> None:
        self._clear()
        try:
            self._plant_nets(command)
        except (gdb.error, RuntimeError, ValueError):
            self._clear()

    def _plant_nets(self, command: str) -> None:
        target = self._target()
        thread = gdb.selected_thread()
        if target is None or thread is None or not target.complete:
            return
        frame = gdb.selected_frame()
        pc, sp = frame.pc(), _reg(frame, target.arch.sp)
        if not target.walker.is_go_pc(pc):
            return
        pos = _fresh(target).goroutine_pos(thread.ptid[1], sp)
        if pos is None:
            return
        goid, depth = pos
        top = sp + depth
        pcs = [] if command == "finish" else _statements(target.walker.line_change_pcs(pc))
        for at in pcs:
            self._nets.append(_Net(target, at, goid, depth, top, thread.num, False, self._hits))
        caller = frame.older()
        if caller is not None and target.walker.is_go_pc(caller.pc()):
            csp = _reg(caller, target.arch.sp)
            if csp >= sp and depth >= csp - sp:
                self._nets.append(_Net(target, caller.pc(), goid, depth - (csp - sp), top,
                                       thread.num, True, self._hits))
        arch, netted = frame.architecture(), {net.pc for net in self._nets}
        for net in list(self._nets):
            after = net.pc + arch.disassemble(net.pc)[0]["length"]
            if after not in netted:
                self._nets.append(_Net(target, after, goid, net.depth, top, thread.num,
                                       net.returns, self._hits, net))
        if self._nets:
            # Every goroutine running this function passes the nets, and GDB steps each one over
            # them, by default out of line (displaced stepping). When such a step is cut short (a
            # signal, SIGURG; GDB stopping the thread for another's event), GDB (13) only moves
            # the pc back: the scratch register a %rip-relative instruction borrowed keeps its
            # temporary value and the program goes on with it. In line is slower but safe.
            value = gdb.parameter("displaced-stepping")
            self._displaced = "auto" if value is None else "on" if value else "off"
            gdb.execute("set displaced-stepping off", to_string=True)

    # -- after GDB's command ----------------------------------------------------------------
    def after(self, command: str) -> None:
        thread = gdb.selected_thread()
        if thread is not None and thread.is_running():
            # An asynchronous front end (MI's -exec-next): the command has only started. The
            # nets stay until it stops; the glue is not passed through there.
            if not self._deferred:
                self._deferred = True
                gdb.events.stop.connect(self._clear_once)
            return
        hits = list(self._hits)
        self._clear()
        try:
            target = self._target()
            if target is not None:
                _fresh(target)  # for this command and the user's next ones (`info goroutines`)
            if hits:
                self._after_migration(command, hits[0])
            else:
                self._across_boundary(_GESTURES[command])
        except (gdb.error, RuntimeError, ValueError) as e:
            gdb.write("cgounwind: %s\n" % e, gdb.STDERR)

    @staticmethod
    def _after_migration(command: str, net: _Net) -> None:
        # The goroutine came back on another thread; GDB's step on the old one is abandoned.
        thread = gdb.selected_thread()
        num = thread.num if thread else 0
        if net.moved:
            gdb.write("[cgounwind: goroutine %d's stack was copied (it grew)]\n" % net.goid)
        elif num == net.stepping_thread:
            gdb.write("[cgounwind: goroutine %d came back to thread %d]\n" % (net.goid, num))
        else:
            gdb.write("[cgounwind: goroutine %d went on on thread %d]\n" % (net.goid, num))
        if net.returns and command != "finish":
            gdb.execute("next" if command != "step" else "step")
        else:
            _print_location()

    def _across_boundary(self, gesture: str) -> None:
        target = self._target()
        thread = gdb.selected_thread()
        if target is None or thread is None or not target.complete:
            return
        stack = _stack(target)
        if not stack:
            return
        plan = target.walker.plan_after_step(gesture, stack)
        if plan["why"]:
            gdb.write(plan["why"] + "\n")
        if plan["action"] == "function":
            if not self._run_to_function(target, plan["function"], thread):
                plan = target.walker.plan_after_step("out" if gesture == "out" else "over",
                                                     stack)
        if plan["action"] == "function":
            _print_location()
        elif plan["action"] == "frame":
            self._run_to_frame(target, thread, plan["pc"], plan["sp"])
            if plan["finish_line"]:
                gdb.execute("step" if gesture == "in" else "next")
            else:
                _print_location()

    @staticmethod
    def _run_to_function(target: _State, name: str, thread: "gdb.InferiorThread") -> bool:
        """Runs to `name`'s first line on this goroutine (a preemption at the stub's prologue
        can move it to another thread before the C call), or on this thread when it runs none
        (C calling Go: a C thread stays on its M); False when `name` has no line to stop at."""
        try:
            _, sals = gdb.decode_line(name)
        except gdb.error:
            return False
        if not sals or not any(s.symtab is not None and s.line for s in sals):
            return False
        goid = _fresh(target).goid_of_thread(thread.ptid[1])
        if goid is None:
            bp = _RunTo(name, lambda: True, thread.num)
        else:
            def check() -> bool:
                now = gdb.selected_thread()
                return now is not None and _fresh(target).goid_of_thread(now.ptid[1]) == goid
            bp = _RunTo(name, check, None)
        try:
            gdb.execute("continue")
        finally:
            _delete(bp)
        return True

    @staticmethod
    def _run_to_frame(target: _State, thread: "gdb.InferiorThread", pc: int, sp: int) -> None:
        a = target.arch
        if target.walker.is_go_pc(pc):
            # Back in Go: the goroutine at this frame's depth, wherever it runs by then.
            pos = target.walker.goroutine_pos(thread.ptid[1], sp)

            def check() -> bool:
                f = gdb.newest_frame()
                g = _reg(f, a.g)
                now = _reg(f, a.sp)
                return pos is not None and _fresh(target).goroutine_pos_of_g(g, now) == pos
            bp = _RunTo("*%#x" % pc, check, None)
        else:
            # Back in C: the same thread at the same stack pointer (C stacks do not move).
            def check() -> bool:
                now = _reg(gdb.newest_frame(), a.sp)
                return now == sp
            bp = _RunTo("*%#x" % pc, check, thread.num)
        try:
            gdb.execute("continue")
        finally:
            _delete(bp)

    def _clear_once(self, _event: object) -> None:
        self._deferred = False
        gdb.events.stop.disconnect(self._clear_once)
        self._clear()

    def _clear(self) -> None:
        for net in self._nets:
            _delete(net)
        self._nets.clear()
        self._hits.clear()
        if self._displaced is not None:
            try:
                gdb.execute("set displaced-stepping %s" % self._displaced, to_string=True)
            except gdb.error:
                pass
            self._displaced = None


def _waits_for_step_resume(thread: "gdb.InferiorThread") -> bool:
    """Whether GDB's step on `thread` runs on to a step-resume breakpoint (the return of a call
    it steps over, the pc where a signal came): then it stops nowhere else on that thread, not
    where the goroutine, back from other threads (a block, a preemption), reaches a line."""
    ids = {"%d" % thread.num, "%d.%d" % (thread.inferior.num, thread.num)}
    for line in gdb.execute("maint info breakpoints", to_string=True).splitlines():
        words = line.split()
        if "step resume" in line and len(words) > 2 and words[-2] == "thread" and words[-1] in ids:
            return True
    return False


def _fresh(target: _State) -> Any:
    """The core's walker, its memory cache emptied. cgo.py empties it at GDB's `cont` event, which
    GDB sends once per command: not when it resumes after its internal stops (each single step of
    a `next`, a breakpoint whose condition says no), so pages read at one of those (by the
    unwinder or a net) are stale at the next one. Goroutines move meanwhile (g.m, m.curg)."""
    target.walker.clear_cache()
    return target.walker


def _statements(pcs: List[int]) -> List[int]:
    """Those of `pcs` where GDB's own step stops: the starts of statements in GDB's line table
    (`LineTable.line` lists only is_stmt entries). Go's pcln table also changes lines inside a
    statement (spill reloads, a loop's set-up): a net there would end a step mid-statement."""
    out: List[int] = []
    for pc in pcs:
        sal = gdb.find_pc_line(pc)
        if sal.symtab is not None and sal.line and \
                any(e.pc == pc for e in sal.symtab.linetable().line(sal.line) or ()):
            out.append(pc)
    return out


def _stack(target: _State) -> List[Tuple[str, int, int]]:
    out: List[Tuple[str, int, int]] = []
    frame: Optional[gdb.Frame] = gdb.newest_frame()
    sp_name = target.arch.sp
    while frame is not None and len(out) < _MAX_FRAMES:
        name = frame.name() or ""
        out.append((name, frame.pc(), _reg(frame, sp_name)))
        frame = frame.older()
    return out


def _print_location() -> None:
    """Where the run ended, as GDB prints a step's end (our breakpoints are silent)."""
    text = gdb.execute("frame", to_string=True)
    gdb.write(text[4:] if text.startswith("#0  ") else text)


def _reg(frame: "gdb.Frame", name: str) -> int:
    """A register of `frame` as an unsigned 64-bit value."""
    return int(frame.read_register(name)) & 0xFFFFFFFFFFFFFFFF


def _delete(bp: gdb.Breakpoint) -> None:
    try:
        if bp.is_valid():
            bp.delete()
    except (gdb.error, RuntimeError):
        pass


_stepper: Optional[Stepper] = None


def register(target: Callable[[], Optional[_State]]) -> None:
    """Defines the hooks (once per GDB)."""
    global _stepper
    if _stepper is not None:
        return
    _stepper = Stepper(target)
    for command in _GESTURES:
        gdb.execute("define hook-%s\npython __import__('cgo_step').before(%r)\nend" % (command, command),
                    to_string=True)
        gdb.execute("define hookpost-%s\npython __import__('cgo_step').after(%r)\nend" % (command, command),
                    to_string=True)
    gdb.events.exited.connect(lambda _e: _stepper._clear() if _stepper else None)


def before(command: str) -> None:
    if _stepper is not None:
        _stepper.before(command)


def after(command: str) -> None:
    if _stepper is not None:
        _stepper.after(command)
