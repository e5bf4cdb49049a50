#!/usr/bin/python3
"""Regenerates the memory images of tests/unit/images from real processes under gdb.

    /usr/bin/python3 scripts/capture_images.py BUILD_DIR [--testdata DIR] [--only go1.23/callback]

BUILD_DIR is a configured and built cgounwind tree (its python/ holds _cgounwind). The programs
are BUILD_DIR/testdata/<toolchain>/<program> (tests/build_testdata.py --out BUILD_DIR/testdata
builds them; --testdata points elsewhere). Each image is captured at the program's e2e
breakpoint (tests/e2e/programs.py) with `cgo-capture-image` (gdb-python/cgo_capture.py) and
written to tests/unit/images/<toolchain>-<program>.img. An image names its binary as
<toolchain>/<program> and records a build-directory-independent fingerprint of it; the unit
tests fail with a request to run this script when the binary they find no longer matches.

Rerun it whenever a testdata program, the toolchains, or what the core records changes.
Standard library only; run with the system Python (the one gdb embeds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tempfile

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))

import gdb_driver  # noqa: E402
import programs  # noqa: E402

# (toolchain, program) pairs: one image each, of the stopped thread's walk.
IMAGES = [
    ("go1.19", "callback"),
    ("go1.21", "callback"),
    ("go1.23", "callback"),
    ("go1.26", "callback"),
    ("go1.21", "callback-stripped"),  # no Go DWARF: runtime layout from the built-in tables
    ("go1.22", "cthread"),
    ("go1.26", "deep"),
    ("go1.23", "sysstack"),
    ("go1.21", "multiblock"),
    ("go1.26", "callback-pie"),  # a PIE: the image records the load bias
    ("go1.22", "libgocb.so"),  # a Go c-shared library stopped inside its C host
    ("go1.26", "callback-arm64"),  # linux/arm64, under qemu-user (gdb-multiarch)
    ("go1.19", "callback-arm64"),
    ("go1.22", "cthread-arm64"),
    # Issue 15: stops inside the runtime's switch sequences, in a program crossing cgo nonstop
    # (testdata/storm) and in callback's crosscall2 prologue.
    ("go1.26", "storm-idle"),
    ("go1.26", "storm-gogo"),
    ("go1.26", "storm-vdso"),
    ("go1.26", "callback-crosscall2"),
]

# Images of builds that the e2e program table does not list: the image's program (the Go
# binary the unit tests load) -> (the executable to run, gdb commands to its stop, frames the
# stop's backtrace must show).
# testdata/storm at its breakpoint, once all sixteen threads run (a long run: it never ends).
_STORM = ("break storm_ready", "run 3600000", "delete")
_LIB_FRAMES = ("lib_c_inner", "runtime.asmcgocall", "main.goInner", "crosscall2", "host_cb",
               "call_host", "main.goRun", "crosscall2", "host_run", "main")
EXTRA = {
    "callback-pie": ("callback-pie", programs.BY_NAME["callback"].gdb_commands,
                     programs.BY_NAME["callback"].user_frames),
    "libgocb.so": ("cshared-host", ("set breakpoint pending on", "break lib_c_inner", "run"),
                   _LIB_FRAMES),
    **{f"{name}-arm64": (f"{name}-arm64", programs.BY_NAME[name].gdb_commands,
                         programs.BY_NAME[name].user_frames) for name in ("callback", "cthread")},
    # Every thread while one parks its M: idle Ms' g0 stacks end at mcall, whose goroutine the
    # scheduler dropped (and may run elsewhere by now).
    "storm-idle": ("storm", (*_STORM, "break runtime.mPark", "continue", "delete"),
                   ("runtime.mPark",)),
    # gogo after its switch to the goroutine's SP, before its jump: the goroutine resumes there.
    "storm-gogo": ("storm", (*_STORM, "break gogo", "continue", "delete", "stepi 4"),
                   ("gogo", "runtime.goexit")),
    # In the vDSO's clock_gettime called by time.now (amd64 assembly) on g0's stack for a worker
    # goroutine: +108 is go1.26's `CALL AX` after the switch (time_linux_amd64.s).
    "storm-vdso": ("storm", (*_STORM, "break *'time.now'+108 if "
                            "$_any_caller_matches(\"main.worker\", 20)", "continue", "delete",
                            "stepi"), ("time.now", "main.worker", "runtime.goexit")),
    # crosscall2 innermost, after its prologue moved rbp (+18: go1.26's LEAQ 0x28(SP), BP).
    "callback-crosscall2": ("callback", ("break *'crosscall2'+18", "run"),
                            ("crosscall2", "GoMiddle", "c_outer", "main.goOuter", "main.main")),
    # schedinit's fourth mmap, in C called by callCgoMmap, whose ANDQ moved SP 8 bytes down on
    # go1.19 (its frame is found through rbp); the stack ends at rt0_go.
    "callback-mmap": ("callback", ("break x_cgo_mmap", "run", "continue 3"),
                      ("x_cgo_mmap", "runtime.callCgoMmap", "runtime.mmap", "runtime.schedinit",
                       "runtime.rt0_go")),
    # Go's own signal restorer (a program without cgo): runtime.sigtramp entered from the kernel
    # (SIGURG, once the workers run), its return address runtime.sigreturn__sigaction's first instruction
    # (the core's sigreturn rule reads the interrupted registers from the kernel's frame).
    "stepgo-sigtramp": ("stepgo", ("handle SIGURG nostop noprint pass", "break runtime.sigtramp",
                                   "run", "continue 50", "delete"),
                        ("runtime.sigtramp", "runtime.goexit")),
}
# Images that are one of several stops of the same binary: image key -> the binary it names
# (the one the unit tests load).
BINARY_OF = {"storm-idle": "storm", "storm-gogo": "storm", "storm-vdso": "storm",
             "callback-crosscall2": "callback", "callback-mmap": "callback",
             "stepgo-sigtramp": "stepgo"}
# arm64 programs run under qemu-user's gdbstub; gdb-multiarch attaches to it.
ARM64_SYSROOT = "/usr/aarch64-linux-gnu"
# Images of every thread's walk (idle Ms down to crosscall1, workers blocked in C).
ALL_THREADS = {("go1.21", "multiblock"), ("go1.26", "storm-idle")}
MAX_IMAGE_BYTES = 512 * 1024
ATTEMPTS = 3  # a run can stop somewhere else (signals, preemption): retry


def capture(build: str, testdata: str, toolchain: str, program: str, out: str) -> str:
    """Captures one image into `out`; returns "" or why it failed."""
    if program in EXTRA:
        run, commands, frames = EXTRA[program]
    else:
        prog = programs.BY_NAME[program]
        run, commands, frames = program, prog.gdb_commands, prog.user_frames
    binary = os.path.join(testdata, toolchain, run)
    if not os.path.isfile(binary):
        return f"{binary} not found (build it: tests/build_testdata.py --out {testdata})"
    name = f"{toolchain}/{BINARY_OF.get(program, program)}"
    qemu = None
    gdb = "gdb"
    if program.endswith("-arm64"):
        port = 20000 + os.getpid() % 20000
        qemu = subprocess.Popen(["qemu-aarch64", "-L", ARM64_SYSROOT, "-E",
                                 "GODEBUG=asyncpreemptoff=1", "-g", str(port), binary],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        gdb = "gdb-multiarch"
        commands = (f"set sysroot {ARM64_SYSROOT}", f"target remote :{port}",
                    *["continue" if c == "run" else c for c in commands])
    args = [gdb, "-batch", "-nx", "-iex", "set auto-load python-scripts off",
            "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off",
            "-ex", f"source {os.path.join(SRC, 'gdb-python', 'cgo.py')}",
            "-ex", f"source {os.path.join(SRC, 'gdb-python', 'cgo_capture.py')}"]
    for c in commands:
        args += ["-ex", c]
    flag = "-all-threads " if (toolchain, program) in ALL_THREADS else ""
    args += ["-ex", f"cgo-capture-image {flag}{out} {name}", "-ex", "echo @@bt\\n", "-ex", "bt",
             "-ex", "kill", binary]
    env = dict(os.environ, CGOUNWIND_PYTHONPATH=os.path.join(build, "python"))
    env.pop("CGOUNWIND_DEBUG", None)
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        return "gdb timed out"
    finally:
        if qemu is not None:
            qemu.kill()
            qemu.wait()
    text = p.stdout
    if "cgounwind: captured" not in text or not os.path.isfile(out):
        return "no image written:\n" + text[-3000:]
    bad = [ln for ln in text.splitlines()
           if any(b in ln for b in ("Traceback", "Python Exception", "Error occurred in Python",
                                    "backtrace truncated", "internal error"))]
    if bad:
        return "problems in gdb's output:\n" + "\n".join(bad)
    bts = gdb_driver.parse_backtraces(text.split("@@bt", 1)[-1])
    if not bts:
        return "no backtrace after the capture:\n" + text[-3000:]
    missing = programs.missing_frames(list(frames), bts[0].frames)
    if missing:
        return "the stop is not the expected one (missing %s):\n%s" % (
            missing, "\n".join(bts[0].lines))
    with open(out, "rb") as f:
        if f.read(8) != b"CGOUWIMG":
            return "the file written is not a memory image"
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="cgounwind build directory (holds python/_cgounwind*.so)")
    ap.add_argument("--testdata", help="testdata binaries (default BUILD/testdata)")
    ap.add_argument("--out", default=os.path.join(SRC, "tests", "unit", "images"),
                    help="where the images go (default tests/unit/images)")
    ap.add_argument("--only", action="append", default=[],
                    help="only this image, as toolchain/program (repeatable)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    testdata = os.path.abspath(args.testdata or os.path.join(build, "testdata"))
    if not os.path.isdir(os.path.join(build, "python")):
        print(f"error: {build}/python does not exist: build cgounwind first", file=sys.stderr)
        return 2
    wanted = IMAGES
    if args.only:
        wanted = [tuple(o.split("/", 1)) for o in args.only]
        unknown = [w for w in wanted
                   if len(w) != 2 or (w[1] not in programs.BY_NAME and w[1] not in EXTRA)]
        if unknown:
            print(f"error: unknown image(s) {unknown}", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    for toolchain, program in wanted:
        final = os.path.join(args.out, f"{toolchain}-{program}.img")
        err = "not attempted"
        with tempfile.TemporaryDirectory(prefix="cgounwind-capture-") as tmp:
            out = os.path.join(tmp, "image.img")
            for _ in range(ATTEMPTS):
                if os.path.exists(out):
                    os.unlink(out)
                err = capture(build, testdata, toolchain, program, out)
                if not err:
                    break
            if not err:
                size = os.path.getsize(out)
                if size > MAX_IMAGE_BYTES:
                    err = f"image is {size} bytes (limit {MAX_IMAGE_BYTES})"
                else:
                    shutil.move(out, final)
        if err:
            failed += 1
            print(f"FAILED {toolchain}/{program}: {err}")
        else:
            print(f"{os.path.relpath(final, SRC)}: {os.path.getsize(final)} bytes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
