#!/usr/bin/env python3
"""End-to-end: the real lldb-22 with `plugin load build/lldb-plugin/libcgounwind.so`.

Asserts what a user sees: plain `bt` of every testdata program is, frame for frame, the stack
GDB shows (the golden files of test_gdb.py, compared name by name with programs.names_match),
`thread backtrace all` has no nameless frame; Go targets (created before or after the plugin
loads) pass SIGURG silently, non-Go targets keep LLDB's defaults, and `goroutine list` /
`goroutine bt ID` read the goroutine table and stacks with the core.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdb_driver as G  # noqa: E402  (paths and the build tree)
import lldb_common as L  # noqa: E402
import programs as P  # noqa: E402
from lldb_common import PLUGIN, parse_threads, run_lldb, same_stack  # noqa: E402

ARGS = argparse.Namespace(toolchain="go1.26")
MID_SWITCH = {"runtime.mcall", "runtime.systemstack", "runtime.asmcgocall", "runtime.morestack",
              "runtime.cgocallback", "runtime.gogo"}


def gdb_golden(prog: P.Program) -> list[str]:
    return L.gdb_golden(ARGS.toolchain, prog)


def binary(name: str) -> str:
    return G.testdata_binary(ARGS.toolchain, name)


def sigurg_row(out: str) -> list[str]:
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("SIGURG")]
    return rows[-1][1:4] if rows else []


class LldbBacktraces(unittest.TestCase):
    maxDiff = None

    def run_program_bt(self, prog: P.Program) -> None:
        cmds = [f"plugin load {PLUGIN}", *prog.lldb_commands, "bt", "script print('@@ALL')",
                "thread backtrace all"]
        out = run_lldb(cmds, target=binary(prog.binary))
        self.assertNotIn("Traceback", out)
        notices = [ln for ln in out.splitlines() if ln.startswith("cgounwind:")]
        if not prog.go_dwarf:  # -ldflags=-w: one line says Go variables cannot be shown
            self.assertEqual([ln for ln in notices if "Go variables are not available" in ln],
                             notices[:1], out)
            notices = notices[1:]
        self.assertEqual(notices, [], out)  # no truncation or failure message
        bt_part, all_part = out.split("\n@@ALL\n", 1) if "\n@@ALL\n" in out else (out, "")
        stopped = parse_threads(bt_part[bt_part.rfind("(lldb) bt"):])
        self.assertEqual(len(stopped), 1, out)
        frames = next(iter(stopped.values()))
        expected = gdb_golden(prog)
        if prog.collapse_repeats:
            frames = [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]
        self.assertTrue(same_stack(expected, frames),
                        f"lldb bt differs from gdb's ({prog.name}):\n"
                        + "\n".join(f"{e:40} {a}" for e, a in
                                    zip(expected + [""] * len(frames), frames + [""] * len(expected))
                                    if e or a) + "\n" + out)
        threads = parse_threads(all_part)
        self.assertGreaterEqual(len(threads), 2, all_part)
        for num, names in threads.items():
            self.assertTrue(names, f"thread {num}: no frames\n{all_part}")
            if P.normalize_name(names[0]) in MID_SWITCH:
                continue  # known limitation, as in test_gdb.py
            self.assertNotIn("??", names, f"thread {num}: {names}\n{all_part}")


def _make_bt_test(prog: P.Program):
    def test(self: LldbBacktraces) -> None:
        self.run_program_bt(prog)
    return test


for _p in P.PROGRAMS:
    setattr(LldbBacktraces, f"test_bt_{_p.name.replace('-', '_')}", _make_bt_test(_p))


def frame_index(out: str, function: str) -> int:
    """Index of the first frame of `function` in the last bt of `out`."""
    threads = parse_threads(out[out.rfind("(lldb) bt"):])
    for names in threads.values():
        for i, n in enumerate(names):
            if P.names_match(function, n):
                return i
    raise AssertionError(f"no frame {function} in:\n{out}")


def section(out: str, command: str) -> str:
    """Output of one `(lldb) command` of a batch session, up to the next prompt."""
    start = out.find(f"(lldb) {command}\n")
    if start < 0:
        return ""
    start += len(command) + 8
    end = out.find("(lldb) ", start)
    return out[start:end if end >= 0 else len(out)]


class LldbGoValues(unittest.TestCase):
    """Go arguments and locals in `frame variable` and `go print`, in real and spliced frames."""

    maxDiff = None

    def values_session(self, commands: list[str]) -> str:
        stop = [f"plugin load {PLUGIN}", "breakpoint set -n c_values_stop", "process launch", "bt"]
        first = run_lldb(stop, target=binary("values"))
        n = frame_index(first, "main.goValues")
        out = run_lldb(stop + [f"frame select {n}"] + commands, target=binary("values"))
        self.assertNotIn("Traceback", out)
        self.assertNotIn("cgounwind:", out, out)
        return out

    def test_frame_variable_in_spliced_frame(self) -> None:
        # main.goValues (built with -N -l) is below the C function: a spliced frame.
        out = self.values_session(["frame variable"])
        got = section(out, "frame variable")
        self.assertEqual(L.lldb_values_problems(got, ARGS.toolchain), [], out)

    def test_lldb_own_commands_by_name(self) -> None:
        # `v NAME`, `p NAME`, `expression NAME` (LLDB's own commands, through the C view).
        out = self.values_session(["v s", "p pt.Name", "expression n + 1", "p *p", "v xs[1]",
                                   "p m"])
        self.assertIn('(string) s = "hello, 世界"', section(out, "v s"), out)
        self.assertIn('(string) "origin"', section(out, "p pt.Name"), out)
        self.assertRegex(section(out, "expression n + 1"), r"\(long\) \$\d+ = 8", out)
        self.assertIn('(X = 3, Y = 4, Name = "heap")', section(out, "p *p"), out)
        self.assertIn("(long) xs[1] = 20", section(out, "v xs[1]"), out)
        self.assertIn(P.values_map_text(ARGS.toolchain), section(out, "p m"), out)

    def test_go_print_fields_elements_pointees(self) -> None:
        cmds = ["go print p.Name", "go print *p", "go print xs[2]", "go print pt.Y",
                "go print psh.kind", "go print sh.radius", "go print *psh", "go print num.as.f",
                "go print xs[3]"]  # last: batch mode stops at the first failing command
        out = self.values_session(cmds)
        self.assertIn("kind = SHAPE_CIRCLE", section(out, "go print psh.kind"), out)
        self.assertIn("radius = 5", section(out, "go print sh.radius"), out)
        self.assertIn('Name = "heap"', section(out, "go print p.Name"), out)
        self.assertIn('*p = (X = 3, Y = 4, Name = "heap")', section(out, "go print *p"), out)
        self.assertIn("[2] = 30", section(out, "go print xs[2]"), out)
        self.assertIn("Y = 2", section(out, "go print pt.Y"), out)
        self.assertIn("index 3 out of range [0:3]", out, out)
        self.assertIn(f"(Shape) *psh = {P.VALUES_C_TEXT['sh']}", section(out, "go print *psh"), out)
        self.assertIn("f = 1.5", section(out, "go print num.as.f"), out)

    def test_optimized_program_spliced_and_innermost(self) -> None:
        # callback is built optimized: n is on the stack across the C call in main.goOuter
        # (spliced), and in a register at a breakpoint on main.goInner (frame 0).
        first = run_lldb([f"plugin load {PLUGIN}", *P.BY_NAME["callback"].lldb_commands, "bt"],
                         target=binary("callback"))
        n = frame_index(first, "main.goOuter")
        out = run_lldb([f"plugin load {PLUGIN}", *P.BY_NAME["callback"].lldb_commands,
                        f"frame select {n}", "frame variable"], target=binary("callback"))
        self.assertIn("(long) n = 1", section(out, "frame variable").splitlines(), out)
        out = run_lldb([f"plugin load {PLUGIN}", *P.BY_NAME["callback-gostop"].lldb_commands,
                        "frame variable", "v n", "p n"], target=binary("callback"))
        self.assertIn("(long) n = 2", section(out, "frame variable").splitlines(), out)
        self.assertIn("(long) n = 2", section(out, "v n").splitlines(), out)
        self.assertIn("(long) 2", section(out, "p n").splitlines(), out)


class LldbCoreFile(unittest.TestCase):
    """A core file (LLDB's own `process save-core`): spliced bt, Go values, goroutines."""

    maxDiff = None

    def test_core_file(self) -> None:
        prog = P.BY_NAME["callback"]
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "callback.core")
            saved = run_lldb([*prog.lldb_commands, *L.save_core(core)], target=binary(prog.binary))
            core = L.saved_core(core, saved)
            cmds = [f"plugin load {PLUGIN}", f"target create {binary(prog.binary)} -c {core}",
                    "bt"]
            # Loading a core makes LLDB report every thread's stop (frame #0 of each, `frame #0`
            # not marked selected) from its event thread, interleaved anywhere in the output:
            # bt's frames are its `  * frame #0` and every frame numbered 1 and up.
            def bt_only(text: str) -> str:
                text = text[text.rfind("(lldb) bt"):]
                text = text[:text.find("(lldb) frame select")] if "(lldb) frame select" in text else text
                return "(lldb) bt\n" + L.selected_bt(text)
            first = run_lldb(cmds)
            n = frame_index(bt_only(first), "main.goOuter")
            out = run_lldb(cmds + [f"frame select {n}", "frame variable", "goroutine list"])
        self.assertNotIn("Traceback", out)
        self.assertNotIn("cgounwind:", out, out)
        frames = list(parse_threads(bt_only(out)).values())
        self.assertEqual(len(frames), 1, out)
        self.assertTrue(same_stack(gdb_golden(prog), frames[0]), out)
        self.assertIn("(long) n = 1", section(out, "frame variable").splitlines(), out)
        self.assertRegex(section(out, "goroutine list"), r"\* 1 +syscall .* yes ", out)


class LldbRuntimeMmap(unittest.TestCase):
    maxDiff = None

    def test_runtime_mmaps_as_gdb_shows_them(self) -> None:
        """The runtime's first mmaps (schedinit, one thread): C (x_cgo_mmap) called through
        runtime.callCgoMmap, which aligns SP for C (its frame is found through rbp; the frame
        above it was a stack address in GDB and LLDB on go1.19), runtime functions inlined in
        the core's frames (go1.19: sysReserveOS inlined in sysReserve, which LLDB left out),
        and the stack's end at runtime.rt0_go (the CFI went on into argc and argv: ?? frames).
        At each of the first stops, GDB's bt and LLDB's are the same stack, with no ??."""
        path, stops = binary("callback"), 6
        gdb_cmds = ["break x_cgo_mmap", "run"]
        lldb_cmds = [f"plugin load {PLUGIN}", "breakpoint set -n x_cgo_mmap", "process launch"]
        for i in range(stops):
            gdb_cmds += [f"echo {G.MARK}s{i}\\n", "bt", "continue"]
            lldb_cmds += [f"script print('@@s{i}')", "bt", "process continue"]
        gdb_out = G.run_gdb(path, gdb_cmds)
        lldb_out = run_lldb(lldb_cmds, target=path)
        gdb_parts = G.split_sections(gdb_out, G.MARK)
        self.assertEqual(G.problems(gdb_out), [], gdb_out)
        self.assertNotIn("cgounwind:", lldb_out)
        for i in range(stops):
            gdb_bts = G.parse_backtraces(gdb_parts.get(f"s{i}", ""))
            self.assertTrue(gdb_bts, f"stop {i}: no GDB backtrace\n{gdb_out}")
            want = gdb_bts[-1].frames
            part = section(lldb_out.split(f"@@s{i}\n", 1)[-1], "bt")
            got = next(iter(parse_threads(part).values()), [])
            where = f"stop {i}:\n" + "\n".join(f"{e:40} {a}" for e, a in zip(
                want + [""] * len(got), got + [""] * len(want)) if e or a)
            self.assertEqual(want[:2], ["x_cgo_mmap", "runtime.callCgoMmap"], where)
            self.assertEqual(want[-1], "runtime.rt0_go", where + "\n" + gdb_out)
            self.assertNotIn("??", want, where)
            self.assertTrue(same_stack(want, got), where + "\n" + lldb_out)


class LldbPlugin(unittest.TestCase):
    maxDiff = None

    def test_sigurg_quiet_for_go_targets_only(self) -> None:
        prog = binary("multiblock")
        stop = ["breakpoint set -n c_all_blocked", "process launch", "process handle SIGURG"]
        before = run_lldb([f"plugin load {PLUGIN}"] + stop, target=prog)
        self.assertIn("stop reason = breakpoint", before)
        self.assertEqual(sigurg_row(before), ["true", "false", "false"], before)
        later = run_lldb([f"plugin load {PLUGIN}", f"target create {prog}"] + stop)
        self.assertIn("stop reason = breakpoint", later)
        self.assertEqual(sigurg_row(later), ["true", "false", "false"], later)
        plain = run_lldb(["process launch --stop-at-entry", "process handle SIGURG"], "/bin/true")
        other = run_lldb([f"plugin load {PLUGIN}", "process launch --stop-at-entry",
                          "process handle SIGURG"], "/bin/true")
        self.assertEqual(sigurg_row(other), sigurg_row(plain), other)
        self.assertNotIn("error", other.lower())

    def test_goroutine_list_and_bt(self) -> None:
        prog = P.BY_NAME["multiblock"]
        # Goroutine ids differ between runs: list them and every stack in one session.
        out = run_lldb([f"plugin load {PLUGIN}", "breakpoint set -n c_all_blocked",
                        "process launch", "goroutine list", "goroutine bt all"],
                       target=binary(prog.binary))
        self.assertEqual(L.goroutine_problems(out, prog), [], out)

    def test_parked_goroutine_bt(self) -> None:
        # Goroutine ids differ between runs (per-P id caches): pick a parked one from
        # `goroutine list` and ask for it by id, in one session.
        script = ("import re\n"
                  "ci = lldb.debugger.GetCommandInterpreter()\n"
                  "r = lldb.SBCommandReturnObject()\n"
                  "ci.HandleCommand('goroutine list', r)\n"
                  "gid = [l.split()[0] for l in r.GetOutput().splitlines()\n"
                  "       if re.match(r'^  \\d+ +waiting ', l)][0]\n"
                  "r = lldb.SBCommandReturnObject()\n"
                  "ci.HandleCommand('goroutine bt ' + gid, r)\n"
                  "print('@@parked ' + gid)\n"
                  "print(r.GetOutput() + r.GetError())\n")
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(script)
        try:
            out = run_lldb([f"plugin load {PLUGIN}", "breakpoint set -n c_all_blocked",
                            "process launch", f"script exec(open('{f.name}').read())"],
                           target=binary("multiblock"))
        finally:
            os.unlink(f.name)
        gid = out.split("@@parked ")[-1].split()[0]
        block = out.split(f"goroutine {gid} (")[-1]
        frames = [m.group(2) for m in map(L.GOROUTINE_FRAME.match, block.splitlines()) if m]
        self.assertIn("runtime.gopark", frames, out)
        self.assertEqual(frames[-1], "runtime.goexit", out)

def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toolchain", default="go1.26")
    ap.add_argument("rest", nargs="*")
    ns = ap.parse_args()
    ARGS.toolchain = ns.toolchain
    result = unittest.main(argv=[sys.argv[0], "-v", *ns.rest], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"lldb {ARGS.toolchain}: {result.testsRun - failed} passed, {failed} failed")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
