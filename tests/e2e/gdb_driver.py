"""Runs the real gdb in batch mode with cgounwind loaded and parses what a user sees."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field

SRC = os.environ.get("CGOUNWIND_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("CGOUNWIND_BUILD", os.path.join(SRC, "build"))
CGO_PY = os.path.join(SRC, "gdb-python", "cgo.py")
# Where the native module and the LLDB plugin are (default: BUILD). scripts/sanitize.sh points it
# at its ASan + UBSan build and sets CGOUNWIND_DEBUGGER_PRELOAD to the ASan runtime, which the
# debuggers (not the test programs they run) get as LD_PRELOAD.
ARTIFACTS = os.environ.get("CGOUNWIND_ARTIFACTS", BUILD)
PRELOAD = os.environ.get("CGOUNWIND_DEBUGGER_PRELOAD", "")


def debugger_env() -> dict[str, str]:
    env = {**os.environ, "CGOUNWIND_PYTHONPATH": os.path.join(ARTIFACTS, "python")}
    if PRELOAD:
        env["LD_PRELOAD"] = PRELOAD
    return env


# gdb options that keep the preloaded runtime out of the programs gdb runs.
GDB_CLEAN_INFERIOR = ["-iex", "unset environment LD_PRELOAD"] if PRELOAD else []

# "#3  0x000000000046a0fd in main.worker (wg=0xc0000140d0) at main.go:10" / "#0  leaf (x=1) at …"
_FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.*?) \((.*)$")
_THREAD = re.compile(r"^Thread (\d+) \(.*LWP (\d+)\)")


@dataclass
class Backtrace:
    frames: list[str] = field(default_factory=list)   # function names, innermost first
    lines: list[str] = field(default_factory=list)    # the raw "#N …" lines


def run_gdb(binary: str, commands: list[str], core: str | None = None, timeout: int = 180,
            load_cgo: bool = True) -> str:
    args = ["gdb", "-batch", "-nx", *GDB_CLEAN_INFERIOR, "-iex", "set auto-load python-scripts off",
            "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off"]
    if load_cgo:
        args += ["-ex", f"source {CGO_PY}"]
    for c in commands:
        args += ["-ex", c]
    if binary:
        args.append(binary)
    if core:
        args.append(core)
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout, env=debugger_env())
    return p.stdout


def run_gdb_interactive(binary: str, commands: list[str], timeout: int = 180) -> str:
    """gdb reading commands from stdin, as a user typing them (prompt hooks run)."""
    script = "\n".join([f"source {CGO_PY}", *commands, "quit"]) + "\n"
    p = subprocess.run(["gdb", "-nx", "-q", *GDB_CLEAN_INFERIOR, "-iex", "set auto-load python-scripts off",
                        "-iex", "set confirm off", "-iex", "set pagination off", binary],
                       input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, env=debugger_env())
    return p.stdout


def run_json_script(args: list[str], out_json: str, env: dict[str, str], what: str,
                    timeout: int = 1800) -> dict:
    """Runs a debugger (`args`) whose script writes its results to the JSON file `out_json`
    (environment: debugger_env() and `env`): the results, with the debugger's output under
    "output". AssertionError when the file is missing or holds an "error" (the script's own
    traceback)."""
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout,
                       env={**debugger_env(), **env})
    if not os.path.exists(out_json):
        raise AssertionError(f"the {what} wrote nothing:\n{p.stdout[-3000:]}")
    with open(out_json) as f:
        result = json.load(f)
    if "error" in result:
        raise AssertionError(f"the {what} failed: {result['error']}\n{p.stdout[-3000:]}")
    result["output"] = p.stdout
    return result


def testdata_binary(toolchain: str, name: str) -> str:
    """Path of a testdata program built by tests/build_testdata.py for one toolchain."""
    with open(os.path.join(BUILD, "testdata", "manifest.json")) as f:
        tc = json.load(f)["toolchains"].get(toolchain)
    if tc is None:
        raise AssertionError(f"toolchain {toolchain} was not built (is it installed?)")
    return tc["programs"][name]


MARK = "@@cgounwind-section "


def run_sections(binary: str, setup: list[str], sections: list[tuple[str, str]],
                 core: str | None = None, load_cgo: bool = True) -> tuple[str, dict[str, str]]:
    """Runs `setup`, then each (name, command) with its output delimited; returns the whole
    output and each section's output."""
    cmds = list(setup)
    for name, command in sections:
        cmds += [f"echo {MARK}{name}\\n", command]
    cmds.append(f"echo {MARK}end\\n")
    out = run_gdb(binary, cmds, core=core, load_cgo=load_cgo)
    return out, split_sections(out, MARK)


def split_sections(out: str, mark: str, ends: tuple[str, ...] = ()) -> dict[str, str]:
    """Each section's output: the lines after a `<mark>NAME` line, up to the next such line or
    a line starting with one of `ends`."""
    parts: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        if line.startswith(mark):
            current = line[len(mark):].strip()
            parts[current] = ""
        elif ends and line.startswith(ends):
            current = None
        elif current is not None:
            parts[current] += line + "\n"
    return parts


def parse_backtraces(text: str) -> list[Backtrace]:
    """Every backtrace in the output; a new one starts at each "#0"."""
    out: list[Backtrace] = []
    for line in text.splitlines():
        m = _FRAME.match(line)
        if not m:
            continue
        if m.group(1) == "0":
            out.append(Backtrace())
        if out:
            out[-1].frames.append(m.group(2) or "??")  # a nameless frame is a ?? frame
            out[-1].lines.append(line)
    return out


def parse_thread_backtraces(text: str) -> dict[int, Backtrace]:
    """`thread apply all bt` output: thread number → its backtrace."""
    result: dict[int, Backtrace] = {}
    current: int | None = None
    for line in text.splitlines():
        t = _THREAD.match(line)
        if t:
            current = int(t.group(1))
            result[current] = Backtrace()
            continue
        m = _FRAME.match(line)
        if m and current is not None:
            result[current].frames.append(m.group(2) or "??")
            result[current].lines.append(line)
    return result


def problems(text: str) -> list[str]:
    """Lines a user must never see from us."""
    bad = ("Traceback", "Python Exception", "Backtrace stopped", "cgounwind:", "Error occurred in Python")
    return [ln for ln in text.splitlines() if any(b in ln for b in bad)]
