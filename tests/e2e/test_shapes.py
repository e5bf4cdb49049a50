#!/usr/bin/env python3
"""End-to-end: Go wherever it is loaded (issue 11), in the real gdb, lldb-22 and lldb-dap-22.

1. Position-independent executables: the GDB, LLDB and lldb-dap tests of test_gdb.py,
   test_lldb.py and test_dap.py that stop callback, cthread and values run again, unchanged, on
   the same programs built with `-buildmode=pie` (and callback with static-pie where the
   toolchain builds it). The function names are those of the non-PIE build, so the same golden
   stacks apply; the values tests assert the same texts.
2. Go as a library (testdata/golib): a C host linked with the c-shared library, the same host
   linked with the c-archive, a C host that dlopen()s the library after start-up, Debian's
   /usr/bin/python3 loading it with ctypes, a host thread entering Go for the first time, and two
   Go runtimes in one process: in GDB and in LLDB, live and from a core file of the same stop, the
   spliced stack from the library's C breakpoint through the library's Go, the host's C, Go again
   and down to the host's main (or the thread's start, or Python's own frames), the goroutine
   listing (labelled by module with two runtimes), and no message, traceback or nameless frame;
   in lldb-dap the call stack of the linked host.

    /usr/bin/python3 tests/e2e/test_shapes.py --toolchain go1.26 [unittest args]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402
import test_dap  # noqa: E402
import test_gdb  # noqa: E402
import test_lldb  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")

# ---- 1. PIE: the existing tests on the PIE builds --------------------------------------------

# Program -> its PIE build in testdata (tests/build_testdata.py).
PIE_BUILDS = {"callback": "callback-pie", "cthread": "cthread-pie", "values": "values-pie"}

# The tests (module, class, method) that stop these programs and what they assert.
PIE_TESTS = [
    (test_gdb, "GdbBacktraces", "test_bt_callback"),
    (test_gdb, "GdbBacktraces", "test_bt_cthread"),
    (test_gdb, "GdbBacktraces", "test_bt_values"),
    (test_gdb, "GdbThreadsAndGoroutines", "test_core_file"),
    (test_gdb, "GdbThreadsAndGoroutines", "test_go_values_in_spliced_frames"),
    (test_gdb, "GdbThreadsAndGoroutines", "test_cgo_struct_interfaces_channels"),
    (test_lldb, "LldbBacktraces", "test_bt_callback"),
    (test_lldb, "LldbBacktraces", "test_bt_cthread"),
    (test_lldb, "LldbGoValues", "test_frame_variable_in_spliced_frame"),
    (test_lldb, "LldbGoValues", "test_go_print_fields_elements_pointees"),
    (test_lldb, "LldbCoreFile", "test_core_file"),
    (test_dap, "DapStacks", "test_stack_callback"),
    (test_dap, "DapGoValues", "test_spliced_go_frame_locals_and_children"),
]


class PieSuite(unittest.TestSuite):
    """Tests of test_gdb/test_lldb/test_dap run with their modules' binary() answering the
    given builds (program name -> build name) for as long as this suite runs."""

    def __init__(self, builds: dict[str, str], only: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.builds = builds
        for module, cls, method in PIE_TESTS:
            if not only or method in only:
                self.addTest(getattr(module, cls)(method))

    def run(self, result, debug=False):  # type: ignore[override]
        def mapped(name: str) -> str:
            return G.testdata_binary(ARGS.toolchain, self.builds.get(name, name))

        saved = {m: m.binary for m in (test_gdb, test_lldb, test_dap)}
        for module in saved:
            module.ARGS.toolchain = ARGS.toolchain
            module.binary = mapped
        try:
            return super().run(result, debug)
        finally:
            for module, fn in saved.items():
                module.binary = fn


# ---- 2. Go as a library in C and Python hosts ------------------------------------------------

PY_HOST = os.path.join(G.SRC, "testdata", "golib", "host.py")
CGOCALL = ("runtime.asmcgocall", "runtime.cgocall")
CALLBACK = ("runtime.cgocallbackg1", "runtime.cgocallbackg", "runtime.cgocallback", "crosscall2")
# From the library's C breakpoint to the host's call into the library (innermost first).
IN_LIBRARY = ("lib_c_inner", *CGOCALL, "main._Cfunc_lib_c_inner", "main.goInner",
              "main.GoMiddle", *CALLBACK, "GoMiddle")
OUT_OF_LIBRARY = ("call_host", *CGOCALL, "main._Cfunc_call_host", "main.goRun", "main.GoRun",
                  *CALLBACK, "GoRun")


class Shape:
    """A host stopped in the library's lib_c_inner."""

    def __init__(self, name: str, program: str, args: tuple[str, ...], frames: tuple[str, ...],
                 bottoms: tuple[str, ...], modules: tuple[str, ...] = ("libgocb.so",),
                 unnamed_in: tuple[str, ...] = (), notice: str = "") -> None:
        self.name, self.program, self.args = name, program, args
        # A line the session must print exactly once (bad input that cgounwind skips).
        self.notice = notice
        self.frames, self.bottoms, self.modules = frames, bottoms, modules
        # Files whose functions the debugger itself cannot name (stripped system libraries):
        # nameless frames there are the debugger's own, the same without cgounwind.
        self.unnamed_in = unnamed_in

    def argv(self) -> tuple[str, list[str]]:
        """The program's path and arguments for this toolchain's build."""
        lib_dir = os.path.dirname(G.testdata_binary(ARGS.toolchain, "libgocb.so"))
        args = [a.replace("{dir}", lib_dir) for a in self.args]
        path = self.program if self.program.startswith("/") else \
            G.testdata_binary(ARGS.toolchain, self.program)
        return path, args


_C_MAIN = ("host_cb", *OUT_OF_LIBRARY, "host_run", "main")
_C_THREAD = ("host_cb", *OUT_OF_LIBRARY, "host_run", "host_thread")
_THREAD_START = ("clone3", "clone")  # glibc >= 2.34 starts threads with clone3
SHAPES = {s.name: s for s in [
    Shape("cshared", "cshared-host", (), IN_LIBRARY + _C_MAIN, ("_start",)),
    Shape("cshared-thread", "cshared-host", ("thread",), IN_LIBRARY + _C_THREAD, _THREAD_START),
    Shape("carchive", "carchive-host", (), IN_LIBRARY + _C_MAIN, ("_start",)),
    Shape("dlopen", "dlopen-host", (), IN_LIBRARY + _C_MAIN, ("_start",)),
    Shape("dlopen-thread", "dlopen-host", ("thread",), IN_LIBRARY + _C_THREAD, _THREAD_START),
    # The callback is a ctypes closure (libffi, then the interpreter) between GoMiddle and
    # call_host; below GoRun: ctypes' call, the interpreter, python's main.
    Shape("python", "/usr/bin/python3", (PY_HOST, "{dir}/libgocb.so"),
          IN_LIBRARY + OUT_OF_LIBRARY + ("ffi_call", "_PyEval_EvalFrameDefault", "Py_BytesMain"),
          ("_start",), unnamed_in=("libffi.so", "_ctypes.cpython", "python3")),
    # One stack through two Go runtimes: libgocb2.so's GoMiddle is called by the host's
    # callback that libgocb.so's Go called.
    Shape("two-runtimes", "dlopen-host", ("two",), IN_LIBRARY + _C_MAIN, ("_start",),
          modules=("libgocb.so", "libgocb2.so")),
    # The host looks like Go (a .go.buildinfo section) but is not: one line, skipped, and the
    # real Go library is spliced as ever.
    Shape("looks-like-go", "fakego-host", (), IN_LIBRARY + _C_MAIN, ("_start",),
          notice=r"cgounwind: \S*fakego-host: not a Go binary we can read .*; skipped "
                 r"\(its frames are left to (GDB|LLDB)\)"),
]}


def notice_problems(shape: Shape, out: str, bad: list[str]) -> list[str]:
    """The shape's one expected line (if any) printed exactly once, and no other of `bad`."""
    said = [ln for ln in bad if shape.notice and re.search(shape.notice, ln)]
    others = [ln for ln in bad if ln not in said]
    want = 1 if shape.notice else 0
    return others + ([f"{len(said)} times: {shape.notice}\n{out}"] if len(said) != want else [])


def in_exe(shape: Shape, line: str) -> bool:
    """A GDB frame line whose pc is in the host executable's code, when the host is a
    non-PIE executable without a symbol table (Debian's python3: GDB prints `?? ()` there)."""
    m = re.match(r"^#\d+\s+0x([0-9a-f]+) in \?\? \(\)$", line.strip())
    return bool(m) and "python3" in shape.unnamed_in and int(m.group(1), 16) < 0x10000000


def stack_problems(shape: Shape, frames: list[str], lines: list[str] | None = None) -> list[str]:
    """What is wrong with a stack (function names, innermost first; `lines`: the debugger's
    line for each frame, which names the file of a nameless one)."""
    problems = []
    if not frames or not P.names_match("lib_c_inner", frames[0]):
        problems.append(f"stopped in {frames[:1]}")
    for i, name in enumerate(frames):
        if name != "??" and not name.startswith("___lldb_unnamed_symbol"):
            continue
        line = lines[i] if lines and i < len(lines) else ""
        if not any(f in line for f in shape.unnamed_in) and not in_exe(shape, line):
            problems.append(f"nameless frame #{i}: {line or name}")
    missing = P.missing_frames(list(shape.frames), frames)
    if missing:
        problems.append(f"missing {missing}")
    if frames and not any(P.names_match(b, frames[-1]) for b in shape.bottoms):
        problems.append(f"bottom frame {frames[-1]} is not one of {shape.bottoms}")
    return problems


def listing_problems(shape: Shape, text: str, reasons: bool = True) -> list[str]:
    """`info goroutines` / `goroutine list`: the goroutine in C, the parked ones, and with two
    runtimes a Module column naming both. `reasons` False: a core file without the runtime's
    wait-reason strings (LLDB saves only modified memory), where waiting is all it can say."""
    problems = []
    rows = [ln for ln in text.splitlines() if re.match(r"^[* ] \d+ ", ln)]
    if not any(re.search(r"syscall\s+\d+\s+yes ", ln) for ln in rows):
        problems.append("no goroutine inside C on a thread")
    parked = "(chan receive)" if reasons else " waiting "
    # Without reasons: the 3 parked ones and the runtime's own (GC workers) are all waiting.
    if sum(parked in ln for ln in rows) < 3 + (0 if reasons else 3):
        problems.append("fewer than 3 parked goroutines")
    if len(shape.modules) > 1:
        for m in shape.modules:
            if not any(f" {m} " in ln for ln in rows):
                problems.append(f"no goroutine of {m}")
    elif "Module" in text:
        problems.append("a Module column with one runtime")
    return [p + "\n" + text for p in problems]


# Go values of a spliced frame of the library (read with the library's load bias): goRun(cb, 1).
GO_RUN_ARGS_GDB = re.compile(r" in main\.goRun \(cb=0x[0-9a-f]+ <host_cb>, n=1[,)]")
LLDB_GO_RUN_VARS = (
    "script o = lldb.SBVariablesOptions(); o.SetIncludeArguments(True); "
    "o.SetIncludeLocals(True); o.SetIncludeRecognizedArguments(True); "
    "t = lldb.debugger.GetSelectedTarget().GetProcess().GetSelectedThread(); "
    "f = [x for x in t if 'main.goRun' in (x.GetFunctionName() or '')][0]; "
    "print('@@goRun', ' '.join('%s=%s' % (v.GetName(), v.GetValue()) for v in f.GetVariables(o)))")


# `goroutine ID bt` of a goroutine parked in the library (ids differ between runs: the script
# picks one from the listing in the same session); its stack is walked from g.sched with the
# rules of the runtime whose code holds its pc.
GDB_PARKED_BT = """python
import re
rows = [l for l in gdb.execute('info goroutines', to_string=True).splitlines()
        if '(chan receive)' in l]
print('@@parked ' + rows[0].split()[0])
gdb.execute('goroutine %s bt' % rows[0].split()[0])
end
"""


LLDB_PARKED_BT = (
    "script ci = lldb.debugger.GetCommandInterpreter(); r = lldb.SBCommandReturnObject(); "
    "ci.HandleCommand('goroutine list', r); "
    "i = [l.split()[0] for l in r.GetOutput().splitlines() if '(chan receive)' in l][0]; "
    "r = lldb.SBCommandReturnObject(); ci.HandleCommand('goroutine bt ' + i, r); "
    "print('@@parked\\n' + (r.GetOutput() or '') + '@@end')")


def parked_problems(frames: list[str], where: str) -> list[str]:
    if not frames or frames[-1] != "runtime.goexit" or P.missing_frames(
            ["runtime.gopark", "main.parkedWorker"], frames):
        return [f"{where}: parked goroutine's stack {frames}"]
    return []


def gdb_setup(shape: Shape) -> list[str]:
    path, args = shape.argv()
    return ["set breakpoint pending on", "break lib_c_inner",
            "run " + " ".join(args) if args else "run"]


class GdbHosts(unittest.TestCase):
    """GDB: live and from a gcore core file."""

    maxDiff = None

    def run_shape(self, key: str) -> None:
        shape = SHAPES[key]
        path, _ = shape.argv()
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "host.core")
            script = os.path.join(tmp, "parked.gdb")
            with open(script, "w") as f:
                f.write(GDB_PARKED_BT)
            out, parts = G.run_sections(path, gdb_setup(shape),
                                        [("bt", "bt"), ("info", "info goroutines"),
                                         ("parked", f"source {script}"),
                                         ("gcore", f"gcore {core}")])
            self.assertEqual(parked_problems(
                G.parse_backtraces(parts["parked"])[-1].frames if G.parse_backtraces(
                    parts["parked"]) else [], "gdb"), [], out)
            self.assertEqual(notice_problems(shape, out, G.problems(out)), [], out)
            parsed = G.parse_backtraces(parts["bt"])[-1]
            live = parsed.frames
            self.assertEqual(stack_problems(shape, live, parsed.lines), [], out)
            if shape.name != "python":  # ctypes' callback is a Python function, not host_cb
                self.assertTrue(any(GO_RUN_ARGS_GDB.search(ln) for ln in parsed.lines), out)
            self.assertEqual(listing_problems(shape, parts["info"]), [])
            self.assertTrue(os.path.exists(core), out)
            dead, dparts = G.run_sections(path, [], [("bt", "bt"), ("info", "info goroutines")],
                                          core=core)
            self.assertEqual(notice_problems(shape, dead, G.problems(dead)), [], dead)
            self.assertEqual(G.parse_backtraces(dparts["bt"])[-1].frames, live, dead)
            self.assertEqual(listing_problems(shape, dparts["info"]), [])


def _lldb_launch(shape: Shape) -> list[str]:
    _, args = shape.argv()
    return [f"plugin load {L.PLUGIN}", "breakpoint set -n lib_c_inner",
            "process launch" + (" -- " + " ".join(args) if args else "")]


class LldbHosts(unittest.TestCase):
    """LLDB: live (SIGURG never stops the host, whose Go runtime loads after the launch) and
    from a `process save-core` core file."""

    maxDiff = None

    def run_shape(self, key: str) -> None:
        shape = SHAPES[key]
        path, _ = shape.argv()
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "host.core")
            out = L.run_lldb(_lldb_launch(shape) + [
                "bt", "goroutine list", LLDB_GO_RUN_VARS, LLDB_PARKED_BT,
                *L.save_core(core)], target=path)
            self.assertRegex(out, r"(?m)^@@goRun cb=0x[0-9a-f]+ n=1$")
            block = out.split("\n@@parked\n", 1)[-1].split("@@end", 1)[0]
            parked = [m.group(2) for m in map(L.GOROUTINE_FRAME.match, block.splitlines()) if m]
            self.assertEqual(parked_problems(parked, "lldb"), [], out)
            self.assertNotIn("Traceback", out)
            self.assertEqual(notice_problems(
                shape, out, [ln for ln in out.splitlines() if "cgounwind:" in ln]), [], out)
            self.assertNotIn("SIGURG", out)
            # LLDB's event thread may still be printing other threads' stops into bt's output.
            bt = L.selected_bt(test_lldb.section(out, "bt"))
            stopped = L.parse_threads(bt)
            self.assertEqual(len(stopped), 1, out)
            live = next(iter(stopped.values()))
            by_number = {int(m.group(1)): ln for ln in bt.splitlines()
                         if (m := L.BT_FRAME.match(ln))}
            lines = [by_number.get(i, "") for i in range(len(live))]
            self.assertEqual(stack_problems(shape, live, lines), [], out)
            self.assertEqual(listing_problems(shape, test_lldb.section(out, "goroutine list")), [])
            core = L.saved_core(core, out)
            dead = L.run_lldb([f"plugin load {L.PLUGIN}", f"target create {path} -c {core}", "bt",
                               "goroutine list"])
        self.assertNotIn("Traceback", dead)
        self.assertEqual(notice_problems(
            shape, dead, [ln for ln in dead.splitlines() if "cgounwind:" in ln]), [], dead)
        frames = list(L.parse_threads(L.selected_bt(dead[dead.rfind("(lldb) bt"):])).values())
        # The same functions (live, LLDB names Go assembly by the module's C view, `runtime.asmcgocall`;
        # in a core, which gets no C view, by the ELF symbol, `runtime.asmcgocall.abi0`).
        self.assertEqual([[P.normalize_name(f) for f in t] for t in frames],
                         [[P.normalize_name(f) for f in live]], dead)
        self.assertEqual(listing_problems(shape, test_lldb.section(dead, "goroutine list"),
                                          reasons=False), [])


def _make_shape_test(key: str):
    def test(self) -> None:
        self.run_shape(key)
    return test


for _key in SHAPES:
    for _cls in (GdbHosts, LldbHosts):
        setattr(_cls, f"test_{_key.replace('-', '_')}", _make_shape_test(_key))


class DapHost(unittest.TestCase):
    """lldb-dap (VS Code's launch configuration): the C host linked with the c-shared library
    stops at the breakpoint (not SIGURG) and its call stack is the spliced one."""

    def test_cshared_host_call_stack(self) -> None:
        shape = SHAPES["cshared"]
        path, _ = shape.argv()
        session = test_dap.DapSession()
        try:
            # VS Code's flow (test_dap.DapSession.launch_to_breakpoint), except that the
            # breakpoint is pending until the host has loaded the library.
            session.request("initialize", test_dap.INITIALIZE)
            launch = session.send("launch", test_dap.launch_arguments(path))
            session.wait_event("initialized")
            session.request("setFunctionBreakpoints", {"breakpoints": [{"name": "lib_c_inner"}]})
            session.request("configurationDone")
            session.response(launch)
            stopped = session.wait_event("stopped")
            self.assertIn(stopped["body"].get("reason"), ("breakpoint", "function breakpoint"),
                          session.transcript())
            body = session.stack_trace(stopped["body"]["threadId"])
            names = [test_dap.dap_frame_name(f["name"]) for f in body["stackFrames"]]
            self.assertEqual(stack_problems(shape, names), [], names)
        finally:
            session.close()

    def test_cshared_host_core_call_stack(self) -> None:
        """A core file of the same stop, opened as VS Code does (`attach` with `coreFile`)."""
        shape = SHAPES["cshared"]
        path, _ = shape.argv()
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "host.core")
            saved = L.run_lldb(_lldb_launch(shape) + L.save_core(core), target=path)
            core = L.saved_core(core, saved)
            session = test_dap.DapSession()
            try:
                session.request("initialize", test_dap.INITIALIZE)
                config = test_dap.launch_arguments(path)
                attach = {"program": path, "coreFile": core,
                          "initCommands": config["initCommands"]}
                seq = session.send("attach", attach)
                session.wait_event("initialized")
                session.request("configurationDone")
                session.response(seq)
                stopped = session.wait_event("stopped")
                threads = session.request("threads")["body"]["threads"]
                stacks = []
                for t in threads:
                    body = session.stack_trace(t["id"])
                    stacks.append([test_dap.dap_frame_name(f["name"])
                                   for f in body["stackFrames"]])
                mine = [st for st in stacks if st and P.names_match("lib_c_inner", st[0])]
                self.assertEqual(len(mine), 1, f"{stopped}\n{stacks}")
                self.assertEqual(stack_problems(shape, mine[0]), [], mine[0])
            finally:
                session.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    for module in (test_gdb, test_lldb, test_dap):
        module.ARGS.toolchain = ns.toolchain
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    if ns.rest:
        suite.addTests(loader.loadTestsFromNames(ns.rest, sys.modules[__name__]))
    else:
        suite.addTest(PieSuite(PIE_BUILDS))
        try:  # static-pie: where the toolchain links it (tests/build_testdata.py says when not)
            G.testdata_binary(ARGS.toolchain, "callback-static-pie")
            suite.addTest(PieSuite({"callback": "callback-static-pie"},
                                   only=("test_bt_callback", "test_core_file")))
        except KeyError:
            print(f"{ARGS.toolchain}: no callback-static-pie build; skipped", file=sys.stderr)
        for cls in (GdbHosts, LldbHosts, DapHost):
            suite.addTests(loader.loadTestsFromTestCase(cls))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"shapes {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
