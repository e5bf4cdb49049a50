"""LLDB shim: a scripted frame provider (LLDB >= 22) backed by cgounwind's C++ core.

Imported by libcgounwind.so (`command script import`) and registered on every Go target with
`target frame-provider register -C cgounwind_lldb.CgoFrameProvider`. It translates only: LLDB's
own frames and registers in, the core's walk (`_cgounwind.Walker.walk_thread`) out. Frames the
core finds at the same pc and sp as LLDB's are LLDB's own (with their registers and variables);
the others are ScriptedFrames symbolicated at pc-1 when pc is a return address.

LLDB 22.1.8 constraints (docs/lldb-22-notes.md): read every input frame in __init__, never after
returning an index; return no register context; define every abstract method on each class;
never let an exception out (it ends the stack silently).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import threading
import sys
from types import SimpleNamespace
from typing import Any, Callable, Optional

import lldb

try:  # LLDB >= 22
    from lldb.plugins.scripted_frame_provider import ScriptedFrameProvider
    from lldb.plugins.scripted_process import ScriptedFrame
except ImportError:  # no frame providers: the plugin says so; the rest still serves
    ScriptedFrameProvider = ScriptedFrame = object  # type: ignore[assignment,misc]


def _find_core() -> Any:
    """The core's bindings: from libcgounwind.so itself, next to this file (the plugin LLDB
    loaded: the same library, so one core and its caches), else the standalone module."""
    here = os.path.dirname(os.path.abspath(__file__))
    plugin = os.path.join(here, "libcgounwind.so")
    if "_cgounwind" not in sys.modules and os.path.isfile(plugin):
        try:
            loader = importlib.machinery.ExtensionFileLoader("_cgounwind", plugin)
            spec = importlib.util.spec_from_file_location("_cgounwind", plugin, loader=loader)
            if spec is not None:
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                sys.modules["_cgounwind"] = module
                return module
        except ImportError:
            pass
    for d in (os.environ.get("CGOUNWIND_PYTHONPATH", ""), os.path.join(here, "..", "python"),
              os.path.join(here, "..", "..", "share", "cgounwind", "python")):
        if d and os.path.isdir(d) and d not in sys.path:
            sys.path.insert(0, d)
    import _cgounwind  # noqa: E402  (located above)
    return _cgounwind


core = _find_core()
MAX_FRAMES = core.MAX_FRAMES  # the core's bound on one stack
_MAX_INLINED = 64  # inlined functions listed at one pc (a bound on a corrupt block tree)

_binaries: dict[str, tuple[Any, str]] = {}
_is_go_file: dict[str, bool] = {}
_modules: dict[tuple[int, tuple[tuple[str, int], ...]], Any] = {}
_warned: set[str] = set()


def _say_once(debugger: lldb.SBDebugger, line: str) -> None:
    if line in _warned:
        return
    _warned.add(line)
    try:
        out = debugger.GetOutputFile()
        out.Write(("cgounwind: " + line + "\n").encode())
        out.Flush()
    except Exception:  # noqa: BLE001 - nothing may escape into LLDB
        pass


def _load(path: str) -> tuple[Any, str]:
    if path not in _binaries:
        try:
            _binaries[path] = core.load_binary(path)
        except Exception as e:  # noqa: BLE001
            _binaries[path] = (None, str(e))
    return _binaries[path]


def _module_bias(target: lldb.SBTarget, module: lldb.SBModule) -> Optional[int]:
    header = module.GetObjectFileHeaderAddress()
    load = header.GetLoadAddress(target) if header.IsValid() else lldb.LLDB_INVALID_ADDRESS
    if load == lldb.LLDB_INVALID_ADDRESS:
        return None
    return load - header.GetFileAddress()


def _loaded_files(target: lldb.SBTarget) -> list[tuple[str, int]]:
    """(path, load bias) of every module LLDB has loaded in the process."""
    files = []
    for i in range(target.GetNumModules()):
        m = target.GetModuleAtIndex(i)
        path = m.GetFileSpec().fullpath
        bias = _module_bias(target, m)
        if i == 0 and bias is None:
            bias = 0  # no process yet: the executable at its link-time addresses
        if path and bias is not None and os.path.isfile(path):
            files.append((path, bias))
    return files


def go_modules(target: lldb.SBTarget) -> tuple[list[tuple[Any, int]], str]:
    """The Go modules of the target (executable, c-shared libraries, several runtimes) with
    their load biases, and why there are none."""
    mods, why = [], "no Go module loaded"
    for path, bias in _loaded_files(target):
        if path not in _is_go_file:
            _is_go_file[path] = bool(core.looks_like_go(path))
        if not _is_go_file[path]:
            continue
        binary, err = _load(path)
        if binary is None:
            _say_once(target.GetDebugger(), f"{err}; skipped (its frames are left to LLDB)")
            why = err
            continue
        mods.append((binary, bias))
    return mods, why


def code_modules(target: lldb.SBTarget, go: list[tuple[Any, int]]) -> Any:
    """The process's ELF files with their load biases, for the core's C unwinder (cached)."""
    go_paths = {b.path for b, _ in go}
    files = [(p, b) for p, b in _loaded_files(target) if p not in go_paths]
    key = (target.GetProcess().GetProcessID(),
           tuple(files) + tuple((b.path, bias) for b, bias in go))
    mods = _modules.get(key)
    if mods is None:
        mods = core.CodeModules()
        for binary, bias in go:
            mods.add_binary(binary, bias)
        for path, bias in files:
            mods.add_file(path, bias)
        _modules.clear()
        _modules[key] = mods
    return mods


def _reader(process: lldb.SBProcess) -> Callable[[int, int], Optional[bytes]]:
    target = process.GetTarget()

    def read(addr: int, size: int) -> Optional[bytes]:
        err = lldb.SBError()
        data = process.ReadMemory(addr, size, err)
        if err.Success() and data is not None and len(data) == size:
            return data
        # A core file without the binary's read-only pages (LLDB's own minidumps keep only
        # what the process modified): those bytes are the file's, as GDB reads them.
        err = lldb.SBError()
        data = target.ReadMemory(lldb.SBAddress(addr, target), size, err)
        return data if err.Success() and data is not None and len(data) == size else None
    return read


def _registers(frame: lldb.SBFrame) -> dict[int, int]:
    """The frame's general-purpose registers by DWARF number, in the numbering of the Go
    module's architecture (the core chose it from the ELF header)."""
    regs: dict[int, int] = {}
    go, _ = go_modules(frame.GetThread().GetProcess().GetTarget())
    if not go:
        return regs
    numbers = go[0][0].arch.dwarf_register_numbers()
    for rset in frame.GetRegisters():
        for r in rset:
            n = numbers.get(r.GetName())
            if n is not None and n not in regs:
                v = r.GetValueAsUnsigned(lldb.LLDB_INVALID_ADDRESS)
                if v != lldb.LLDB_INVALID_ADDRESS:
                    regs[n] = v
        break  # general purpose registers only
    return regs


def walk(thread: lldb.SBThread, frames: list[tuple[int, int, int]],
         regs: dict[int, int], innermost: bool = True) -> tuple[list[Any], str]:
    """The core's walk of one thread: (ThreadFrames, one-line error or '')."""
    target = thread.GetProcess().GetTarget()
    go, why = go_modules(target)
    if not go:
        return [], why
    if not any(b.layout_complete() for b, _ in go):
        return [], "Go runtime layout unknown (missing: " + go[0][0].layout_missing() + ")"
    walker = core.Walker(go, _reader(thread.GetProcess()))
    goroutine = _goroutine_thread(thread)
    if goroutine is not None:
        # A goroutine of the OS plugin: its Go stack from where it was parked.
        stack = walker.goroutine_thread_stack(goroutine.g, goroutine.pc, goroutine.sp,
                                              goroutine.bp, goroutine.lr, frames, MAX_FRAMES)
    else:
        stack = walker.walk_thread(code_modules(target, go), regs, frames,
                                   lwp_of(thread), MAX_FRAMES, innermost)
    return list(stack.frames), stack.error


# ---- Go values ------------------------------------------------------------------------------
# LLDB has no Go type system. The core reads the frame's Go variables from DWARF and spells each
# Go type as a C "mirror" type (same layout, `$`-named persistent expression types); LLDB then
# shows the values with its own C formatting, reading memory itself (live values). They are the
# recognized arguments of a frame recognizer on the Go executable, which `frame variable`,
# SBFrame.GetVariables and lldb-dap's Variables pane include.

# (pid, tid) -> (stop id, index of the first walked frame, the provider's frames of that thread)
_walks: dict[tuple[int, int], tuple[int, int, list[Any]]] = {}
# (module path, bias) -> (GoValues, {type id: SBType})
_values: dict[tuple[str, int], tuple[Any, dict[int, lldb.SBType]]] = {}


def _go_module_at(target: lldb.SBTarget, pc: int) -> Optional[tuple[Any, int]]:
    """The Go module (binary, bias) whose code holds pc, if pc is Go code."""
    go, _ = go_modules(target)
    for binary, bias in go:
        if pc >= bias and binary.is_go_pc(pc - bias):
            return binary, bias
    return None


def _go_values(target: lldb.SBTarget,
               pc: Optional[int] = None) -> Optional[tuple[Any, dict[int, lldb.SBType]]]:
    """Go values of the module holding pc (of the first Go module when pc is None)."""
    if pc is None:
        go, _ = go_modules(target)
        found = go[0] if go else None
    else:
        found = _go_module_at(target, pc)
    if found is None:
        return None
    binary, bias = found
    key = (binary.path, bias)
    if key not in _values:
        gv = core.GoValues(binary, bias)
        if not gv.ok():
            _say_once(target.GetDebugger(), f"Go variables are not available: {gv.error} "
                      "(a binary built with -ldflags=-w has no Go DWARF)")
        _values[key] = (gv, {})
    gv, types = _values[key]
    return (gv, types) if gv.ok() else None


# pid -> whether LLDB's expression evaluator can get memory in the process without running code
_can_allocate: dict[int, bool] = {}


def _allocates_without_running_code(process: lldb.SBProcess) -> bool:
    """Whether LLDB's expression evaluator can get memory in the process without calling mmap
    inside it: natively lldb-server allocates (gdb-remote packet _M), through a connected remote
    platform likewise, and a core file needs none. A bare debug stub of another machine's process
    (qemu-user's gdbstub: platform remote-linux, never connected, or LLDB's qemu-user platform)
    cannot, and the mmap call LLDB then makes in the stopped process stops or crashes the session
    (seen with LLDB 22.1): Go types are declared in the dummy target there. Decided without a
    packet: sending one while LLDB lists frames empties its thread list."""
    pid = process.GetProcessID()
    known = _can_allocate.get(pid)
    if known is not None:
        return known
    platform = process.GetTarget().GetPlatform()
    ok = (process.GetPluginName() != "gdb-remote" or platform.GetName() == "host"
          or (platform.IsConnected() and platform.GetName() != "qemu-user"))
    _can_allocate[pid] = ok
    return ok


def _dummy_with_go_modules(target: lldb.SBTarget) -> lldb.SBTarget:
    """LLDB's dummy target (no process, invisible in `target list`) with the target's Go modules
    added, so that the mirrors' C types (a cgo program's own structs and unions) resolve there."""
    dummy = target.GetDebugger().GetDummyTarget()
    have = {dummy.GetModuleAtIndex(i).GetFileSpec().fullpath
            for i in range(dummy.GetNumModules())}
    for binary, _ in go_modules(target)[0]:
        if binary.path not in have:
            dummy.AddModule(binary.path, target.GetTriple(), None)
    return dummy


def _mirror_types(frame: lldb.SBFrame, gv: Any, types: dict[int, lldb.SBType],
                  ids: list[int]) -> None:
    target = frame.GetThread().GetProcess().GetTarget()
    missing = sorted({i for i in ids if i not in types})
    if not missing:
        return
    opts = lldb.SBExpressionOptions()
    opts.SetLanguage(lldb.eLanguageTypeC_plus_plus)
    opts.SetTimeoutInMicroSeconds(5_000_000)
    # Declaring types needs no code run in the process: LLDB's IR interpreter evaluates the
    # holder's null pointer (no JIT'ed code). It does not keep LLDB from wanting process memory
    # for the expression: see _allocates_without_running_code.
    opts.SetAllowJIT(False)
    if _allocates_without_running_code(target.GetProcess()):
        # Evaluated in the context of the thread's frame 0, a real frame: the selected frame may
        # be a ScriptedFrame, whose (absent) registers crash LLDB 22.1.8's expression evaluator.
        frame0 = frame.GetThread().GetFrameAtIndex(0)
        value = frame0.EvaluateExpression(gv.holder_expression(missing), opts)
    else:
        # Declared in LLDB's dummy target, which has no process (host memory only); the types
        # describe the process's values just as well (same LP64 layout on every target LLDB
        # debugs here), and LLDB's summaries match them by name.
        value = _dummy_with_go_modules(target).EvaluateExpression(
            gv.holder_expression(missing), opts)
    if not value.GetError().Success():
        lines = [ln for ln in (value.GetError().GetCString() or "?").splitlines()
                 if "error:" in ln] or ["?"]
        _say_once(target.GetDebugger(), "cannot declare Go types to LLDB: " + lines[0].strip())
        if os.environ.get("CGOUNWIND_DEBUG"):
            print(value.GetError().GetCString(), gv.holder_expression(missing))
        # LLDB may have kept part of the declarations: start over with fresh names, and keep
        # nothing of this attempt (the next request retries).
        gv.reset_mirror()
        types.clear()
        return
    holder = value.GetType().GetPointeeType()
    for n, i in enumerate(missing):
        types[i] = holder.GetFieldAtIndex(n).GetType()


# (target, Go type name) -> the C view's SBType, or None
_c_view_types: dict[tuple[int, str], Optional[lldb.SBType]] = {}


def _c_view_type(target: lldb.SBTarget, go_name: str, size: int) -> Optional[lldb.SBType]:
    """The Go type `go_name` as LLDB knows it from the module's C view (the plugin adds it as the
    module's symbol file): the same type LLDB's own frames show, so that a variable reads alike
    in a real frame and in a provider's. None when LLDB has no such type of that size (no C
    view; a name C shares, such as `int`, resolving to C's)."""
    key = (target.GetProcess().GetUniqueID(), go_name)
    if key in _c_view_types:
        return _c_view_types[key]
    found: Optional[lldb.SBType] = None
    array = re.match(r"^\[(\d+)\](.+)$", go_name)
    if go_name.startswith("*"):
        pointee = _c_view_type(target, go_name[1:], 0)
        found = pointee.GetPointerType() if pointee is not None else None
    elif array:
        elem = _c_view_type(target, array.group(2), 0)
        found = elem.GetArrayType(int(array.group(1))) if elem is not None else None
    else:
        t = target.FindFirstType(go_name)
        found = t if t.IsValid() else None
    if found is not None and size and found.GetByteSize() != size:
        found = None
    _c_view_types[key] = found
    return found


def _value_types(frame: lldb.SBFrame, gv: Any, types: dict[int, lldb.SBType],
                 values: list[Any]) -> dict[int, lldb.SBType]:
    """Go type id -> SBType for `values` (FrameVars): the C view's type, else a C mirror."""
    target = frame.GetThread().GetProcess().GetTarget()
    chosen: dict[int, lldb.SBType] = {}
    for v in values:
        # cgo's copies of C types keep their C mirror (spelled as the C type, with its members).
        if v.type and v.type not in chosen and "._Ctype_" not in v.go_type:
            t = _c_view_type(target, v.go_type, v.size) if v.go_type else None
            if t is not None:
                chosen[v.type] = t
    _mirror_types(frame, gv, types, [v.type for v in values if v.type and v.type not in chosen])
    for v in values:
        if v.type and v.type not in chosen and v.type in types:
            chosen[v.type] = types[v.type]
    return chosen


def go_variables(frame: lldb.SBFrame) -> list[lldb.SBValue]:
    """The Go arguments and locals of `frame` as SBValues (empty for non-Go frames)."""
    thread = frame.GetThread()
    process = thread.GetProcess()
    target = process.GetTarget()
    lookup = frame.GetPC() if frame.GetFrameID() == 0 else frame.GetPC() - 1
    found = _go_values(target, lookup)
    if found is None or _has_own_go_variables(frame):
        return []
    gv, types = found
    index, pc = frame.GetFrameID(), frame.GetPC()
    cfa = 0
    stop, first, frames = _walks.get((process.GetProcessID(), thread.GetThreadID()), (-1, 0, []))
    if (stop == process.GetStopID() and first <= index < first + len(frames)
            and frames[index - first].pc == pc):
        cfa = frames[index - first].cfa
    if not cfa:
        cfa = frame.GetCFA()
    if not cfa or cfa == lldb.LLDB_INVALID_ADDRESS:
        if os.environ.get("CGOUNWIND_DEBUG"):
            print(f"cgounwind debug: frame #{index} pc {pc:#x}: no CFA (walk stop {stop}, now "
                  f"{process.GetStopID()}, {len(frames)} frames)")
        return []
    innermost = index == 0
    regs = _registers(frame) if innermost else {}
    variables = gv.frame(pc, innermost, cfa, regs, _reader(process))
    chosen = _value_types(frame, gv, types, variables)
    out = []
    for v in variables:
        ty = chosen.get(v.type)
        if ty is None or not ty.IsValid():
            continue
        _expandable_pointer(target.GetDebugger(), ty)
        if v.address is not None:
            out.append(target.CreateValueFromAddress(v.name, lldb.SBAddress(v.address, target), ty))
        elif v.data is not None:
            data = lldb.SBData()
            err = lldb.SBError()
            data.SetData(err, v.data, lldb.eByteOrderLittle, 8)
            out.append(target.CreateValueFromData(v.name, data, ty))
    return out


def _has_own_go_variables(frame: lldb.SBFrame) -> bool:
    """LLDB lists this frame's Go variables itself (a real frame, the module's C view added): the
    recognizer then adds none (they would be listed twice)."""
    if frame.IsSynthetic():
        return False  # a provider's frame: no register context, no DWARF variables of its own
    opts = lldb.SBVariablesOptions()
    opts.SetIncludeArguments(True)
    opts.SetIncludeLocals(True)
    opts.SetIncludeRecognizedArguments(False)
    opts.SetInScopeOnly(True)
    return frame.GetVariables(opts).GetSize() > 0


class MirrorPointer:
    """Synthetic children of a pointer to a mirror struct: the pointee's fields. (LLDB cannot
    dereference the values a frame recognizer returns: "parent is NULL".)"""

    def __init__(self, valobj: lldb.SBValue, internal_dict: Any) -> None:
        self.valobj = valobj
        self.pointee: Optional[lldb.SBValue] = None

    def update(self) -> bool:
        try:
            addr = self.valobj.GetValueAsUnsigned(0)
            target = self.valobj.GetTarget()
            self.pointee = target.CreateValueFromAddress(
                "*" + (self.valobj.GetName() or ""), lldb.SBAddress(addr, target),
                self.valobj.GetType().GetPointeeType()) if addr else None
        except Exception:  # noqa: BLE001
            self.pointee = None
        return False

    def has_children(self) -> bool:
        return True

    def num_children(self) -> int:
        return self.pointee.GetNumChildren() if self.pointee else 0

    def get_child_at_index(self, index: int) -> Optional[lldb.SBValue]:
        return self.pointee.GetChildAtIndex(index) if self.pointee else None

    def get_child_index(self, name: str) -> int:
        return self.pointee.GetIndexOfChildWithName(name) if self.pointee else -1


_pointer_types: set[str] = set()


def _expandable_pointer(debugger: lldb.SBDebugger, ty: lldb.SBType) -> None:
    """Pointers to C structs (cgo types shown as their C types) get MirrorPointer children too:
    the plugin's regex covers only the `$` mirrors."""
    if not ty.IsPointerType() or ty.GetName() in _pointer_types:
        return
    pointee = ty.GetPointeeType().GetCanonicalType()
    if pointee.GetTypeClass() not in (lldb.eTypeClassStruct, lldb.eTypeClassUnion):
        return
    _pointer_types.add(ty.GetName())
    category = debugger.GetCategory("cgounwind")
    if category.IsValid():
        category.AddTypeSynthetic(lldb.SBTypeNameSpecifier(ty.GetName()),
                                  lldb.SBTypeSynthetic.CreateWithClassName(
                                      "cgounwind_lldb.MirrorPointer"))


class MirrorSlice:
    """Synthetic children of a mirror slice: its elements (at most max_children of them)."""

    def __init__(self, valobj: lldb.SBValue, internal_dict: Any) -> None:
        self.valobj = valobj
        self.names = core.mirror_names()
        self.count = 0
        self.array: Optional[lldb.SBValue] = None

    def update(self) -> bool:
        try:
            n = self.valobj.GetChildMemberWithName(self.names["slice_len"]).GetValueAsSigned(0)
            self.count = max(0, min(n, self.names["max_children"]))
            self.array = self.valobj.GetChildMemberWithName(self.names["slice_array"])
        except Exception:  # noqa: BLE001
            self.count, self.array = 0, None
        return False

    def has_children(self) -> bool:
        return self.count > 0

    def num_children(self) -> int:
        return self.count

    def get_child_at_index(self, index: int) -> Optional[lldb.SBValue]:
        if self.array is None or not 0 <= index < self.count:
            return None
        elem = self.array.GetType().GetPointeeType()
        addr = self.array.GetValueAsUnsigned(0) + index * elem.GetByteSize()
        target = self.valobj.GetTarget()
        return target.CreateValueFromAddress(f"[{index}]", lldb.SBAddress(addr, target), elem)

    def get_child_index(self, name: str) -> int:
        try:
            return int(name.strip("[]"))
        except ValueError:
            return -1


class CgoStruct:
    """Synthetic children of cgo's copy of a C struct or union (`main._Ctype_struct___0`, where
    Go sees a union as bytes) among LLDB's own Go variables: the C type's members."""

    def __init__(self, valobj: lldb.SBValue, internal_dict: Any) -> None:
        self.valobj = valobj
        self.c: Optional[lldb.SBValue] = None

    def update(self) -> bool:
        self.c = None
        try:
            target = self.valobj.GetTarget()
            found = _go_values(target)
            if found is None:
                return False
            name = found[0].c_type_name(self.valobj.GetType().GetName() or "")
            name = re.sub(r"^(struct|union) ", "", name)
            ctype = target.FindFirstType(name) if name else lldb.SBType()
            if not ctype.IsValid() or ctype.GetByteSize() != self.valobj.GetByteSize():
                return False
            addr = self.valobj.GetLoadAddress()
            if addr != lldb.LLDB_INVALID_ADDRESS:
                self.c = target.CreateValueFromAddress(self.valobj.GetName() or "",
                                                       lldb.SBAddress(addr, target), ctype)
            else:
                self.c = target.CreateValueFromData(self.valobj.GetName() or "",
                                                    self.valobj.GetData(), ctype)
        except Exception:  # noqa: BLE001
            self.c = None
        return False

    def has_children(self) -> bool:
        return True

    def num_children(self) -> int:
        return self.c.GetNumChildren() if self.c is not None else 0

    def get_child_at_index(self, index: int) -> Optional[lldb.SBValue]:
        return self.c.GetChildAtIndex(index) if self.c is not None else None

    def get_child_index(self, name: str) -> int:
        return self.c.GetIndexOfChildWithName(name) if self.c is not None else -1


class GoChildren:
    """Synthetic children of a Go map, channel or interface (whose text is the plugin's summary):
    map entries `[key]`, queued elements `[i]`, an interface's dynamic value `(T)`, from the
    core."""

    def __init__(self, valobj: lldb.SBValue, internal_dict: Any) -> None:
        self.valobj = valobj
        self.kids: list[lldb.SBValue] = []

    def update(self) -> bool:
        self.kids = []
        try:
            target = self.valobj.GetTarget()
            found = _go_values(target)
            data = self.valobj.GetData()
            if found is None or not data.IsValid():
                return False
            gv, types = found
            err = lldb.SBError()
            raw = data.ReadRawData(err, 0, data.GetByteSize())
            if not err.Success() or raw is None:
                return False
            process = target.GetProcess()
            kids = gv.children(self.valobj.GetType().GetName() or "", raw, _reader(process),
                               core.mirror_names()["max_children"])
            frame = process.GetSelectedThread().GetFrameAtIndex(0)
            chosen = _value_types(frame, gv, types, kids)
            for k in kids:
                ty = chosen.get(k.type)
                if ty is None or not ty.IsValid():
                    continue
                _expandable_pointer(target.GetDebugger(), ty)
                if k.address is not None:
                    value = target.CreateValueFromAddress(k.name, lldb.SBAddress(k.address, target),
                                                          ty)
                else:
                    d = lldb.SBData()
                    d.SetData(err, k.data, lldb.eByteOrderLittle, 8)
                    value = target.CreateValueFromData(k.name, d, ty)
                self.kids.append(value)
        except Exception:  # noqa: BLE001  (never into LLDB's formatter machinery)
            self.kids = []
        return False

    def has_children(self) -> bool:
        return True

    def num_children(self) -> int:
        return len(self.kids)

    def get_child_at_index(self, index: int) -> Optional[lldb.SBValue]:
        return self.kids[index] if 0 <= index < len(self.kids) else None

    def get_child_index(self, name: str) -> int:
        names = [k.GetName() for k in self.kids]
        return names.index(name) if name in names else -1


class GoRecognizer:
    """Frame recognizer for Go executables: Go variables as the frame's recognized arguments."""

    def get_recognized_arguments(self, frame: lldb.SBFrame) -> list[lldb.SBValue]:
        try:
            return go_variables(frame)
        except Exception as e:  # noqa: BLE001 - nothing may escape into LLDB
            _say_once(frame.GetThread().GetProcess().GetTarget().GetDebugger(),
                      f"frame #{frame.GetFrameID()}: Go variables unreadable: {e}")
            return []

    def should_hide(self, frame: lldb.SBFrame) -> bool:
        return False


class CgoFrame(ScriptedFrame):
    """A frame LLDB's own unwinder did not find: pc, symbol context, no registers."""

    def __init__(self, thread: lldb.SBThread, index: int, pc: int, innermost: bool,
                 name: Optional[str] = None,
                 sc: Optional[lldb.SBSymbolContext] = None) -> None:
        # Not the thread: the base class looks the thread up by its thread id taken as an index
        # id, which overflows for goroutine threads' ids (and finds nothing useful otherwise).
        super().__init__(None, lldb.SBStructuredData())
        self.originating_thread = self.thread = thread
        self.process = thread.GetProcess()
        self.id = index
        self.pc = pc
        self.innermost = innermost
        self.name = name  # a Go function's name from the binary's own table (no symbols)
        self.target = thread.GetProcess().GetTarget()
        # Resolved now, on the thread that walks: LLDB may ask from its event thread, where an SB
        # call that takes the target's lock can deadlock with a command (see the provider).
        # `sc`: given for a function that the code at pc is inlined in (see _InlinedIn).
        lookup = pc if innermost else pc - 1
        self.sc = sc if sc is not None else self.target.ResolveSymbolContextForAddress(
            self.target.ResolveLoadAddress(lookup), lldb.eSymbolContextEverything)
        if self.name is None and not self.sc.GetFunction().IsValid():
            # Code without debug info (Go's signal restorer runtime.sigreturn__sigaction): LLDB
            # names a scripted frame by its function only; the symbol says what it is.
            self.name = self.sc.GetSymbol().GetName() or None

    def get_function_name(self) -> Optional[str]:
        return self.name

    def get_display_function_name(self) -> Optional[str]:
        return self.name

    def get_id(self) -> int:
        return self.id

    def get_pc(self) -> int:
        return self.pc

    def get_symbol_context(self) -> lldb.SBSymbolContext:
        return self.sc

    def is_artificial(self) -> bool:
        return False

    def get_register_context(self) -> None:
        return None  # LLDB 22.1.8 crashes on a scripted frame's register context

    def _go_variables(self) -> list[lldb.SBValue]:
        thread = self.thread
        if thread is None or not thread.IsValid():
            return []
        return go_variables(thread.GetFrameAtIndex(self.id))

    def get_variables(self, filters: Any = None) -> Optional[lldb.SBValueList]:
        """The frame's Go variables by name: `frame variable NAME`, `p NAME`, SBFrame.FindVariable
        and lldb-dap's hover and watch (SBFrame.GetValueForVariablePath) ask here. (The plain
        `frame variable` listing comes from the recognizer: these values carry no Variable.)"""
        out = lldb.SBValueList()
        try:
            for v in self._go_variables():
                out.Append(v)
        except Exception:  # noqa: BLE001 - nothing may escape into LLDB
            pass
        return out

    def get_value_for_variable_expression(self, expr: str, options: Any = None,
                                          error: Any = None) -> Optional[lldb.SBValue]:
        """NAME, then .field, [index], ->field as LLDB's variable paths spell them."""
        try:
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)(.*)$", expr or "", re.S)
            if m is None:
                return None
            root, rest = m.group(1), m.group(2).strip()
            for v in self._go_variables():
                if v.GetName() == root:
                    return v.GetValueForExpressionPath(rest) if rest else v
        except Exception:  # noqa: BLE001
            pass
        return None


def _stale_registers(target: lldb.SBTarget, native: list[tuple[int, int, int]],
                     regs: dict[int, int]) -> str:
    """Why the registers LLDB gives for the first input frame cannot be where the walk starts
    ('' when they can): there are none, or their pc is not that frame's pc. Seen in LLDB 22.1
    (single-step sweep, `thread step-inst -m all-threads`, go1.26, about one stop in 20,000):
    after a step over a
    `ret`, frame 0's pc was right but its register context was another frame's (pc and SP of
    runtime.gopreempt_m, three frames up), and so were the SPs of LLDB's own frames; walked
    from there, the stack lost its first three frames without a word."""
    go, _ = go_modules(target)
    if not go or not native:
        return ""
    arch = go[0][0].arch
    pc = regs.get(arch.dwarf_register_numbers().get(arch.pc, -1))
    if pc is None and native[0][1] == lldb.LLDB_INVALID_ADDRESS:
        # LLDB 22.1 (storm's C threads blocked in futex over several stops, random interrupts:
        # 8 stacks in 35,000 on go1.21, 1 in 24,000 on go1.26): the input list itself begins
        # at a later frame of LLDB's (its #10, c_call), with no registers and no SP, its
        # frames above gone; nothing to walk from.
        where = target.ResolveLoadAddress(native[0][0]).GetSymbol().GetName() or "?"
        return (f"LLDB gave no registers for this thread at this stop (its own frame list "
                f"begins at {where}, {native[0][0]:#x})")
    if pc is None or pc == native[0][0] or native[0][0] == lldb.LLDB_INVALID_ADDRESS:
        return ""
    return (f"LLDB's registers for frame #0 (pc {pc:#x}) are not those of its pc "
            f"{native[0][0]:#x}")


class _InlinedCaller:
    """A function that the code of the frame before it is inlined in: LLDB's own frame, at the
    same pc and CFA as that one (the core's frame, with LLDB's index of this one)."""

    def __init__(self, frame: Any, native: int) -> None:
        self.frame, self.native = frame, native

    def __getattr__(self, name: str) -> Any:
        return getattr(self.frame, name)


def _with_inlined_callers(frames: list[Any], inlined: list[bool]) -> list[Any]:
    """The core's frames, each followed by the functions it is inlined in. The core walks real
    frames only and matches each to LLDB's innermost frame at its pc and SP (the inlined
    function); LLDB lists, at the same pc and CFA, one frame per function inlined there up to
    the real one. Every one of them is a frame of the user's (GDB shows them too). Left out,
    LLDB 22.1 also dropped the first frames of the stack: stopped in code inlined into
    runtime.reentersyscall, `bt` began at #1 in runtime.entersyscall."""
    out: list[Any] = []
    for f in frames:
        out.append(f)
        k = f.native
        while 0 <= k < len(inlined) - 1 and inlined[k]:
            k += 1
            out.append(_InlinedCaller(f, k))
    return out


class _InlinedIn:
    """A function that the code of a frame of ours (found by the core, not by LLDB) is inlined
    in: the same pc, named by `sc` (its block, with the inlined call's site as its line)."""

    def __init__(self, frame: Any, sc: lldb.SBSymbolContext) -> None:
        self.frame, self.sc = frame, sc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.frame, name)


def _inlined_in(target: lldb.SBTarget, pc: int, exact: bool) -> list[lldb.SBSymbolContext]:
    """The functions the code at pc is inlined in, innermost first, each with the call site of
    the one inside it as its line: the frames LLDB's own unwinder lists at one pc, and GDB for
    the core's frames too. Without them a spliced stack in LLDB lost each function that inlined
    another at a call (go1.19: runtime.sysReserve around an inlined sysReserveOS)."""
    lookup = pc if exact else pc - 1
    sc = target.ResolveSymbolContextForAddress(target.ResolveLoadAddress(lookup),
                                               lldb.eSymbolContextEverything)
    out: list[lldb.SBSymbolContext] = []
    block = sc.GetBlock().GetContainingInlinedBlock()
    while block.IsValid() and block.IsInlined() and len(out) < _MAX_INLINED:
        outer = block.GetParent().GetContainingInlinedBlock()
        ctx = lldb.SBSymbolContext(sc)
        line = lldb.SBLineEntry()
        line.SetFileSpec(block.GetInlinedCallSiteFile())
        line.SetLine(block.GetInlinedCallSiteLine())
        line.SetColumn(block.GetInlinedCallSiteColumn())
        ctx.SetLineEntry(line)
        ctx.SetBlock(outer if outer.IsValid() else sc.GetFunction().GetBlock())
        out.append(ctx)
        block = outer
    return out


def _with_inlined_in(target: lldb.SBTarget, frames: list[Any]) -> list[Any]:
    """Each frame of ours followed by the functions its code is inlined in (LLDB's own frames
    come with theirs: _with_inlined_callers)."""
    out: list[Any] = []
    for f in frames:
        out.append(f)
        if f.native < 0:
            out.extend(_InlinedIn(f, sc) for sc in _inlined_in(target, f.pc,
                                                               f.innermost or f.trampoline))
    return out


class _Frame:
    """What the provider keeps of one walked frame: LLDB's own frame's index, or the
    CgoFrame made for it when the walk ran (ScriptedFrame's constructor takes the process's
    lock, which LLDB's event thread must not: see CgoFrameProvider)."""

    __slots__ = ("native", "made")

    def __init__(self, native: int, made: Optional[CgoFrame]) -> None:
        self.native, self.made = native, made


def _go_names_without_symbols(target: lldb.SBTarget, frames: list[Any],
                              first: int) -> dict[int, str]:
    """Frame index -> Go function name from the binary's own function table, for the Go frames
    of an executable without a symbol table (-ldflags=-s), which LLDB cannot name."""
    names = {}
    for j, f in enumerate(frames):
        lookup = f.pc if f.innermost or f.trampoline else f.pc - 1
        symbol = target.ResolveLoadAddress(lookup).GetSymbol()
        if j + first == 0 or (symbol.IsValid() and not symbol.IsSynthetic()):
            continue
        found = _go_module_at(target, lookup)
        name = found[0].func_name(lookup - found[1]) if found is not None else ""
        if name:
            names[j + first] = name
    return names


def _named_before(target: lldb.SBTarget, pc: int) -> bool:
    """Whether pc - 1 lies outside the symbol that holds pc (pc is a function's first
    instruction)."""
    at = target.ResolveLoadAddress(pc).GetSymbol()
    if not at.IsValid():
        return False
    before = target.ResolveLoadAddress(pc - 1).GetSymbol()
    return not before.IsValid() or (before.GetStartAddress().GetLoadAddress(target)
                                     != at.GetStartAddress().GetLoadAddress(target))


def _on_event_thread() -> bool:
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/comm") as f:
            return f.read().strip() == "dbg.evt-handler"
    except OSError:
        return False


def _renumbered(error: str, first: int) -> str:
    """The core numbers the frames of a walk from where it started: from input frame `first`
    when LLDB's event thread had the first frames first (see CgoFrameProvider). The thread's
    frame numbers are the user's."""
    if not first:
        return error
    return re.sub(r"^frame #(\d+)", lambda m: f"frame #{int(m.group(1)) + first}", error)


class CgoFrameProvider(ScriptedFrameProvider):
    """Splices Go and C stacks across Go's runtime stack switches (cgounwind core)."""

    @staticmethod
    def get_description() -> str:
        return "cgounwind: Go and C frames across Go's stack switches"

    def __init__(self, input_frames: lldb.SBFrameList, args: lldb.SBStructuredData) -> None:
        self.input = input_frames
        self.frames: list[Any] = []
        self.native = 0
        self.first = 0  # input frames before this one were handed out before the walk
        self.names: dict[int, str] = {}  # frame index -> Go name, in binaries without symbols
        self.walked = False
        # LLDB's event thread builds providers to print a stop (frame 0 only) without the
        # target's API lock, which every SB call takes, while a command on the main thread can
        # hold that lock and wait for this thread's frame list: a deadlock (seen loading a core
        # file: `bt` then `thread backtrace all`). There, touch nothing and walk later.
        # A goroutine thread is walked when a frame past its first is asked for (not for
        # `thread list`, which shows a thousand of them by their first frame).
        # (Not on the event thread: even SBFrameList.GetThread takes the API lock there.)
        self.goroutine = None
        if not _on_event_thread():
            self.goroutine = _goroutine_thread(input_frames.GetThread()) if input_frames else None
            if self.goroutine is None:
                self._walk()

    def _walk(self) -> None:
        """The whole walk, input frames first: LLDB 22.1.8 aborts when an input frame is read
        after its index was returned, so a late walk starts from input frame 1."""
        self.walked = True
        try:
            super().__init__(self.input, None)
            n = self.input.GetSize()
            self.native = n
            first = self.first
            if self.goroutine is None:
                self.goroutine = _goroutine_thread(self.thread)
            if self.goroutine is not None:
                # The user looks at this goroutine: it stays listed (goroutine_thread_info).
                _looked_at[self.thread.GetProcess().GetProcessID()] = self.goroutine.tid
            elif first >= n:
                return
            native = []
            inlined = []
            for i in range(first, n):
                f = self.input.GetFrameAtIndex(i)
                native.append((f.GetPC(), f.GetSP(), f.GetFP()))
                inlined.append(f.IsInlined())
            regs = _registers(self.input.GetFrameAtIndex(first))
            # Only frame 0's registers are the thread's own; a later input frame's are LLDB's
            # unwind, whose pc can be invalid where the core's is not (arm64 core files).
            stale = _stale_registers(self.target, native, regs) \
                if self.goroutine is None and first == 0 else ""
            if stale:
                # No walk, and why: the functions of LLDB's own frames (their pcs are right),
                # as frames of the provider's. Handed on by index instead, LLDB's stale frames
                # stayed in the thread's list at the next stops too (frame 0 at the old pc).
                walked = [SimpleNamespace(pc=pc, sp=0, bp=0, cfa=0, native=-1, innermost=i == 0,
                                          trampoline=False, rule="debugger")
                          for i, (pc, _, _) in enumerate(native)]
                error = ""
                _say_once(self.target.GetDebugger(),
                          f"thread #{self.thread.GetIndexID()}: {stale}; backtrace not spliced")
            else:
                walked, error = walk(self.thread, native, regs, innermost=first == 0)
            self.frames = _with_inlined_in(self.target, _with_inlined_callers(walked, inlined))
            if first and _goroutine_thread(self.thread) is not None:
                # A goroutine's walk starts at its frame 0, whatever was handed out before.
                self.frames = self.frames[first:]
            self.names = _go_names_without_symbols(self.target, self.frames, first)
            process = self.thread.GetProcess()
            _walks[(process.GetProcessID(), self.thread.GetThreadID())] = (
                process.GetStopID(), first, self.frames)
            if error:
                _say_once(self.target.GetDebugger(),
                          f"thread #{self.thread.GetIndexID()}: {_renumbered(error, first if self.goroutine is None else 0)}; "
                          "backtrace truncated")
        except Exception as e:  # noqa: BLE001 - nothing may escape into LLDB
            self.frames = []
            _say_once(self.target.GetDebugger() if self.target else lldb.debugger,
                      f"frame provider failed: {e}")
        # LLDB 22.1.8 keeps every provider it ever made alive (one per thread and stop): keep
        # nothing big. The input frame list holds LLDB's whole unwind of the thread.
        kept = []
        for j, f in enumerate(self.frames):
            index = j + self.first
            made = None
            # A signal trampoline (__restore_rt) is named at its pc, as LLDB's own unwinder
            # names it (pc - 1 is the padding before it, an unnamed symbol of its own).
            exact = f.innermost or f.trampoline
            after_trampoline = j > 0 and self.frames[j - 1].trampoline
            if isinstance(f, _InlinedIn):
                made = CgoFrame(self.thread, index, f.pc, exact, sc=f.sc)
            elif index in self.names:
                made = CgoFrame(self.thread, index, f.pc, exact, self.names[index])
            elif f.native < 0 or (index > 0 and (f.innermost or f.rule == "sigreturn")
                                  and not after_trampoline and _named_before(self.target, f.pc)):
                # LLDB names its own frames past the first at pc - 1 (below a signal trampoline
                # it knows better). The frame sigpanic was made to look called from has an exact
                # pc: at a function's first instruction, pc - 1 is the function before or
                # padding (seen: go1.19, c_crash at -O2 faulting at its first instruction, a
                # nameless frame). A frame of ours names it at pc. So is Go's own signal
                # restorer (the core's sigreturn rule), which LLDB does not know as one.
                made = CgoFrame(self.thread, index, f.pc, exact)
            kept.append(_Frame(f.native, made))
        self.frames = kept
        self.input = self.input_frames = self.process = self.target = self.args = None

    def get_frame_at_index(self, index: int) -> Any:
        try:
            if not self.walked:
                # The thread's own innermost frame, always; and on LLDB's event thread (see
                # __init__) whatever it asks for while it reports the stop (a thread that is not
                # the process's first asks for its caller too): LLDB's own frames, handed out
                # before the walk, which then starts after them.
                if index == 0 or _on_event_thread():
                    self.first = max(self.first, index + 1)
                    return index
                self._walk()
            if index < self.first:
                return index
            if not self.frames:  # not a Go thread we can walk: LLDB's own frames
                return index if index < self.native else None
            j = index - self.first
            if j >= len(self.frames):
                # LLDB has all frames now and keeps this provider until the target goes (see
                # _walk): keep nothing.
                self.frames, self.names, self.thread = [], {}, None
                self.native = 0
                return None
            f = self.frames[j]
            if f.made is not None:
                return f.made
            return f.native + self.first
        except Exception:  # noqa: BLE001
            return None


# ---- Goroutines as threads -------------------------------------------------------------------
# LLDB's Python OS plugin (target.process.python-os-plugin-path = cgounwind_threads.py, set by the
# plugin on Go processes) adds a thread for each goroutine that is on no OS thread; the core
# chooses them and names them (goroutine_threads). Their registers are where the goroutine was
# parked (g.sched); LLDB unwinds from there and the frame provider splices as for any thread.

# `cgo threads on|running|off|max N` (set by the plugin: set_threads): on lists every goroutine,
# running only those on an OS thread (each as a thread of its own, backed by that OS thread).
threads_mode = "on"
threads_max: int = core.DEFAULT_GOROUTINE_THREADS
# pid -> (stop id, {tid: GoroutineThread}) of the last listing
_goroutine_threads: dict[int, tuple[int, dict[int, Any]]] = {}
# pid -> {thread id of a running goroutine: the OS thread (lwp) it is on} at the last listing
_running: dict[int, dict[int, int]] = {}
# pid -> the goroutine thread whose stack was asked for last (`bt`, lldb-dap's stackTrace):
# listed even past the cap
_looked_at: dict[int, int] = {}


def _register_layout(process: lldb.SBProcess) -> list[tuple[str, int]]:
    """(name, DWARF number) of the registers a goroutine thread has, in register-data order."""
    go, _ = go_modules(process.GetTarget())
    if not go:
        return []
    return sorted(go[0][0].arch.dwarf_register_numbers().items(), key=lambda r: r[1])


def goroutine_register_info(process: lldb.SBProcess) -> dict[str, Any]:
    """get_register_info of the OS plugin: the architecture's general-purpose registers."""
    registers = []
    try:
        go, _ = go_modules(process.GetTarget())
        arch = go[0][0].arch if go else None
        generic = {arch.pc: "pc", arch.sp: "sp", arch.fp: "fp", arch.lr: "ra"} if arch else {}
        for i, (name, dwarf) in enumerate(_register_layout(process)):
            r = {"name": name, "bitsize": 64, "offset": 8 * i, "encoding": "uint",
                 "format": "hex", "set": 0, "gcc": dwarf, "dwarf": dwarf}
            if name in generic:
                r["generic"] = generic[name]
            registers.append(r)
    except Exception:  # noqa: BLE001 - nothing may escape into LLDB
        pass
    return {"sets": ["General Purpose Registers"], "registers": registers}


def goroutine_thread_info(process: lldb.SBProcess) -> list[dict[str, Any]]:
    """get_thread_info of the OS plugin: one thread per goroutine that is on no OS thread (the
    others are their OS threads, which LLDB keeps)."""
    try:
        pid = process.GetProcessID()
        _goroutine_threads.pop(pid, None)
        _running.pop(pid, None)
        if threads_mode == "off":
            return []
        target = process.GetTarget()
        go, _ = go_modules(target)
        if not go or not any(b.layout_complete() for b, _ in go):
            return []
        local = _under_local_lldb_server(process)
        reader, done = _fast_reader(process, local)
        walker = core.Walker(go, reader)
        try:
            threads = _running_threads(process, walker, local)
            if threads_mode == "on":
                threads += _parked_threads(process, walker)
        finally:
            done()
        return threads
    except Exception as e:  # noqa: BLE001
        _say_once(lldb.debugger, f"goroutine threads unavailable: {e}")
        return []


def _parked_threads(process: lldb.SBProcess, walker: Any) -> list[dict[str, Any]]:
    """The goroutines on no OS thread, each a thread with registers of its own (g.sched)."""
    pid = process.GetProcessID()
    # The thread the user had selected (still the previous list's: LLDB is building the new
    # one) stays listed past the cap.
    selected = process.GetSelectedThread()
    keep = [selected.GetThreadID()] if selected.IsValid() else []
    if pid in _looked_at:
        keep.append(_looked_at[pid])
    listing = walker.goroutine_threads(threads_max, keep)
    if listing.error:
        _say_once(process.GetTarget().GetDebugger(), f"goroutine threads: {listing.error}")
    _goroutine_threads[pid] = (process.GetStopID(), {t.tid: t for t in listing.threads})
    return [{"tid": t.tid, "name": t.name, "queue": "", "state": "stopped",
             "stop_reason": "none"} for t in listing.threads]


def _running_threads(process: lldb.SBProcess, walker: Any,
                     local: bool) -> list[dict[str, Any]]:
    """The goroutines on OS threads, each a thread of its own backed by its OS thread ("core":
    the index of that thread in the process plugin's list). A thread plan (LLDB's `next`,
    `finish`) belongs to a thread id: with the goroutine's id it goes on when the runtime moves the
    goroutine to another OS thread, and waits while it is on none (LLDB keeps the plans of a
    thread the OS plugin does not report: does_plugin_report_all_threads)."""
    lwps = _os_threads(process) if local else []
    if not lwps:
        return []
    index = {lwp: i for i, lwp in enumerate(lwps)}
    running = walker.running_goroutines(lwps)
    _running[process.GetProcessID()] = {r.tid: r.lwp for r in running}
    return [{"tid": r.tid, "name": r.name, "queue": "", "state": "stopped",
             "stop_reason": "none", "core": index[r.lwp]} for r in running]


def _os_threads(process: lldb.SBProcess) -> list[int]:
    """The process plugin's threads in its order, which is what an OS plugin thread's "core"
    indexes: lldb-server lists a Linux process's threads in the order it saw them start, that is
    by ascending thread id (kernel thread ids only grow until pid_max wraps). Known only for a
    local process lldb-server traces (_under_local_lldb_server; not a core file, qemu-user's
    stub or another machine)."""
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{process.GetProcessID()}/task"))
    except (OSError, ValueError):
        return []


def lwp_of(thread: lldb.SBThread) -> int:
    """The OS thread (kernel thread id) an LLDB thread is on: the running goroutine's thread for
    one of ours, else its own id."""
    tid = thread.GetThreadID()
    return _running.get(thread.GetProcess().GetProcessID(), {}).get(tid, tid)


def goroutine_register_data(process: lldb.SBProcess, tid: int) -> Optional[bytes]:
    """get_register_data of the OS plugin: the goroutine's saved pc, SP, frame pointer and link
    register; the other registers were not saved (0)."""
    try:
        found = _goroutine_threads.get(process.GetProcessID(), (0, {}))[1].get(tid)
        if found is None:
            return None
        go, _ = go_modules(process.GetTarget())
        arch = go[0][0].arch
        saved = {arch.pc: found.pc, arch.sp: found.sp, arch.fp: found.bp}
        if arch.lr:
            saved[arch.lr] = found.lr
        return b"".join(saved.get(name, 0).to_bytes(8, "little")
                        for name, _ in _register_layout(process))
    except Exception:  # noqa: BLE001
        return None


def _goroutine_thread(thread: lldb.SBThread) -> Optional[Any]:
    """The listed goroutine a thread of the OS plugin stands for, or None."""
    process = thread.GetProcess()
    return _goroutine_threads.get(process.GetProcessID(), (0, {}))[1].get(thread.GetThreadID())


def _under_local_lldb_server(process: lldb.SBProcess) -> bool:
    """A process of this machine that lldb-server traces: its /proc files are the process's own
    (not a core file, qemu-user's stub whose process holds qemu's threads too, or another
    machine's)."""
    return (process.GetPluginName() == "gdb-remote"
            and process.GetTarget().GetPlatform().GetName() == "host"
            and _traced(process.GetProcessID()))


def _fast_reader(process: lldb.SBProcess,
                 local: bool) -> tuple[Callable[[int, int], Optional[bytes]], Callable[[], None]]:
    """(reader, close): /proc/PID/mem of a local process stopped under this LLDB (`local`:
    _under_local_lldb_server; lldb-server's memory packets cost a round trip per page), else the
    SB API. Close after the listing: it runs at every stop."""
    slow = _reader(process)
    try:
        if local:
            fd = os.open(f"/proc/{process.GetProcessID()}/mem", os.O_RDONLY | os.O_CLOEXEC)

            def read(addr: int, size: int) -> Optional[bytes]:
                try:
                    data = os.pread(fd, size, addr)
                    return data if len(data) == size else slow(addr, size)
                except OSError:
                    return slow(addr, size)
            return read, lambda: os.close(fd)
    except OSError:
        pass
    return slow, lambda: None


def _traced(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1]) > 0
    except (OSError, ValueError):
        pass
    return False


def set_threads(mode: str, maximum: int) -> None:
    """`cgo threads` (the plugin's command, which then reloads the OS plugin)."""
    global threads_mode, threads_max
    threads_mode, threads_max = mode, maximum


class StopHook:
    """`target stop-hook add -P cgounwind_lldb.StopHook` (every target; LLDB < 21 runs stop-hooks
    only at stops it reports, a Go program's first one being SIGURG): runs `cgo configure -q`, then
    resumes when every thread stopped only for a signal that now passes silently (also a Go
    library's first SIGURG, when it came before the module-load listener silenced it)."""

    def __init__(self, target: lldb.SBTarget, extra_args: Any, internal_dict: Any) -> None:
        pass

    def handle_stop(self, exe_ctx: lldb.SBExecutionContext, stream: lldb.SBStream) -> bool:
        try:
            process = exe_ctx.GetProcess()
            ci = process.GetTarget().GetDebugger().GetCommandInterpreter()
            ci.HandleCommand("cgo configure -q", exe_ctx, lldb.SBCommandReturnObject())
            # A step that ended in cgo's glue goes on to the user's code (cgounwind_step.py).
            if _stepping is not None and _stepping.after_step(process):
                return False
            signals = process.GetUnixSignals()
            silent = False
            for thread in process:
                reason = thread.GetStopReason()
                if reason in (lldb.eStopReasonNone, lldb.eStopReasonInvalid):
                    continue
                if (reason != lldb.eStopReasonSignal
                        or signals.GetShouldStop(thread.GetStopReasonDataAtIndex(0))):
                    return True
                silent = True
            return not silent
        except Exception:  # noqa: BLE001 - nothing may escape into LLDB
            return True


try:  # beside this file; imports this module (loaded first) by name
    import cgounwind_step as _stepping
    # LLDB finds a scripted thread plan's class by a name in the modules it imported itself.
    CgoRunTo = _stepping.CgoRunTo
except ImportError:
    _stepping = None
