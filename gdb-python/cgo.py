"""cgounwind for GDB: one true backtrace through Go's stack switches (cgo calls, callbacks,
systemstack, mcall, morestack) and goroutine commands.

Usage:  (gdb) source <checkout>/gdb-python/cgo.py

This file is a thin adapter: it hands registers and memory to the C++ core (module _cgounwind)
and turns the core's answers into GDB unwinder results. It holds no Go-runtime knowledge.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Callable, Dict, List, Optional, Tuple

import gdb  # type: ignore[import-not-found]
import gdb.FrameDecorator  # type: ignore[import-not-found]
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
if _native_dir is not None and _native_dir not in sys.path:
    sys.path.insert(0, _native_dir)
try:
    import _cgounwind as core  # type: ignore[import-not-found]  # noqa: E402
except ImportError as _e:  # one line, no traceback; nothing below is registered
    core = None
    gdb.write("cgounwind: native module _cgounwind %s; build it first (cmake -S . -B build && "
              "cmake --build build) or set CGOUNWIND_PYTHONPATH\n"
              % ("not found" if _native_dir is None else "unusable: %s" % _e), gdb.STDERR)


def _warn(msg: str) -> None:
    gdb.write("cgounwind: %s\n" % msg, gdb.STDERR)


def _read_memory(addr: int, size: int) -> Optional[bytes]:
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, size))
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        return None


class _Target:
    """The core's view of the Go modules of the current inferior (an executable, c-shared
    libraries, several runtimes), and per-thread walk states for the current stop."""

    def __init__(self, modules: List[Tuple["core.Binary", int]]) -> None:
        self.modules = modules
        self.walker = core.Walker(modules, _read_memory)
        # The architecture's register names (the core chose it from the ELF header), and the
        # name GDB gives that architecture: frames of another architecture are left alone.
        self.arch = modules[0][0].arch
        self.gdb_arch = _GDB_ARCH.get(self.arch.name, "")
        # Whether any module's runtime layout is known (the core skips the others' frames).
        self.complete = any(b.layout_complete() for b, _ in modules)
        # thread number -> list of (level, WalkState after that level), in level order.
        self.states: Dict[int, List[Tuple[int, "core.WalkState"]]] = {}
        # (thread, level) -> why the core stopped the walk there: said where `bt` ends.
        self.stops: Dict[Tuple[int, int], str] = {}
        self._values: Dict[int, "core.GoValues"] = {}
        self._formatted: Dict[str, int] = {}
        # (thread, level) -> (pc, sp, bp, lr) of the caller that level's step gave GDB: the next
        # level's registers, without asking GDB for them again (PendingFrame.read_register is
        # the costliest call of an unwind).
        self.callers: Dict[Tuple[int, int], Tuple[int, int, int, int]] = {}
        # thread number -> (pc, sp) of its frame 0 when last unwound. GDB sends `cont` once per
        # command, not at the resumes inside one (each single step of a `next`, a breakpoint
        # whose condition said no): a frame 0 that moved means the thread ran, and memory read
        # before may be stale (goroutines moved: g.m, m.curg, g.sched).
        self.frame0: Dict[int, Tuple[int, int]] = {}
        # (thread, level) of frames a signal interrupted: the frame before is a signal
        # trampoline, whose caller GDB's own unwinder takes from the kernel's signal frame. Their
        # pc is where the signal arrived, not a return address: the core looks it up as it is
        # (a switch caught in the middle, e.g. asmcgocall between its SP switch and its call).
        self.interrupted: Dict[Tuple[int, int], bool] = {}
        self._trampolines: Dict[int, bool] = {}  # pc -> whether it is a signal trampoline

    def reset(self) -> None:
        self.walker.clear_cache()
        self.states.clear()
        self.stops.clear()
        self.callers.clear()
        self.frame0.clear()
        self.interrupted.clear()
        self._trampolines.clear()

    def is_trampoline(self, pc: int) -> bool:
        """Whether pc is the first instruction of a signal trampoline (glibc's __restore_rt,
        Go's runtime.sigreturn__sigaction): the rt_sigreturn call the kernel's ABI spells for
        the architecture, which GDB's own Linux signal-frame unwinders match."""
        known = self._trampolines.get(pc)
        if known is None:
            code = _SIGRETURN.get(self.arch.name, b"")
            known = self._trampolines[pc] = bool(code) and _read_memory(pc, len(code)) == code
        return known

    def saw_frame0(self, thread: int, pc: int, sp: int) -> None:
        """Frame 0 of `thread` is being unwound at (pc, sp): if the thread ran since it was last
        unwound, without a `cont` event, forget the memory read before."""
        last = self.frame0.get(thread)
        if last is not None and last != (pc, sp):
            self.walker.clear_cache()
        self.frame0[thread] = (pc, sp)

    def state_before(self, thread: int, level: int) -> "core.WalkState":
        entries = self.states.setdefault(thread, [])
        while entries and entries[-1][0] >= level:  # GDB is unwinding this thread again
            entries.pop()
        return entries[-1][1] if entries else core.WalkState()

    def state_at(self, thread: int, level: int) -> "core.WalkState":
        """The walk state frame `level` was unwound with (read-only)."""
        best = core.WalkState()
        for lvl, st in self.states.get(thread, []):
            if lvl >= level:
                break
            best = st
        return best

    def record(self, thread: int, level: int, state: "core.WalkState") -> None:
        self.states.setdefault(thread, []).append((level, state))

    def values(self, index: int = 0) -> "core.GoValues":
        """Go DWARF types of module `index` (loaded on first use)."""
        gv = self._values.get(index)
        if gv is None:
            binary, bias = self.modules[index]
            gv = self._values[index] = core.GoValues(binary, bias)
        return gv

    def values_at(self, pc: int) -> Optional["core.GoValues"]:
        """Go DWARF types of the module whose code holds pc."""
        index = self.walker.module_index(pc)
        return self.values(index) if index >= 0 else None

    def formatter_module(self, go_name: str) -> int:
        """The module whose core formats values of this Go type, or -1 (asked once per type)."""
        known = self._formatted.get(go_name)
        if known is None:
            known = -1
            for i in range(len(self.modules)):
                if self.values(i).has_formatter(go_name):
                    known = i
                    break
            self._formatted[go_name] = known
        return known


# GDB's names of the architectures the core supports (gdb.Architecture.name()).
_GDB_ARCH = {"amd64": "i386:x86-64", "arm64": "aarch64"}
# rt_sigreturn as a signal trampoline makes it: `mov $15, %rax; syscall` (x86-64),
# `mov x8, #139; svc #0` (AArch64).
_SIGRETURN = {"amd64": bytes.fromhex("48c7c00f0000000f05"),
              "arm64": bytes.fromhex("681180d2010000d4")}


# Go modules of the current inferior. GDB's objfiles are the debugger's list of what is loaded
# (executable, shared libraries, dlopen'ed ones); which of them are Go is read from their section
# headers once per file, and their load biases from `info files`, whenever that list changes.
_is_go_file: Dict[str, bool] = {}
_binaries: Dict[str, Optional["core.Binary"]] = {}
_current: List[Optional[_Target]] = []  # [] = not computed since the objfiles last changed


def _go_objfile_paths() -> List[str]:
    paths = []
    for objfile in gdb.objfiles():
        if getattr(objfile, "owner", None) is not None:  # separate debug info of another one
            continue
        path = objfile.filename
        if not path or not os.path.isabs(path) or path in paths:
            continue
        if path not in _is_go_file:
            _is_go_file[path] = bool(core.looks_like_go(path))
        if _is_go_file[path]:
            paths.append(path)
    return paths


def _text_addresses() -> Dict[str, int]:
    """Run-time start of each loaded file's .text ('' for the executable), from `info files`:
    it lists the executable's and every shared library's sections, live and in core files."""
    out: Dict[str, int] = {}
    try:
        text = gdb.execute("info files", to_string=True)
    except gdb.error:
        return out
    for line in text.splitlines():
        m = _SECTION_LINE.match(line)
        if m is not None and m.group(2) == ".text":
            out.setdefault(m.group(3) or "", int(m.group(1), 16))
    return out


_SECTION_LINE = re.compile(r"^\s*0x([0-9a-fA-F]+) - 0x[0-9a-fA-F]+ is (\S+)(?: in (.+))?$")


def _load_modules() -> Optional[_Target]:
    paths = _go_objfile_paths()
    if not paths:
        return None
    texts = _text_addresses()
    try:
        exe = gdb.current_progspace().filename
    except gdb.error:
        exe = None
    modules: List[Tuple["core.Binary", int]] = []
    for path in paths:
        if path not in _binaries:
            binary, err = core.load_binary(path)
            _binaries[path] = binary
            if binary is None:  # looks like Go but is not one we can read: say so, skip it
                _warn("%s; skipped (its frames are left to GDB)" % err)
            elif not binary.layout_complete():
                _warn("%s: runtime layout incomplete (%s); stack splicing disabled"
                      % (os.path.basename(path), binary.layout_missing()))
        binary = _binaries[path]
        if binary is None:
            continue
        start = texts.get("" if path == exe else path)
        link = binary.section_address(".text")
        if start is None and path == exe:
            start = link  # not running: the executable sits at its link-time addresses
        if start is None or link is None:
            _warn("%s: load address unknown; its frames are left to GDB" % os.path.basename(path))
            continue
        modules.append((binary, start - link))
    return _Target(modules) if modules else None


def _target() -> Optional[_Target]:
    """The _Target of the current inferior's Go modules, or None when none is Go."""
    if not _current:
        _current.append(_load_modules())
    return _current[0]


# The user's `backtrace past-main` setting, read when cgo.py loads.
_past_main_default: List[str] = []


def _show_past_main(*_args: object) -> None:
    """Go's real "main" is runtime.main: show it (and the goroutine start) below main.main, for
    Go programs only; anything else keeps the user's setting, as without cgounwind. Run from
    events, never from the unwinder: the setting resets GDB's frame cache."""
    try:
        go = any(core.looks_like_supported_go(p) for p in _go_objfile_paths())
        if not _past_main_default:
            shown = gdb.execute("show backtrace past-main", to_string=True)
            _past_main_default.append("on" if shown.rstrip(". \n").endswith("on") else "off")
        gdb.execute("set backtrace past-main %s" % ("on" if go else _past_main_default[0]),
                    to_string=True)
    except gdb.error:
        pass


def _reset_all(*_args: object) -> None:
    if _current and _current[0] is not None:
        _current[0].reset()


def _forget_binaries(*_args: object) -> None:
    """The loaded files changed (or the process went): find the Go modules again."""
    _current.clear()


def _printers_first(*_args: object) -> None:
    """Per-objfile printers (runtime-gdb.py's) are looked up before global ones, and
    runtime-gdb.py empties its objfile's list when it loads: put ours first there again."""
    for objfile in gdb.objfiles():
        if objfile.pretty_printers[:1] != [_go_printer]:
            if _go_printer in objfile.pretty_printers:
                objfile.pretty_printers.remove(_go_printer)
            objfile.pretty_printers.insert(0, _go_printer)


def _on_new_objfile(event: object = None) -> None:
    _forget_binaries()
    _printers_first()
    gdb.post_event(_show_past_main)
    # Go's runtime-gdb.py, auto-loaded with a Go binary (or sourced by hand later), defines
    # `info goroutines`, `goroutine` and printers too: take them back once GDB has finished
    # loading the objfile, and at each stop.
    gdb.post_event(_register_commands)
    gdb.post_event(_printers_first)


class _FrameId:
    """GDB 13 reads frame-id attributes as gdb.Value."""

    def __init__(self, sp: int, pc: int, special: int) -> None:
        self.sp = gdb.Value(sp).cast(_u64())
        self.pc = gdb.Value(pc).cast(_u64())
        self.special = gdb.Value(special).cast(_u64())


_U64: Dict[str, "gdb.Type"] = {}


def _u64() -> "gdb.Type":
    """uint64 of the current architecture (architecture types live as long as GDB: cached)."""
    arch = gdb.selected_inferior().architecture()
    t = _U64.get(arch.name())
    if t is None:
        t = _U64[arch.name()] = arch.integer_type(64, False)
    return t


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

    @staticmethod
    def _view_frame0(pending_frame: "gdb.PendingFrame", target: "_Target", thread: int):
        """View mode: frame 0's caller is the viewed Go frame, whose id is its true CFA."""
        view = _view
        assert view is not None
        a = target.arch
        pc = _reg(pending_frame, a.pc)
        state = view.state
        state.floor = 0
        target.record(thread, 0, state)
        info = pending_frame.create_unwind_info(_FrameId(view.sp, pc, 1))
        _save_registers(info, a, view.pc, view.sp, view.bp, 0)
        return info

    def _unwind(self, pending_frame: "gdb.PendingFrame"):
        target = _target()
        if target is None or not target.complete:
            return None
        if pending_frame.architecture().name() != target.gdb_arch:
            return None
        thread = gdb.selected_thread()
        if thread is None:
            return None
        level = pending_frame.level()
        if _view is not None and _view.thread == thread.num and level == 0:
            return self._view_frame0(pending_frame, target, thread.num)
        a = target.arch
        # Its pc exact, its registers (the link register too) the signal frame's.
        interrupted = level == 0 or target.interrupted.get((thread.num, level), False)
        try:
            known = target.callers.get((thread.num, level - 1)) if level > 0 else None
            sp = _reg(pending_frame, a.sp)
            lr = 0
            if known is not None and known[1] == sp:
                pc, bp, lr = known[0], known[2], known[3]
            else:
                pc, bp = _reg(pending_frame, a.pc), _reg(pending_frame, a.fp)
                # The link register holds the return address only in the innermost frame.
                if interrupted and a.lr:
                    lr = _reg(pending_frame, a.lr)
        except gdb.error:
            return None  # registers unavailable (e.g. the end-of-stack frame): nothing to do
        if pc == 0:
            return None
        if level == 0:
            target.saw_frame0(thread.num, pc, sp)
        state = target.state_before(thread.num, level)
        step = target.walker.step(pc=pc, sp=sp, bp=bp, state=state, lwp=thread.ptid[1],
                                  innermost=interrupted, lr=lr)
        kind = step.kind
        if _DEBUG:
            gdb.write("cgounwind-debug: #%d pc=%#x sp=%#x bp=%#x -> %s %s caller pc=%#x sp=%#x "
                      "bp=%#x id=%#x %s\n" % (level, pc, sp, bp, kind.name, step.rule, step.pc,
                                               step.sp, step.bp, step.id_sp, step.error))
        if kind == core.StepKind.NotMine:
            if target.is_trampoline(pc):
                target.interrupted[(thread.num, level + 1)] = True
            return None
        target.record(thread.num, level, step.state)
        special = step.cfa if step.cfa else pc
        info = pending_frame.create_unwind_info(_FrameId(step.id_sp, step.func_entry or pc, special))
        if kind == core.StepKind.Caller:
            target.callers[(thread.num, level)] = (step.pc, step.sp, step.bp, step.lr)
            _save_registers(info, a, step.pc, step.sp, step.bp, step.lr)
            return info
        if kind == core.StepKind.Stop:
            target.stops[(thread.num, level)] = step.error
        # Outermost or Stop: a zero return address ends the backtrace (hidden by the filter).
        _save_registers(info, a, 0, step.id_sp, 0, 0)
        return info


def _save_registers(info: "gdb.UnwindInfo", a: "core.Arch", pc: int, sp: int, fp: int,
                    lr: int) -> None:
    """The caller's registers, by the architecture's names. A link register not known to hold
    something else holds what it does after any return: the return address, the caller's pc
    (left unsaved, GDB's own unwinders fail reading it for the next frame)."""
    info.add_saved_register(a.pc, gdb.Value(pc).cast(_u64()))
    info.add_saved_register(a.sp, gdb.Value(sp).cast(_u64()))
    info.add_saved_register(a.fp, gdb.Value(fp).cast(_u64()))
    if a.lr:
        info.add_saved_register(a.lr, gdb.Value(lr or pc).cast(_u64()))


def _safe_level(frame: "gdb.PendingFrame") -> str:
    try:
        return str(frame.level())
    except Exception:
        return "?"


class _View:
    """A spliced Go frame shown as frame 1 with its true frame base (see CgoFrame)."""

    def __init__(self, thread: int, pc: int, sp: int, bp: int, state: "core.WalkState") -> None:
        self.thread, self.pc, self.sp, self.bp, self.state = thread, pc, sp, bp, state


_view: Optional[_View] = None


class CgoFrame(gdb.Command):
    """Run COMMAND in frame N with correct Go values, also for Go frames spliced in after C.

Usage: cgo frame N [COMMAND]     (default COMMAND: info args + info locals)
Examples: cgo frame 5   |   cgo frame 5 print tail   |   cgo frame 5 print *a

Why: GDB takes a frame's base address (DWARF's DW_OP_call_frame_cfa) from the frame id, and it
stops a backtrace when a caller's id lies below its callee's. Go frames called from C live on
goroutine stacks below the thread stack, so in `bt` they carry ids lifted to the C side, and
`frame N` + `print` there would read the wrong memory. This command re-unwinds once with frame N
placed directly under frame 0 with its true frame base, runs COMMAND there, and restores `bt`."""

    def __init__(self) -> None:
        super().__init__("cgo frame", gdb.COMMAND_STACK)

    def invoke(self, arg: str, from_tty: bool) -> None:
        global _view
        parts = arg.split(None, 1)
        if not parts or not parts[0].isdigit():
            raise gdb.GdbError("usage: cgo frame N [COMMAND]")
        level = int(parts[0])
        commands = [parts[1]] if len(parts) > 1 else ["info args", "info locals"]
        target = _require_target()
        thread = gdb.selected_thread()
        frame = _frame_at(level)
        if frame is None:
            raise gdb.GdbError("cgo frame: no frame at level %d" % level)
        state = target.state_at(thread.num, level)
        if not state.spliced:  # an ordinary frame: GDB's own view is right
            gdb.execute("frame %d" % level, from_tty)
            for c in commands:
                gdb.execute(c, from_tty)
            return
        selected = gdb.selected_frame().level()
        _view = _View(thread.num, frame.pc(), int(frame.read_register(target.arch.sp)),
                      int(frame.read_register(target.arch.fp)), state)
        target.reset()
        gdb.invalidate_cached_frames()
        try:
            gdb.newest_frame().older().select()  # quietly: `frame 1` would print as #1
            header = gdb.execute("frame", to_string=True)
            gdb.write(header.replace("#1 ", "#%d " % level, 1))
            for c in commands:
                gdb.execute(c, from_tty)
        except gdb.error as e:
            raise gdb.GdbError("cgo frame %d: %s" % (level, e)) from None
        finally:
            _view = None
            target.reset()
            gdb.invalidate_cached_frames()
            _select_level(selected)


def _frame_at(level: int) -> Optional["gdb.Frame"]:
    """Frame `level` of the selected thread, or None when the stack is shorter."""
    frame = gdb.newest_frame()
    for _ in range(level):
        if frame is None:
            return None
        frame = frame.older()
    return frame


def _select_level(level: int) -> None:
    """Selects frame `level`, or the outermost one when the stack has become shorter."""
    frame = _frame_at(level)
    if frame is None:
        frame = gdb.newest_frame()
        while frame.older() is not None:
            frame = frame.older()
    frame.select()


_MAX_VIEWED_FRAMES = 256


def _spliced_args(target: "_Target") -> Dict[int, List[Tuple["gdb.Symbol", object]]]:
    """Arguments of the spliced Go frames of the selected thread: level -> [(symbol, value or
    text)]. GDB would read them at the lifted frame id (see CgoFrame); the core knows each
    frame's true CFA and where Go's DWARF puts each argument there, so the values are made at
    those addresses with GDB's own types, without unwinding again. Bounded."""
    thread = gdb.selected_thread()
    if thread is None or _view is not None:
        return {}
    result: Dict[int, List[Tuple["gdb.Symbol", object]]] = {}
    frame = gdb.newest_frame()
    while (frame is not None and frame.level() < core.MAX_FRAMES
           and len(result) < _MAX_VIEWED_FRAMES):
        if frame.pc() == 0:
            break
        level = frame.level()
        state = target.state_at(thread.num, level) if level > 0 else None
        if state is not None and state.spliced and frame.function() is not None:
            try:
                result[level] = _core_args(target, frame)
            except Exception as e:  # no values rather than GDB's, read at the lifted frame id
                result[level] = []
                _warn("frame #%d: arguments not shown: %s" % (level, e))
        frame = frame.older()
    return result


def _core_args(target: "_Target", frame: "gdb.Frame") -> List[Tuple["gdb.Symbol", object]]:
    pc, sp = frame.pc(), int(frame.read_register(target.arch.sp))
    cfa = target.walker.frame_cfa(pc, sp, False)
    values = target.values_at(pc - 1)
    found = {v.name: v for v in values.frame(pc, False, cfa, {}, _read_memory, results=True)} \
        if cfa and values is not None and values.ok() else {}
    args: List[Tuple["gdb.Symbol", object]] = []
    try:
        block = frame.block()
    except RuntimeError:
        return args  # no block for this pc: keep GDB's own rendering
    for sym in block:
        if not sym.is_argument:
            continue
        v = found.get(sym.name)
        try:
            if v is not None and v.address is not None:
                args.append((sym, gdb.Value(v.address).cast(sym.type.pointer()).dereference()))
            elif v is not None and v.data is not None:
                args.append((sym, gdb.Value(v.data, sym.type)))
            else:  # results before the return, or a value Go keeps only in a register
                args.append((sym, _optimized_out(sym.type)))
        except gdb.error as e:
            args.append((sym, "<error: %s>" % e))
    return args


# Arguments with no memory to read get a value of their own type holding a marker pattern, which
# _go_printer shows as <optimized out>. Not a Python str (GDB 13 leaks ~3 KB per spliced `bt`
# converting those, measured by tests/e2e/test_soak.py), not None (GDB would read the argument
# itself at the lifted frame id, and GDB 13 then sometimes drops a frame's `#N` from `bt`).
_MARK = b"<cgounwind:optimized-out>"


def _optimized_out(t: "gdb.Type") -> object:
    size = t.sizeof
    if size <= 0:  # C void (cgo's results of void functions): any scalar carries the marker
        return _optimized_out(gdb.lookup_type("long"))
    if size > 4096:
        return "<optimized out>"
    pattern = (_MARK * (size // len(_MARK) + 1))[:size]
    try:
        return gdb.Value(pattern, t)
    except (gdb.error, TypeError, ValueError):
        return "<optimized out>"


def _is_optimized_out_marker(value: "gdb.Value") -> bool:
    """Whether `value` is one of _optimized_out's (its first scalar holds the pattern)."""
    if value.address is not None:
        return False
    v, t = value, value.type.strip_typedefs()
    for _ in range(8):  # down to the first scalar: first fields, first elements
        if t.code == gdb.TYPE_CODE_STRUCT and t.fields():
            v = v[t.fields()[0]]
        elif t.code == gdb.TYPE_CODE_ARRAY:
            v = v[0]
        else:
            break
        t = v.type.strip_typedefs()
    if t.code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_BOOL,
                      gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_ENUM) or t.sizeof < 2:
        return False
    want = int.from_bytes(_MARK[:t.sizeof], "little")
    return (int(v) & ((1 << (8 * t.sizeof)) - 1)) == want


class _ArgValue:
    """SymValueWrapper shape for frame decorators."""

    def __init__(self, sym: "gdb.Symbol", value: object) -> None:
        self.sym, self._value = sym, value

    def symbol(self) -> "gdb.Symbol":
        return self.sym

    def value(self) -> object:
        return self._value


def _exact_pc(frame: "gdb.Frame") -> bool:
    """The frame's pc is where a signal interrupted it, not a return address: the frame that
    asyncPreempt or sigpanic was made to look called from (the core's rule). GDB looks a
    normal frame's function and line up at pc - 1, which there can be the previous function."""
    try:
        newer = frame.newer()
        return (newer is not None and core is not None
                and core.interrupts_caller(newer.name() or ""))
    except gdb.error:
        return False


class _Named(gdb.FrameDecorator.FrameDecorator):  # type: ignore[name-defined]
    """Names frames without any symbol: Go code by the binary's own function table (what a
    binary stripped with -s still has), anything else `??` (with a frame filter active, GDB 13
    would print an empty name). A frame whose pc is exact (_exact_pc) is named, and given its
    line, at that pc."""

    def function(self):
        frame = self.inferior_frame()
        if frame.level() > 0 and _exact_pc(frame):
            target = _target()
            name = target.walker.func_name(frame.pc()) if target is not None else ""
            if name:
                return name
        f = super().function()
        if isinstance(f, int) and "<" not in gdb.format_address(f):
            target = _target()
            lookup = f - 1 if frame.level() > 0 else f  # return addresses
            name = target.walker.func_name(lookup) if target is not None else ""
            return name or "??"
        return f

    def filename(self):
        frame = self.inferior_frame()
        if frame.level() > 0 and _exact_pc(frame):
            symtab = gdb.find_pc_line(frame.pc()).symtab
            if symtab is not None:
                return symtab.filename
        return super().filename()

    def line(self):
        frame = self.inferior_frame()
        if frame.level() > 0 and _exact_pc(frame):
            sal = gdb.find_pc_line(frame.pc())
            if sal.symtab is not None:
                return sal.line
        return super().line()


class _ViewedArgs(_Named):
    """Arguments of a spliced Go frame, as read in view mode."""

    def __init__(self, base, args) -> None:
        super().__init__(base)
        self._args = args

    def frame_args(self):
        return [_ArgValue(s, v) for s, v in self._args]


class _CgoFrameFilter:
    """Frame filter: correct arguments for spliced Go frames; hides the zero-pc frame that
    terminates a goroutine stack."""

    def __init__(self) -> None:
        self.name = "cgounwind"
        self.priority = 100
        self._enabled = True

    @property
    def enabled(self) -> bool:
        """Only for Go programs: with any frame filter enabled GDB prints backtraces its
        other way (`at` for `from`, no "Backtrace stopped" line), so non-Go programs keep
        GDB's own output. `disable frame-filter global cgounwind` still works."""
        try:
            return self._enabled and _target() is not None
        except Exception:  # noqa: BLE001 - asked by GDB at every backtrace
            return False

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value

    def filter(self, frame_iter):
        target = _target()
        args: Dict[int, List[Tuple["gdb.Symbol", object]]] = {}
        if target is not None and target.complete:
            try:
                args = _spliced_args(target)
            except gdb.error as e:
                _warn("cannot read arguments of spliced Go frames: %s" % e)
        return self._decorate(frame_iter, args)

    @staticmethod
    def _decorate(frame_iter, args):
        last = None
        for dec in frame_iter:
            if _is_end_frame(dec):
                continue
            try:
                level = dec.inferior_frame().level()
            except gdb.error:
                level = -1
            last = dec
            yield _ViewedArgs(dec, args[level]) if level in args else _Named(dec)
        if last is not None:  # the whole stack was shown: say why it ends, if it ends early
            _say_why_truncated(last.inferior_frame())


def _say_why_truncated(frame: "gdb.Frame") -> None:
    """One line after a truncated backtrace: the core's reason, or GDB's own (GDB prints its
    "Backtrace stopped" line only when no frame filter is registered)."""
    try:
        target = _target()
        thread = gdb.selected_thread()
        why = target.stops.get((thread.num, frame.level())) if target and thread else None
        if why is not None:
            _warn("thread %d frame #%d: %s; backtrace truncated" % (thread.num, frame.level(), why))
            return
        reason = frame.unwind_stop_reason()
        # GDB's order: no reason, null id, outermost, then the errors (UNAVAILABLE first).
        if reason >= getattr(gdb, "FRAME_UNWIND_FIRST_ERROR", gdb.FRAME_UNWIND_UNAVAILABLE):
            gdb.write("Backtrace stopped: %s\n" % gdb.frame_stop_reason_string(reason))
    except Exception:  # noqa: BLE001 - a frame filter must never raise into `bt`
        return


def _is_end_frame(decorator) -> bool:
    try:
        frame = decorator.inferior_frame()
        return frame.level() > 0 and frame.pc() == 0
    except Exception:
        return False


_hinted: set = set()


def _hint_spliced_selection() -> None:
    """Before each prompt: if the user selected a spliced Go frame with frame/up/down, say once
    per stop that its locals need `cgo frame N` (GDB would read them at the wrong address)."""
    if _view is not None:
        return
    try:
        target = _target()
        thread = gdb.selected_thread()
        if target is None or thread is None or not target.complete:
            return
        frame = gdb.selected_frame()
        level = frame.level()
        if level == 0 or frame.function() is None:
            return
        if not target.state_at(thread.num, level).spliced:
            return
        key = (thread.num, level, frame.pc())
        if key in _hinted:
            return
        _hinted.add(key)
        _warn("frame %d is a Go frame called from C: GDB cannot read its locals in place; "
              "use 'cgo frame %d [print EXPR]' (bt already shows its arguments)" % (level, level))
    except gdb.error:
        return


class _GoTextPrinter:
    """A Go value formatted by the core (interfaces: `error(*errors.errorString) &…`, channels:
    `chan int len: 2, cap: 4 [1, 2]`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def to_string(self) -> str:
        return self.text


def _go_printer(value: "gdb.Value") -> Optional[object]:
    """Looked up before runtime-gdb.py's printers (which print interfaces raw)."""
    try:
        if _is_optimized_out_marker(value):
            return _GoTextPrinter("<optimized out>")
        name = value.type.name or value.type.strip_typedefs().name
        if not name and value.type.code == gdb.TYPE_CODE_PTR:  # Go names its pointer types
            name = "*" + (value.type.target().name or "")
        target = _target()
        if name and target is not None and value.address is not None:
            index = target.formatter_module(name)
            text = target.values(index).format_at(name, int(value.address), _read_memory) \
                if index >= 0 else None
            if text is not None:
                return _GoTextPrinter(text)
    except (gdb.error, RuntimeError, ValueError, TypeError):
        pass
    return None


def _register() -> None:
    if getattr(gdb, "_cgounwind_registered", False):
        return
    gdb._cgounwind_registered = True  # type: ignore[attr-defined]
    gdb.unwinder.register_unwinder(None, CgoUnwinder(), replace=True)
    _show_past_main()
    gdb.frame_filters["cgounwind"] = _CgoFrameFilter()
    gdb.pretty_printers.insert(0, _go_printer)
    _printers_first()
    gdb.events.stop.connect(_printers_first)
    gdb.events.before_prompt.connect(_printers_first)
    # Walk states and cached memory belong to GDB's frame cache of one stop. Not reset on
    # `stop`: GDB has already unwound (and cached) the first frames when that event fires.
    for ev in (gdb.events.cont, gdb.events.memory_changed, gdb.events.register_changed,
               gdb.events.inferior_call, gdb.events.exited):
        ev.connect(_reset_all)
    gdb.events.stop.connect(lambda _e: _hinted.clear())
    gdb.events.before_prompt.connect(_hint_spliced_selection)
    gdb.events.new_objfile.connect(_on_new_objfile)
    gdb.events.clear_objfiles.connect(_forget_binaries)
    gdb.events.clear_objfiles.connect(lambda _e: gdb.post_event(_show_past_main))
    # dlclose, and a process that ends or is replaced: its modules and their biases go with it.
    if hasattr(gdb.events, "free_objfile"):
        gdb.events.free_objfile.connect(_forget_binaries)
    gdb.events.exited.connect(_forget_binaries)


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
Usage: info goroutines [-u|-r|-s] [-g] [-l] [-with|-without KIND [ARG]]... [-group KIND [KEY]]
  -u, -r, -s    Location column: user code, where it is now (default), start function
  -g            under each goroutine: created by FUNC at FILE:LINE (its go statement)
  -l            under each goroutine: its pprof labels
  -with KIND ARG / -without KIND ARG   only the goroutines that match / do not (as Delve's):
      curloc, userloc, goloc, startloc EXPR   EXPR: part of the location text
      label KEY[=VALUE]    status EXPR    running (on a thread)    user (not the runtime's)
  -group KIND [KEY]   counts by curloc, userloc, goloc, startloc, status, running, user or
                      label KEY, largest first, with a few goroutine ids each
Quote an EXPR that has blanks: info goroutines -with status "chan receive"
LLDB's goroutine list takes the same options and prints the same text."""

    def __init__(self) -> None:
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg: str, from_tty: bool) -> None:
        target = _require_target()
        threads = {t.ptid[1]: t.num for t in gdb.selected_inferior().threads()}
        # The core parses the options, filters, groups and formats: one text for both debuggers.
        text, warning, error = target.walker.goroutine_query(arg or "", threads)
        if error:
            raise gdb.GdbError("cgounwind: info goroutines: " + error)
        if warning:
            _warn(warning)
        gdb.write(text)


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
        on_thread = thread is not None and core.stack_is_its_threads(g)
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
        stack = target.walker.goroutine_stack(g.addr, g.pc, g.sp, g.bp, lr=g.lr)
        for i, f in enumerate(stack.frames):
            gdb.write(core.backtrace_line("gdb", i, f.pc, f.func, f.file, f.line) + "\n")
        if stack.error:
            _warn("goroutine %d: %s; backtrace truncated" % (goid, stack.error))


if core is not None:
    _register()


class CgoPrefix(gdb.Command):
    """cgounwind commands: cgo frame N [COMMAND]."""

    def __init__(self) -> None:
        super().__init__("cgo", gdb.COMMAND_STACK, prefix=True)


def _register_commands() -> None:
    InfoGoroutines()
    GoroutineCmd()
    CgoPrefix()
    CgoFrame()


if core is not None:
    _register_commands()
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    import cgo_step  # noqa: E402  (beside this file; needs the core)
    cgo_step.register(_target)
