"""The single-step sweep's classification rules, shared by the GDB sweep (sweep_gdb.py, which
interrupts_gdb.py reuses) and the LLDB sweep (sweep_lldb.py): what makes a stack whole, what
counts as code, and the verdict. Standard library only; each debugger supplies the facts.

Each stop is one of:
  whole      the stack reaches a thread's start (runtime.goexit, runtime.mstart, rt0_go, C main,
             start_thread / clone), or a g0 stack whose goroutine the scheduler dropped ends at
             its switch function
  explained  it ends early, and a line of the debugger's output says why (cgounwind's one line,
             or GDB's "Backtrace stopped")
  silent     it ends early without a word
  garbage    a frame is `??` or a symbol outside code (a data symbol taken for a frame), or
             the first frame is not where the thread is (innermost frames lost)
"""

from __future__ import annotations

from typing import Callable, List, Optional

KINDS = ("whole", "explained", "silent", "garbage")

BOTTOMS = ("runtime.goexit", "runtime.mstart", "runtime.rt0_go", "main", "start_thread",
           "clone", "clone3", "__clone", "__clone3", "_start", "__libc_start_main", "__libc_start_call_main",
           "runtime.mstart0", "runtime.goexit1", "runtime.goexit0", "crosscall_amd64",
           "threadentry")
# A g0 stack whose switch function no longer has a goroutine above it (the scheduler dropped or
# handed off m.curg: gopreempt_m, park_m): the thread's stack ends there, whole.
G0_BOTTOMS = ("runtime.morestack", "runtime.mcall")
MAX_FRAMES = 256
_CODE_SECTIONS = (".text", ".plt", ".init", ".fini")


def is_code(section: str) -> bool:
    """A frame's pc (its call's address above frame 0) lies in code; '' when the debugger
    knows no section there (the vDSO in some debuggers): not held against the frame."""
    return not section or section.startswith(_CODE_SECTIONS)


def no_goroutine_above(walker: object, lwp: int, bottom: str, amd64: bool, sp: Optional[int],
                       read_word: Callable[[int], Optional[int]]) -> bool:
    """A g0 stack ending at its switch function `bottom` has no goroutine of this thread above
    it: the M runs none (m.curg == 0), or (amd64 mcall, whose frame holds the goroutine it
    switched from at its SP) the one it switched from is not the M's goroutine any more (dropped
    by fn, then run elsewhere, or another one started here by execute). `walker` is the core's
    Walker; `sp` the bottom frame's SP."""
    curg = walker.goid_of_thread(lwp)  # type: ignore[attr-defined]
    if curg is None:
        return True
    if bottom != "runtime.mcall" or not amd64 or sp is None:
        return False
    gp = read_word(sp)
    pos = walker.goroutine_pos_of_g(gp, sp) if gp else None  # type: ignore[attr-defined]
    return pos is None or pos[0] != curg


def verdict(frames: List[str], garbage: bool, cgo_why: str, debugger_why: str,
            g0_bottom_alone: Callable[[], bool]) -> str:
    """The kind of one stack: `frames` its function names (innermost first), `garbage` whether
    a frame above frame 0 is nameless or outside code, `cgo_why` cgounwind's line about its end
    and `debugger_why` the debugger's own ('' for none), `g0_bottom_alone()`
    no_goroutine_above for its last frame (asked only when that frame is one of G0_BOTTOMS and
    cgounwind said nothing)."""
    if garbage:
        return "garbage"
    if frames and frames[-1].split(".abi0")[0] in BOTTOMS:
        return "whole"
    if frames and frames[-1] in G0_BOTTOMS and not cgo_why and g0_bottom_alone():
        return "whole"
    return "explained" if cgo_why or debugger_why else "silent"
