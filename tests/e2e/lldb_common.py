"""What the LLDB-based end-to-end tests (test_lldb.py, test_dap.py) share: the plugin's path,
running lldb-22 in batch mode, parsing `bt` output and comparing a stack with GDB's golden one.

Standard library only.
"""

from __future__ import annotations

import os
import re
import subprocess

import gdb_driver as G
import programs as P

PLUGIN = os.path.join(G.ARTIFACTS, "lldb-plugin", "libcgounwind.so")
EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected")
# A `bt` line: `  * frame #3: 0x0000000000401234 module`function(args) at file.c:3:1 [synthetic]`
BT_FRAME = re.compile(r"^\s*\*?\s*frame #(\d+): 0x[0-9a-f]+(?: (?:[^`\s]+)`(.*))?$")
THREAD = re.compile(r"^\*?\s*thread #(\d+)")


def frame_name(rest: str | None) -> str:
    """The function name of a bt line's text after the backtick; `??` for a nameless frame."""
    if not rest:
        return "??"
    name = re.split(r" at | \+ \d+| \[synthetic\]", rest, maxsplit=1)[0].strip()
    if name.endswith(")"):  # C/Rust frames print their arguments: drop `(…)`
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                name = name[:i]
                break
    return name or "??"


def parse_threads(out: str) -> dict[int, list[str]]:
    """Thread number -> frame names, from `bt` / `thread backtrace all` output (last wins)."""
    threads: dict[int, list[str]] = {}
    current: list[str] | None = None
    for ln in out.splitlines():
        t = THREAD.match(ln)
        if t:
            current = threads[int(t.group(1))] = []
            continue
        m = BT_FRAME.match(ln)
        if m and current is not None and int(m.group(1)) == len(current):
            current.append(frame_name(m.group(2)))
        elif not ln.strip() or ln.startswith("(lldb)"):
            current = None
    return threads


def selected_bt(text: str) -> str:
    """The selected thread's `bt` from the output of a `bt` command that ran while LLDB's event
    thread was still reporting every thread's stop (a core file just loaded: `  thread #N` +
    `frame #0` lines of other threads, anywhere): its `* thread` line, its `  * frame #0` and
    every frame numbered 1 and up."""
    frames: dict[int, str] = {}
    header = next((ln for ln in text.splitlines() if ln.startswith("* thread #")), "")
    for ln in text.splitlines():
        m = re.match(r"^  ( |\*) frame #(\d+):", ln)
        if m and (m.group(1) == "*" or m.group(2) != "0"):
            frames.setdefault(int(m.group(2)), ln)
    return header + "\n" + "\n".join(frames[k] for k in sorted(frames)) + "\n"


def gdb_golden(toolchain: str, prog: P.Program) -> list[str]:
    """The stack GDB shows at prog's stop (tests/e2e/expected/<toolchain>/<name>.bt.txt)."""
    path = os.path.join(EXPECTED, toolchain, prog.name + ".bt.txt")
    with open(path) as f:
        return f.read().split()


def same_stack(expected: list[str], frames: list[str]) -> bool:
    def norm(n: str) -> str:
        return re.sub(r"_cgo(exp)?_[0-9a-fA-FH]{4,}_", r"_cgo\1_HASH_", P.normalize_name(n))
    return len(expected) == len(frames) and all(
        P.names_match(norm(e), norm(a)) for e, a in zip(expected, frames))


def run_lldb(commands: list[str], target: str | None = None, timeout: int = 180,
             after_signal: list[str] | None = None) -> str:
    """`after_signal`: commands run when a command stops the process with a signal (which
    ends the -o commands of `lldb -b`)."""
    args = ["lldb-22", "-b", "--no-lldbinit"]
    if G.PRELOAD:  # the programs LLDB runs inherit its environment otherwise
        args += ["-O", "settings set target.unset-env-vars LD_PRELOAD"]
    for c in commands:
        args += ["-o", c]
    for c in after_signal or []:
        args += ["-k", c]
    if target:
        args.append(target)
    return subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          env=G.debugger_env()).stdout


GOROUTINE_FRAME = re.compile(r"^\s+frame #(\d+): 0x[0-9a-f]+ (\S+)")


def goroutine_problems(out: str, prog: P.Program) -> list[str]:
    """What is wrong with `goroutine list` + `goroutine bt all` output for multiblock stopped in
    c_all_blocked (ids differ between runs, so both come from one session): [] when right."""
    rows = [ln for ln in out.splitlines() if re.match(r"^[* ] \d+ ", ln)]
    in_c = [ln.split()[1] for ln in rows if re.search(r"syscall\s+\d+\s+yes ", ln)]
    problems = []
    if len(in_c) < 4:
        problems.append(f"{len(in_c)} goroutines in C, expected >= 4")
    if not any(" waiting (" in ln for ln in rows):
        problems.append("no waiting goroutine")
    blocks = re.split(r"^goroutine (\d+) \(", out, flags=re.M)[1:]
    stacks = {blocks[i]: [m.group(2) for m in map(GOROUTINE_FRAME.match, blocks[i + 1].splitlines())
                          if m] for i in range(0, len(blocks), 2)}
    listed = {ln.split()[1] if ln.startswith("*") else ln.split()[0] for ln in rows}
    if set(stacks) != listed:
        problems.append(f"goroutines listed {sorted(listed)} but stacks for {sorted(stacks)}")
    main = [stacks[i] for i in in_c if stacks.get(i) and stacks[i][0] == prog.bp_function]
    if len(main) != 1:
        problems.append(f"{len(main)} goroutines stopped in {prog.bp_function}")
    elif P.missing_frames(prog.user_frames, main[0]):
        problems.append(f"missing {P.missing_frames(prog.user_frames, main[0])} in {main[0]}")
    for exp in prog.threads:
        owners = [stacks[i] for i in in_c
                  if any(P.names_match(exp.selector, f) for f in stacks.get(i, []))]
        if len(owners) != 1:
            problems.append(f"{exp.selector} on {len(owners)} goroutines")
        elif (P.missing_frames(exp.user_frames, owners[0])
              or P.normalize_name(owners[0][-1]) != "runtime.goexit"):
            problems.append(f"{exp.selector}: {owners[0]}")
    if "warning:" in out:
        problems.append("a warning was printed")
    return problems


def lldb_values_problems(text: str, toolchain: str) -> list[str]:
    """What is wrong with `frame variable` in testdata/values' main.goValues (LLDB 22, the
    plugin loaded): [] when right. The same text in LLDB's own frames (the Go module's C view
    gives LLDB the variables, typed by Go's names) and in the provider's spliced frames (the
    recognizer's values, typed alike; cgo's copies of C types as the C types)."""
    lines = text.splitlines()
    cgo = r"main\._Ctype_(?:struct|union)___?\w+"
    expected = [r"\(long\) n = 7", r'\(string\) s = "hello, 世界"',
                r'\(main\.Point\) pt = \(X = 1, Y = 2, Name = "origin"\)',
                r"\(double\) f = 17\.5", r"\(bool\) ok = true",
                r"\(long\[3\]\) arr = \(\[0\] = 7, \[1\] = 8, \[2\] = 9\)",
                r"\(\[\]int\) xs = len: 3, cap: 3 \{", r"\(main\.Point \*\) p = 0x[0-9a-f]+",
                rf"\((?:Shape|{cgo}) \*\) psh = 0x[0-9a-f]+",
                r"\(error\) err = " + re.escape(
                    'error(*errors.errorString) &errors.errorString{s: "boom"}'),
                r"\(interface \{\}\) anyv = interface \{\}\(int\) 42",
                r"\(chan int\) ch = chan int len: 2, cap: 4 \[1, 2\]",
                r"\(map\[string\]int\) m = " + re.escape(P.values_map_text(toolchain))]
    for name, value in P.VALUES_C_TEXT.items():
        expected.append(rf"\((?:{P.VALUES_C_TYPES[name]}|{cgo})\) {name} = {re.escape(value)}")
    problems = [f"no line {e!r}" for e in expected
                if not any(re.fullmatch(e, ln) for ln in lines)]
    big = [m.group(1) for m in map(re.compile(r"^\(map\[int\]int\) big = (.*)$").match, lines) if m]
    problems += ["no `big`"] if not big else P.big_map_problems(big[0])
    return problems


def save_core(core: str) -> list[str]:
    """Commands that save the stopped process as a core file at `core`, twice (`core` and
    `core` + ".again"). LLDB 22.1's minidump writer fills in the file's header last and deletes
    the file on every failure but one (ObjectFileMinidump::SaveCore returns without deleting it
    when AddLinuxFileStreams fails), so a failed save can leave a headerless file that
    `target create -c` calls "Unknown core file format" (seen once in CI, shapes go1.19).
    `saved_core` picks the first file that holds a core."""
    return [f"process save-core --style modified-memory {path}" for path in (core, core + ".again")]


def saved_core(core: str, out: str) -> str:
    """The first of `save_core`'s files that starts like a core file (minidump or ELF); raises
    AssertionError with LLDB's save-core messages (from `out`) when none does."""
    for path in (core, core + ".again"):
        try:
            with open(path, "rb") as f:
                if f.read(4) in (b"MDMP", b"\x7fELF"):
                    if path != core:
                        print(f"note: LLDB's first save-core left no core header ({core})")
                    return path
        except OSError:
            continue
    said = [ln for ln in out.splitlines() if "save-core" in ln or "corefile" in ln.lower()
            or ln.startswith("error")]
    raise AssertionError("LLDB's process save-core wrote no usable core:\n" + "\n".join(said))
