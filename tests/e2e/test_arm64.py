#!/usr/bin/env python3
"""End-to-end on linux/arm64: the testdata programs cross-built for arm64 (<name>-arm64), run
under qemu-user's gdbstub, debugged with gdb-multiarch + cgo.py and lldb-22 + the plugin
(`gdb-remote`), as ../shared/notes/arm64-qemu.md and the README describe.

Asserts what a user sees: `bt` with the same function names as the amd64 golden stack of the
same program and toolchain (tests/e2e/expected/<toolchain>/<name>.bt.txt) where the stacks are
the same, and the toolchain-independent expectations of programs.py; every thread of `thread
apply all bt` / `thread backtrace all` without a `??` frame, a truncation or a message; the
goroutine commands; Go values (GDB `print`, LLDB `go print`); a core file written by GDB's
`gcore` over the stub, read by gdb-multiarch and lldb-22.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Iterator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
SYSROOT = "/usr/aarch64-linux-gnu"
QEMU = ["qemu-aarch64", "-L", SYSROOT]
# The programs run on every toolchain: every switch the arm64 rules decode (asmcgocall,
# cgocallback/crosscall2, crosscall1 for a C-created and Go-created threads, systemstack,
# morestack, mcall), optimised C, deep nesting and values.
PROGRAMS = ("callback", "callback-O2", "cthread", "deep", "sysstack", "switches-grow",
            "switches-park", "values")
# A stop in Go code called back from C, in LLDB only: under qemu-user the goroutine stacks lie
# above the thread stacks (natively they lie below), and GDB stops a backtrace whose frame
# addresses decrease ("previous frame inner to this frame") where it unwound the Go frames
# itself and the walk comes back to the C stack (README, Supported: arm64).
LLDB_ONLY = ("callback-gostop",)
# GDB's frame line for libc code without symbols (Debian ships no arm64 libc6-dbg for amd64
# hosts): `#15 0x... in ?? () from /usr/aarch64-linux-gnu/lib/libc.so.6`.
_LIBC_UNNAMED = re.compile(r" in \?\? \(\) (from|at) \S*/libc\.so")
_GDB_THREAD = re.compile(r"^Thread (\d+) \(")


def gdb_frames(lines: list[str], frames: list[str]) -> list[str]:
    """Frame names, libc's unnamed frames called `<libc>` (they are not ours)."""
    return ["<libc>" if f == "??" and _LIBC_UNNAMED.search(ln) else f
            for f, ln in zip(frames, lines)]


def gdb_threads(text: str) -> dict[int, list[str]]:
    """`thread apply all bt` under qemu: `Thread 2 (Thread 1.1234 (CPU#1 [running])):`."""
    blocks: dict[int, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        t = _GDB_THREAD.match(line)
        if t:
            current = blocks[int(t.group(1))] = []
        else:
            current.append(line)
    out = {}
    for n, lines in blocks.items():
        bts = G.parse_backtraces("\n".join(lines))
        out[n] = gdb_frames(bts[0].lines, bts[0].frames) if bts else []
    return out


def binary(prog: P.Program) -> str:
    return G.testdata_binary(ARGS.toolchain, prog.binary + "-arm64")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """Whether a TCP socket listens on `port` (from /proc/net/tcp, state 0A)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    return True
    return False


@contextlib.contextmanager
def qemu(path: str, emulator: tuple[str, ...] = tuple(QEMU)) -> Iterator[int]:
    """The program under qemu-user, waiting for a debugger on the yielded port."""
    port = free_port()
    # Go's preemption signal makes stops land in odd places under emulation (see the notes).
    proc = subprocess.Popen([*emulator, "-E", "GODEBUG=asyncpreemptoff=1", "-g", str(port), path],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=os.path.dirname(path))
    try:
        # The stub listens a moment after qemu starts. Not probed by connecting: it serves one
        # connection, then the program runs free (or exits).
        for _ in range(200):
            if listening(port):
                break
            time.sleep(0.02)
        yield port
    finally:
        proc.kill()
        proc.wait()


def gdb_commands(prog: P.Program, port: int) -> list[str]:
    """The program's gdb commands for a process that already exists (qemu started it)."""
    return (["set sysroot " + SYSROOT, f"target remote :{port}"]
            + ["continue" if c == "run" else c for c in prog.gdb_commands])


def run_gdb(path: str, commands: list[str], sections: list[tuple[str, str]],
            load_cgo: bool = True) -> tuple[str, dict[str, str]]:
    cmds = list(commands)
    for name, command in sections:
        cmds += [f"echo {G.MARK}{name}\\n", command]
    cmds.append(f"echo {G.MARK}end\\n")
    args = ["gdb-multiarch", "-batch", "-nx", "-iex", "set auto-load python-scripts off",
            "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off"]
    if load_cgo:
        args += ["-ex", f"source {G.CGO_PY}"]
    for c in cmds:
        args += ["-ex", c]
    args.append(path)
    out = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=240,
                         env=G.debugger_env()).stdout
    return out, G.split_sections(out, G.MARK)


def lldb_commands(prog: P.Program, port: int, path: str) -> list[str]:
    cmds = [f"plugin load {L.PLUGIN}", f"target create {path}",
            f"target modules search-paths add /lib {SYSROOT}/lib", f"gdb-remote {port}"]
    return cmds + ["process continue" if c == "process launch" else c
                   for c in prog.lldb_commands]


def golden_frames(prog: P.Program) -> list[str]:
    """The amd64 golden stack of the same program and toolchain, or an arm64 one where the two
    architectures differ (expected/<toolchain>/arm64/<name>.bt.txt)."""
    own = os.path.join(L.EXPECTED, ARGS.toolchain, "arm64", prog.name + ".bt.txt")
    path = own if os.path.exists(own) else os.path.join(L.EXPECTED, ARGS.toolchain,
                                                        prog.name + ".bt.txt")
    with open(path) as f:
        return f.read().split()


LIBC_START = ("start_thread", "clone3", "clone")


def collapse(frames: list[str]) -> list[str]:
    return [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]


# Where a thread's stack may legitimately end: a goroutine, a Go-created thread's C start, the
# scheduler on g0 (mstart), a goroutine being switched to (mcall/systemstack on g0).
THREAD_BOTTOMS = ("runtime.goexit", "clone3", "clone", "runtime.mstart", "runtime.mcall",
                  "runtime.morestack", "runtime.systemstack", "runtime.rt0_go", "_start",
                  "<libc>", "___lldb_unnamed_symbol")


class Arm64Gdb(unittest.TestCase):
    maxDiff = None

    def check_stack(self, prog: P.Program, frames: list[str], where: str) -> None:
        self.assertTrue(frames, f"{where}: no backtrace")
        self.assertNotIn("??", frames, f"{where}: ?? frame in {frames}")
        self.assertTrue(P.names_match(prog.bp_function, frames[0]),
                        f"{where}: stopped in {frames[0]}")
        self.assertEqual(P.missing_frames(prog.user_frames, frames), [],
                         f"{where}: missing frames in {frames}")
        bottoms = prog.bottoms + (("<libc>", "___lldb_unnamed_symbol") if "clone3" in prog.bottoms
                                  else ())
        self.assertTrue(any(P.names_match(b, frames[-1]) or frames[-1].startswith(b)
                            for b in bottoms),
                        f"{where}: bottom frame {frames[-1]} not one of {bottoms}")
        for name, n in prog.min_counts.items():
            count = sum(1 for f in frames if P.names_match(name, f))
            self.assertGreaterEqual(count, n, f"{where}: {name} occurs {count} times")
        expected = golden_frames(prog)
        if "<libc>" in frames or any(f.startswith("___lldb_unnamed_symbol") for f in frames):
            # libc without symbols here: its thread-start frames have no names.
            expected = [("<libc>" if e in LIBC_START else e) for e in expected]
            frames = [("<libc>" if f.startswith("___lldb_unnamed_symbol") else f)
                      for f in frames]
        got = collapse(frames) if prog.collapse_repeats else frames
        if prog.collapse_repeats:
            expected = collapse(expected)
        self.assertTrue(L.same_stack(expected, got),
                        f"{where}: differs from the golden stack\n{expected}\n{got}")

    def check_threads(self, text: str, where: str, lldb: bool = False) -> set[int]:
        """Every thread's stack; returns the threads caught inside the runtime's scheduler."""
        threads = L.parse_threads(text) if lldb else gdb_threads(text)
        self.assertGreaterEqual(len(threads), 2, f"{where}: threads {threads}")
        in_runtime = set()
        for n, frames in threads.items():
            self.assertTrue(frames, f"{where}: thread {n} has no frame")
            if frames[0].startswith("runtime."):
                # Known limitation (README), as test_gdb.py/test_lldb.py allow for threads caught
                # mid-switch: a thread the stop catches inside the runtime's scheduler on g0
                # (between mcall and schedule, or at a function's first instruction) is only
                # required to start there; the debuggers unwind those frames themselves.
                in_runtime.add(n)
                continue
            self.assertNotIn("??", frames, f"{where}: thread {n}: {frames}")
            self.assertTrue(any(P.names_match(b, frames[-1]) or frames[-1].startswith(b)
                                for b in THREAD_BOTTOMS),
                            f"{where}: thread {n} ends at {frames[-1]}: {frames}")
        return in_runtime

    def test_backtraces(self) -> None:
        for name in PROGRAMS:
            prog = P.BY_NAME[name]
            with self.subTest(program=name), qemu(binary(prog)) as port:
                out, parts = run_gdb(binary(prog), gdb_commands(prog, port),
                                     [("bt", "bt"), ("all", "thread apply all bt")])
                before_all = out.split(G.MARK + "all", 1)[0]
                self.assertEqual(G.problems(before_all), [], out)
                bts = G.parse_backtraces(parts["bt"])
                self.assertTrue(bts, out)
                self.check_stack(prog, gdb_frames(bts[-1].lines, bts[-1].frames),
                                 f"gdb {name} bt")
                in_runtime = self.check_threads(parts["all"], f"gdb {name} thread apply all bt")
                # Problems in `thread apply all bt` only in threads caught in the scheduler.
                for block in re.split(r"(?m)^(?=Thread \d+ \()", parts["all"]):
                    t = _GDB_THREAD.match(block)
                    if t and int(t.group(1)) not in in_runtime:
                        self.assertEqual(G.problems(block), [], out)

    def entry_address(self, function: str) -> str:
        """The address of a function's first instruction (its ELF symbol), for `break *ADDR`."""
        out = subprocess.run(["aarch64-linux-gnu-nm", binary(P.BY_NAME["callback"])],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        return "0x" + next(ln.split()[0] for ln in out.splitlines() if ln.split()[-1] == function)

    # Stops at a function's first instruction, where the return address is still in the link
    # register: a C leaf called through cgo (the whole spliced stack) and a Go function.
    ENTRY_STOPS = (("c_inner", tuple(P.BY_NAME["callback"].user_frames)),
                   ("main.goOuter", ("main.goOuter", "main.main", "runtime.main",
                                     "runtime.goexit")))

    def test_function_entry(self) -> None:
        for function, frames in self.ENTRY_STOPS:
            with self.subTest(function=function), qemu(binary(P.BY_NAME["callback"])) as port:
                out, parts = run_gdb(binary(P.BY_NAME["callback"]),
                                     ["set sysroot " + SYSROOT, f"target remote :{port}",
                                      f"break *{self.entry_address(function)}", "continue"],
                                     [("bt", "bt")])
                self.assertEqual(G.problems(out), [], out)
                got = G.parse_backtraces(parts["bt"])[-1].frames
                self.assertEqual(P.missing_frames(list(frames), got), [], out)
                self.assertTrue(P.names_match(frames[-1], got[-1]), got)

    def test_static_binary(self) -> None:
        prog = P.BY_NAME["callback"]
        path = G.testdata_binary(ARGS.toolchain, "callback-static-arm64")
        with qemu(path) as port:
            out, parts = run_gdb(path, ["set sysroot " + SYSROOT, f"target remote :{port}",
                                        "break c_inner", "continue"], [("bt", "bt")])
        self.assertEqual(G.problems(out), [], out)
        self.check_stack(prog, G.parse_backtraces(parts["bt"])[-1].frames, "gdb static bt")

    def test_without_cgounwind(self) -> None:
        """What the stock gdb-multiarch shows (the reason this exists): it stops after
        runtime.asmcgocall. If this ever changes, the README's comparison must too."""
        prog = P.BY_NAME["callback"]
        with qemu(binary(prog)) as port:
            out, parts = run_gdb(binary(prog), gdb_commands(prog, port), [("bt", "bt")],
                                 load_cgo=False)
        frames = G.parse_backtraces(parts["bt"])[-1].frames
        self.assertNotIn("main.main", frames, out)

    def test_goroutines_and_values(self) -> None:
        prog = P.BY_NAME["values"]
        n = 5  # main.goValues: c_values_stop, its cgo wrapper, asmcgocall, cgocall, _Cfunc_
        values = [("err", f"cgo frame {n} print err"), ("ch", f"cgo frame {n} print ch"),
                  ("m", f"cgo frame {n} print m"), ("cs", f"cgo frame {n} print cs")] + [
                     (k, f"cgo frame {n} print {k}") for k in P.VALUES_C_TEXT]
        with qemu(binary(prog)) as port:
            out, parts = run_gdb(binary(prog), gdb_commands(prog, port), [
                ("list", "info goroutines"), ("gbt", "goroutine 1 bt"),
                ("args", "bt"), ("locals", f"cgo frame {n} info locals")] + values)
        # The same text as on amd64 (test_gdb.py): interfaces, channels, maps, cgo unions.
        self.assertRegex(parts["err"], r'(?m)^\$\d+ = error\(\*errors\.errorString\) '
                                       r'&errors\.errorString\{s: "boom"\}$', out)
        self.assertRegex(parts["ch"], r"(?m)^\$\d+ = chan int len: 2, cap: 4 \[1, 2\]$", out)
        self.assertRegex(parts["m"], rf"(?m)^\$\d+ = {re.escape(P.values_map_text(ARGS.toolchain))}$",
                         out)
        # *C.char (uint8 on arm64, where C's char is unsigned) as its C string.
        self.assertRegex(parts["cs"], r'(?m)^\$\d+ = \(\*C\.char\)\(0x[0-9a-f]+\) "Tom"$', out)
        for name, text in P.VALUES_C_TEXT.items():
            self.assertRegex(parts[name], rf"(?m)^\$\d+ = {re.escape(text)}$", out)
        self.assertEqual(G.problems(out), [], out)
        self.assertRegex(parts["list"], r"(?m)^\* 1\s+syscall\s+\d+\s+yes\s+runtime\.cgocall",
                         out)
        self.assertRegex(parts["list"], r"waiting \(", out)
        gbt = G.parse_backtraces(parts["gbt"])[-1].frames
        self.assertEqual(P.missing_frames(prog.user_frames, gbt), [], gbt)
        locals_text = parts["locals"]
        for name in ("xs", "pt", "f", "ok"):
            self.assertRegex(locals_text, rf"(?m)^{name} = ", locals_text)

    def test_core_file(self) -> None:
        """gcore over qemu's stub, then the core file in gdb-multiarch and lldb-22. qemu's stub
        tells GDB nothing of the process's mappings, so the core holds the thread stacks but not
        the Go heap where goroutine stacks live: the stack is truncated at the switch onto the
        goroutine, with one line saying why — never garbage past it."""
        prog = P.BY_NAME["callback"]
        with tempfile.TemporaryDirectory() as d, qemu(binary(prog)) as port:
            core = os.path.join(d, "callback.core")
            out, _ = run_gdb(binary(prog), gdb_commands(prog, port) + [f"gcore {core}"], [])
            if not os.path.exists(core):
                self.skipTest(f"gcore over qemu's gdbstub wrote no core: {out[-300:]}")
            out, parts = run_gdb(binary(prog), ["set sysroot " + SYSROOT, f"core-file {core}"],
                                 [("bt", "bt")])
            frames = G.parse_backtraces(parts["bt"])[-1].frames
            said = [ln for ln in G.problems(out) if "cgounwind:" in ln]
            self.assertEqual([ln for ln in G.problems(out) if ln not in said], [], out)
            self.assertEqual(len(said), 1, out)
            self.assertIn("unreadable goroutine", said[0], out)
            expected = golden_frames(prog)
            self.assertTrue(L.same_stack(expected[:len(frames)], frames), f"{frames}\n{out}")
            self.assertEqual(P.normalize_name(frames[-1]), "runtime.asmcgocall", out)
            lout = L.run_lldb([f"plugin load {L.PLUGIN}",
                               f"target create {binary(prog)} --core {core}",
                               f"target modules search-paths add /lib {SYSROOT}/lib", "bt"])
            self.assertNotIn("PLEASE submit a bug report", lout, lout)
            lframes = next(iter(L.parse_threads(L.selected_bt(lout)).values()), [])
            self.assertTrue(L.same_stack(expected[:len(lframes)], lframes),
                            f"{lframes}\n{lout}")
            self.assertIn("unreadable goroutine", lout, lout)


class Arm64Lldb(Arm64Gdb):
    def test_backtraces(self) -> None:
        for name in PROGRAMS + LLDB_ONLY:
            prog = P.BY_NAME[name]
            with self.subTest(program=name), qemu(binary(prog)) as port:
                out = L.run_lldb(lldb_commands(prog, port, binary(prog))
                                 + ["bt", "thread backtrace all", "process kill"], timeout=240)
                self.assertNotIn("PLEASE submit a bug report", out, out)
                bt = out.split("(lldb) bt\n", 1)[-1].split("(lldb) thread backtrace all", 1)[0]
                threads = L.parse_threads(bt)
                self.assertEqual(len(threads), 1, out)
                self.check_stack(prog, next(iter(threads.values())), f"lldb {name} bt")
                rest = out.split("(lldb) thread backtrace all", 1)[-1]
                in_runtime = self.check_threads(rest.split("(lldb) process kill", 1)[0],
                                                f"lldb {name} thread backtrace all", lldb=True)
                # A one-line truncation notice only for a thread caught in the scheduler.
                said = [ln for ln in out.splitlines() if "cgounwind:" in ln]
                for ln in said:
                    t = re.search(r"thread #(\d+):", ln)
                    self.assertTrue(t and int(t.group(1)) in in_runtime, out)

    def test_function_entry(self) -> None:
        for function, frames in self.ENTRY_STOPS:
            with self.subTest(function=function), qemu(binary(P.BY_NAME["callback"])) as port:
                prog = P.BY_NAME["callback"]
                cmds = [c for c in lldb_commands(prog, port, binary(prog))
                        if not c.startswith("breakpoint set") and c != "process continue"]
                out = L.run_lldb(cmds + [f"breakpoint set -a {self.entry_address(function)}",
                                         "process continue", "bt", "process kill"])
                got = next(iter(L.parse_threads(out.split("(lldb) bt\n", 1)[-1]).values()), [])
                self.assertEqual(P.missing_frames(list(frames), got), [], out)
                self.assertTrue(P.names_match(frames[-1], got[-1]), got)

    def test_static_binary(self) -> None:
        self.skipTest("covered by Arm64Gdb")

    def test_without_cgounwind(self) -> None:
        prog = P.BY_NAME["callback"]
        with qemu(binary(prog)) as port:
            cmds = [c for c in lldb_commands(prog, port, binary(prog)) if "plugin load" not in c]
            out = L.run_lldb(cmds + ["bt", "process kill"])
        frames = next(iter(L.parse_threads(out.split("(lldb) bt\n", 1)[-1]).values()), [])
        self.assertNotIn("main.main", frames, out)

    def test_goroutines_and_values(self) -> None:
        prog = P.BY_NAME["values"]
        with qemu(binary(prog)) as port:
            out = L.run_lldb(lldb_commands(prog, port, binary(prog))
                             + ["goroutine list", "goroutine bt 1", "frame select 5",
                                "frame variable", "go print *p", "process kill"], timeout=240)
        self.assertNotIn("PLEASE submit a bug report", out, out)
        self.assertNotIn("cgounwind:", out, out)
        self.assertRegex(out, r"(?m)^\* 1\s+syscall\s+\d+\s+yes\s+runtime\.cgocall", out)
        self.assertRegex(out, r"goroutine 1 \(syscall", out)
        gbt = [m.group(2) for m in map(L.GOROUTINE_FRAME.match,
                                       out.split("goroutine 1 (syscall", 1)[-1].splitlines())
               if m]
        self.assertEqual(P.missing_frames(prog.user_frames, gbt), [], out)
        # The same text as on amd64 (test_lldb.py), though qemu's stub cannot give LLDB's
        # expression evaluator memory (the mirror types are declared in LLDB's dummy target).
        got = out.split("(lldb) frame variable", 1)[-1].split("(lldb) go print", 1)[0]
        self.assertEqual(L.lldb_values_problems(got, ARGS.toolchain), [], out)
        self.assertIn('*p = (X = 3, Y = 4, Name = "heap")', out, out)

    def test_core_file(self) -> None:
        self.skipTest("covered by Arm64Gdb (GDB writes the core; both debuggers read it)")

    def test_qemu_user_platform(self) -> None:
        """LLDB's own qemu-user platform: `process launch` starts qemu and connects to it."""
        prog = P.BY_NAME["values"]
        path = binary(prog)
        out = L.run_lldb([f"plugin load {L.PLUGIN}",
                          "settings set platform.plugin.qemu-user.architecture aarch64",
                          "settings set platform.plugin.qemu-user.emulator-path "
                          + subprocess.run(["which", QEMU[0]], stdout=subprocess.PIPE,
                                           text=True).stdout.strip(),
                          f"settings set -- platform.plugin.qemu-user.emulator-args -L {SYSROOT}",
                          "platform select qemu-user", f"target create {path}",
                          f"target modules search-paths add /lib {SYSROOT}/lib",
                          # As for the other runs under emulation (see qemu()).
                          "settings set target.env-vars GODEBUG=asyncpreemptoff=1",
                          f"breakpoint set -n {prog.bp_function}", "process launch", "bt",
                          "frame select 5", "go print pt", "process kill"], timeout=120)
        self.assertNotIn("cgounwind:", out, out)
        frames = next(iter(L.parse_threads(out.split("(lldb) bt\n", 1)[-1]).values()), [])
        self.check_stack(prog, frames, "lldb qemu-user platform bt")
        self.assertIn('pt = (X = 1, Y = 2, Name = "origin")', out, out)


class UnsupportedArchitecture(unittest.TestCase):
    """A Go program of an architecture the core has no rules for (riscv64, run under
    qemu-riscv64): GDB and LLDB show exactly what they show without cgounwind, which says so in
    one line."""

    PATH = property(lambda self: G.testdata_binary(ARGS.toolchain, "purego-riscv64"))

    @staticmethod
    def comparable(text: str) -> list[str]:
        """Output lines without run-specific addresses and thread ids."""
        text = re.sub(r"0x[0-9a-f]+", "ADDR", text)
        text = re.sub(r"Thread 1\.\d+", "Thread 1.N", text)
        # Thread announcements ("[New Thread 1.N]") depend on timing, not on us.
        return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("[")]

    def test_gdb(self) -> None:
        outs = []
        for load in (True, False):
            with qemu(self.PATH, ("qemu-riscv64",)) as port:
                out, parts = run_gdb(self.PATH, [f"target remote :{port}", "break main.marker",
                                                 "continue"], [("bt", "bt")], load_cgo=load)
            outs.append(out)
        said = [ln for ln in outs[0].splitlines() if "cgounwind:" in ln]
        self.assertEqual(len(said), 1, outs[0])
        self.assertIn("not supported", said[0])
        mine = self.comparable(outs[0].replace(said[0].split("cgounwind:")[0] + said[0], "")
                               .replace(said[0], ""))
        stock = self.comparable(outs[1])
        self.assertEqual([ln for ln in mine if "auto-load" not in ln],
                         [ln for ln in stock if "auto-load" not in ln], outs[0])

    def test_lldb(self) -> None:
        outs = []
        for load in (True, False):
            with qemu(self.PATH, ("qemu-riscv64",)) as port:
                cmds = ([f"plugin load {L.PLUGIN}"] if load else []) + [
                    f"target create {self.PATH}", f"gdb-remote {port}",
                    "process handle -p true -s false -n false SIGURG", "b main.marker",
                    "continue", "bt", "process kill"]
                outs.append(L.run_lldb(cmds))
        said = [ln for ln in outs[0].splitlines() if ln.startswith("cgounwind:")]
        self.assertEqual(len(said), 1, outs[0])
        self.assertIn("not supported", said[0])
        bt = [self.comparable(o.split("(lldb) bt", 1)[-1].split("(lldb) process kill")[0])
              for o in outs]
        self.assertEqual(bt[0], bt[1], outs)


class Arm64Dap(unittest.TestCase):
    """lldb-dap attached to the program under qemu as a VS Code user would configure it: the
    example launch configuration's initCommands (the plugin) and attachCommands that create the
    target and connect to qemu's gdbstub. The Call Stack pane's frames are the spliced stack."""

    def test_call_stack(self) -> None:
        import test_dap  # noqa: E402  (its DapSession speaks the protocol)
        prog = P.BY_NAME["callback"]
        path = binary(prog)
        with qemu(path) as port:
            session = test_dap.DapSession()
            try:
                session.request("initialize", test_dap.INITIALIZE)
                config = test_dap.launch_arguments(path)
                attach = {"program": path, "initCommands": config["initCommands"],
                          "attachCommands": [f"target create {path}",
                                             f"target modules search-paths add /lib {SYSROOT}/lib",
                                             f"gdb-remote {port}"]}
                seq = session.send("attach", attach)
                session.wait_event("initialized")
                bps = session.request("setFunctionBreakpoints",
                                      {"breakpoints": [{"name": prog.bp_function}]})
                self.assertTrue(bps["body"]["breakpoints"][0].get("verified"), bps)
                session.request("configurationDone")
                session.response(seq)
                stopped = session.wait_event("stopped")
                if stopped["body"].get("reason") != "breakpoint":  # the stop at the entry
                    session.request("continue", {"threadId": stopped["body"]["threadId"]})
                    stopped = session.wait_event("stopped")
                tid = stopped["body"]["threadId"]
                frames = [test_dap.dap_frame_name(f["name"])
                          for f in session.stack_trace(tid)["stackFrames"]]
                expected = golden_frames(prog)
                self.assertTrue(L.same_stack(expected, frames),
                                f"{expected}\n{frames}\n{session.transcript()}")
            finally:
                session.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--toolchain", default="go1.26")
    args, rest = ap.parse_known_args()
    ARGS.toolchain = args.toolchain
    prog = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
