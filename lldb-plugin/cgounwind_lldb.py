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

import os
import sys
from typing import Any, Callable, Optional

import lldb
from lldb.plugins.scripted_frame_provider import ScriptedFrameProvider
from lldb.plugins.scripted_process import ScriptedFrame


def _find_core() -> Any:
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.environ.get("CGOUNWIND_PYTHONPATH", ""), os.path.join(here, "..", "python"),
              os.path.join(here, "..", "..", "share", "cgounwind", "python")):
        if d and os.path.isdir(d) and d not in sys.path:
            sys.path.insert(0, d)
    import _cgounwind  # noqa: E402  (located above)
    return _cgounwind


core = _find_core()
MAX_FRAMES = 4096

_binaries: dict[str, tuple[Any, str]] = {}
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


def binary_for(target: lldb.SBTarget) -> tuple[Any, str]:
    exe = target.GetExecutable()
    path = exe.fullpath if exe.IsValid() else ""
    if not path:
        return None, "no executable"
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


def code_modules(target: lldb.SBTarget, binary: Any) -> Any:
    """The process's ELF files with their load biases, for the core's C unwinder (cached)."""
    exe = target.GetExecutable().fullpath
    files = []
    for i in range(target.GetNumModules()):
        m = target.GetModuleAtIndex(i)
        path = m.GetFileSpec().fullpath
        bias = _module_bias(target, m)
        if path and path != exe and bias is not None and os.path.isfile(path):
            files.append((path, bias))
    key = (target.GetProcess().GetProcessID(), tuple(files))
    mods = _modules.get(key)
    if mods is None:
        mods = core.CodeModules()
        mods.add_binary(binary, _module_bias(target, target.GetModuleAtIndex(0)) or 0)
        for path, bias in files:
            mods.add_file(path, bias)
        _modules.clear()
        _modules[key] = mods
    return mods


def _reader(process: lldb.SBProcess) -> Callable[[int, int], Optional[bytes]]:
    def read(addr: int, size: int) -> Optional[bytes]:
        err = lldb.SBError()
        data = process.ReadMemory(addr, size, err)
        return data if err.Success() and data is not None and len(data) == size else None
    return read


def _registers(frame: lldb.SBFrame) -> dict[int, int]:
    numbers = core.dwarf_register_numbers()
    regs: dict[int, int] = {}
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
         regs: dict[int, int]) -> tuple[list[Any], str]:
    """The core's walk of one thread: (ThreadFrames, one-line error or '')."""
    target = thread.GetProcess().GetTarget()
    binary, why = binary_for(target)
    if binary is None:
        return [], why
    if not binary.layout_complete():
        return [], "Go runtime layout unknown (missing: " + ", ".join(binary.layout_missing()) + ")"
    walker = core.Walker(binary, _reader(thread.GetProcess()))
    stack = walker.walk_thread(code_modules(target, binary), regs, frames, thread.GetThreadID(),
                               MAX_FRAMES)
    return list(stack.frames), stack.error


class CgoFrame(ScriptedFrame):
    """A frame LLDB's own unwinder did not find: pc, symbol context, no registers."""

    def __init__(self, thread: lldb.SBThread, index: int, pc: int, innermost: bool) -> None:
        super().__init__(thread, lldb.SBStructuredData())
        self.id = index
        self.pc = pc
        self.innermost = innermost
        self.target = thread.GetProcess().GetTarget()

    def get_id(self) -> int:
        return self.id

    def get_pc(self) -> int:
        return self.pc

    def get_symbol_context(self) -> lldb.SBSymbolContext:
        lookup = self.pc if self.innermost else self.pc - 1
        return self.target.ResolveSymbolContextForAddress(
            self.target.ResolveLoadAddress(lookup), lldb.eSymbolContextEverything)

    def is_artificial(self) -> bool:
        return False

    def get_register_context(self) -> None:
        return None  # LLDB 22.1.8 crashes on a scripted frame's register context

    def get_variables(self, filters: Any = None) -> Optional[lldb.SBValueList]:
        return None


class CgoFrameProvider(ScriptedFrameProvider):
    """Splices Go and C stacks across Go's runtime stack switches (cgounwind core)."""

    @staticmethod
    def get_description() -> str:
        return "cgounwind: Go and C frames across Go's stack switches"

    def __init__(self, input_frames: lldb.SBFrameList, args: lldb.SBStructuredData) -> None:
        super().__init__(input_frames, args)
        self.frames: list[Any] = []
        self.native = 0
        try:
            n = input_frames.GetSize()
            self.native = n
            native = []
            for i in range(n):
                f = input_frames.GetFrameAtIndex(i)
                native.append((f.GetPC(), f.GetSP(), f.GetFP()))
            regs = _registers(input_frames.GetFrameAtIndex(0)) if n else {}
            if n:
                self.frames, error = walk(self.thread, native, regs)
                if error:
                    _say_once(self.target.GetDebugger(),
                              f"thread #{self.thread.GetIndexID()}: {error}; backtrace truncated")
        except Exception as e:  # noqa: BLE001 - nothing may escape into LLDB
            self.frames = []
            _say_once(self.target.GetDebugger(), f"frame provider failed: {e}")

    def get_frame_at_index(self, index: int) -> Any:
        try:
            if not self.frames:  # not a Go thread we can walk: LLDB's own frames
                return index if index < self.native else None
            if index >= len(self.frames):
                return None
            f = self.frames[index]
            if f.native >= 0:
                return f.native
            return CgoFrame(self.thread, index, f.pc, f.innermost)
        except Exception:  # noqa: BLE001
            return None
