#!/usr/bin/python3
"""Builds every testdata program with every installed Go toolchain (incrementally).

    /usr/bin/python3 tests/build_testdata.py --out DIR [--toolchain go1.21] [--jobs N]

Layout of DIR:
    DIR/<toolchain>/<binary>        e.g. DIR/go1.21/callback, DIR/go1.21/callback-O2
    DIR/manifest.json               {"toolchains": {"go1.21": {"goversion", "goroot", "programs"}}}
    DIR/.gocache/<toolchain>        GOCACHE of each toolchain
    DIR/.gopath                     GOPATH (no module is ever downloaded: programs have no deps)
    DIR/.clib/                      C static libraries (libanimal.a for seed)
    DIR/.cargo-target/              CARGO_TARGET_DIR of the Rust staticlib (rustchain)
    DIR/.work/                      copies of the sources that are built (never the source tree)
    DIR/.stamps/                    what each output was built with (rebuild when it changes)

An output is up to date when it exists, is newer than all of its inputs (the program's sources,
the go binary, the libraries it links) and was built with the same settings. Standard library
only; run with the system Python.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SRC_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = SRC_ROOT / "testdata"

# Where Go toolchains are looked for; each is named go<major>.<minor> from `go env GOVERSION`.
GO_CANDIDATES = ["/usr/local/go/bin/go"]
GO_GLOBS = ["/usr/lib/go-*/bin/go"]

# C flags for cgo code (and runtime/cgo). -g always; -O0 unless a variant says otherwise
# (cgo's own default would be -O2).
DEFAULT_CGO_CFLAGS = "-g -O0"

# Files never copied from a program's source dir into its work dir.
COPY_IGNORE = shutil.ignore_patterns("target", "__pycache__", "*.pyc", ".*")


@dataclasses.dataclass(frozen=True)
class Program:
    """One Go program under testdata/<src>, built as DIR/<toolchain>/<name>."""

    name: str  # binary name
    src: str  # directory under testdata/
    cgo_cflags: str = DEFAULT_CGO_CFLAGS
    ldflags: str = ""  # go build -ldflags
    gcflags: str = ""  # go build -gcflags (main package)
    needs: tuple[str, ...] = ()  # names of AuxLib it links
    exclude: tuple[str, ...] = ()  # sub-directories not copied into the work dir
    buildmode: str = ""  # go build -buildmode (pie, c-shared, c-archive); "" = default
    # A build some toolchain or linker may refuse (static-pie): a failure is a note, not an error.
    optional: bool = False
    # "arm64": cross-built for linux/arm64 with Debian's aarch64-linux-gnu-gcc (run under
    # qemu-user); "" for the machine's own architecture.
    goarch: str = ""


@dataclasses.dataclass(frozen=True)
class Host:
    """A C program built per toolchain with gcc, linking (or dlopen-ing) a Go library built by
    the same toolchain (a Program with a c-shared or c-archive buildmode)."""

    name: str
    source: str  # C file under testdata/
    lib: str = ""  # Program name of the library it links ("" for a dlopen host)
    needs: tuple[str, ...] = ()  # Program names that must exist next to it (dlopen'ed)
    extra: tuple[str, ...] = ()  # more C files under testdata/ compiled into it


@dataclasses.dataclass(frozen=True)
class AuxLib:
    """A non-Go static library built once (not per toolchain) and linked into Go programs."""

    name: str
    kind: str  # "c" or "cargo"
    src: str  # directory under testdata/
    headers_dir: str = ""  # directory under testdata/ added to CGO_CFLAGS with -I


AUX_LIBS = {
    "libanimal": AuxLib("libanimal", "c", "seed/libanimal", headers_dir="seed/libanimal"),
    "rustlib": AuxLib("rustlib", "cargo", "rustchain/rustlib"),
}

PROGRAMS = [
    Program("seed", "seed", needs=("libanimal",), exclude=("libanimal",)),
    Program("callback", "callback"),
    Program("callback-O2", "callback", cgo_cflags="-g -O2"),
    Program("callback-stripped", "callback", ldflags="-w"),
    Program("multiblock", "multiblock"),
    # The goroutine listing's filters and groups: labelled goroutines from three go statements.
    Program("goroutines", "goroutines"),
    # `next` along one goroutine that changes threads: 8 × main.worker in ping-pong pairs.
    # -N -l: its lines in source order for every toolchain (go1.19 -O puts the loop's i++
    # between two lines of the body).
    Program("stepgo", "stepgo", gcflags="-N -l"),
    Program("cthread", "cthread"),
    Program("deep", "deep"),
    Program("sysstack", "sysstack"),
    Program("switches", "switches"),
    # Random interrupts (issue 15): 14 locked goroutines and 2 C threads crossing cgo nonstop.
    Program("storm", "storm"),
    # Crash stops (issue 15): a NULL dereference in C called from Go, GOTRACEBACK=crash; and a
    # Rust panic (panic = "abort") inside a cgo call.
    Program("crash", "crash", exclude=("rust",)),
    Program("crash-O2", "crash", cgo_cflags="-g -O2", exclude=("rust",)),
    Program("crash-rust", "crash/rust", needs=("rustlib",)),
    Program("rustchain", "rustchain", needs=("rustlib",), exclude=("rustlib",)),
    # Built as a user debugging it would (-N -l: no optimization, no inlining in package main),
    # so that every local of main.goValues has a stack slot across the C call.
    Program("values", "values", gcflags="-N -l"),
    # Goroutines as LLDB threads: 2,000 goroutines parked with locals (-N -l keeps them).
    Program("parked", "parked", gcflags="-N -l"),
    # Breaks its own runtime state before stopping (issue 6); -stripped: no symbols, no DWARF.
    Program("hostile", "hostile"),
    Program("hostile-stripped", "hostile", ldflags="-s -w"),
    # Go wherever it is loaded (issue 11): PIE executables, static-pie where the toolchain links
    # it, and testdata/golib as a c-shared and a c-archive library for the C hosts below
    # (libgocb2.so: a second build, for two Go runtimes in one process).
    Program("callback-pie", "callback", buildmode="pie"),
    Program("cthread-pie", "cthread", buildmode="pie"),
    Program("values-pie", "values", gcflags="-N -l", buildmode="pie"),
    Program("callback-static-pie", "callback", buildmode="pie", optional=True,
            ldflags="-linkmode external -extldflags -static-pie"),
    Program("libgocb.so", "golib", buildmode="c-shared", exclude=("host",)),
    Program("libgocb2.so", "golib", buildmode="c-shared", exclude=("host",),
            ldflags="-X main.LibName=b"),
    Program("libgocb.a", "golib", buildmode="c-archive", exclude=("host",)),
    # linux/arm64 (issue 12), run under qemu-user by tests/e2e/test_arm64.py: the programs whose
    # stacks cross every switch the arm64 rules decode, and a statically linked build.
    *[Program(f"{name}-arm64", src, goarch="arm64", cgo_cflags=cflags, gcflags=gcflags)
      for name, src, cflags, gcflags in (
          ("callback", "callback", DEFAULT_CGO_CFLAGS, ""),
          ("callback-O2", "callback", "-g -O2", ""),
          ("cthread", "cthread", DEFAULT_CGO_CFLAGS, ""),
          ("deep", "deep", DEFAULT_CGO_CFLAGS, ""),
          ("switches", "switches", DEFAULT_CGO_CFLAGS, ""),
          ("sysstack", "sysstack", DEFAULT_CGO_CFLAGS, ""),
          ("values", "values", DEFAULT_CGO_CFLAGS, "-N -l"))],
    Program("callback-static-arm64", "callback", goarch="arm64",
            ldflags="-linkmode external -extldflags -static"),
    # An architecture without rules in the core (issue 12): left exactly as the debugger shows it.
    Program("purego-riscv64", "purego", goarch="riscv64"),
]

# How each cross architecture is built and run: (GOARCH, C compiler, qemu-user with its sysroot).
CROSS = {"arm64": ("arm64", "aarch64-linux-gnu-gcc",
                   ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]),
         "riscv64": ("riscv64", "", ["qemu-riscv64"])}  # no cgo: no C cross compiler needed

# C hosts of testdata/golib (see testdata/README.md); testdata/golib/host.py is the Python one.
HOSTS = [
    Host("cshared-host", "golib/host/host.c", lib="libgocb.so"),
    Host("carchive-host", "golib/host/host.c", lib="libgocb.a"),
    Host("dlopen-host", "golib/host/dlopen_host.c", needs=("libgocb.so", "libgocb2.so")),
    # Looks like a Go module (a .go.buildinfo section) without being one: bad input.
    Host("fakego-host", "golib/host/host.c", lib="libgocb.so",
         extra=("golib/host/fake_buildinfo.c",)),
]

_print_lock = threading.Lock()


def say(*args: object) -> None:
    with _print_lock:
        print(*args, flush=True)


# --------------------------------------------------------------------------------------------
# helpers


def source_files(root: Path, exclude: tuple[str, ...] = ()) -> list[Path]:
    """Every regular file under root, skipping build products, hidden files and `exclude`."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in ("target", "__pycache__") and not d.startswith(".")
            and not (rel == Path(".") and d in exclude))
        for f in sorted(filenames):
            if not f.startswith(".") and not f.endswith(".pyc"):
                out.append(Path(dirpath) / f)
    return out


_hash_cache: dict[Path, str] = {}
_hash_lock = threading.Lock()


def content_ids(paths: list[Path], root: Path) -> list[list[str]]:
    """[relative path, sha256] of each source file: recorded in the stamps so that a change
    that keeps an old mtime (cp -p, some VCS operations) still triggers a rebuild."""
    out = []
    for p in paths:
        with _hash_lock:
            digest = _hash_cache.get(p)
        if digest is None:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            with _hash_lock:
                _hash_cache[p] = digest
        out.append([str(p.relative_to(root)), digest])
    return out


def newest_mtime(paths: list[Path]) -> int:
    return max((p.stat().st_mtime_ns for p in paths), default=0)


def is_fresh(output: Path, inputs: list[Path], stamp: Path, settings: dict) -> bool:
    try:
        out_mtime = output.stat().st_mtime_ns
        if out_mtime <= newest_mtime(inputs):
            return False
        return json.loads(stamp.read_text()) == settings
    except (OSError, ValueError):
        return False


def write_stamp(output: Path, stamp: Path, settings: dict) -> None:
    # Make the output strictly newer than every input even if a tool left an old file in place.
    now = time.time_ns()
    os.utime(output, ns=(now, now))
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps(settings, sort_keys=True))
    os.replace(tmp, stamp)


def run(cmd: list[str], env: dict, cwd: Path) -> tuple[bool, str]:
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, errors="replace")
    return proc.returncode == 0, proc.stdout


def failure_text(what: str, cmd: list[str], cwd: Path, env_shown: dict, output: str) -> str:
    lines = [f"=== FAILED: {what}", f"cwd: {cwd}"]
    lines += [f"{k}={v}" for k, v in sorted(env_shown.items())]
    lines.append("$ " + " ".join(cmd))
    lines.append(output.rstrip())
    lines.append(f"=== end of {what}")
    return "\n".join(lines)


def find_cargo() -> str | None:
    cargo = shutil.which("cargo")
    if cargo:
        return cargo
    for cand in (Path.home() / ".cargo/bin/cargo", Path("/root/.cargo/bin/cargo"),
                 Path("/usr/bin/cargo")):
        if os.access(cand, os.X_OK):
            return str(cand)
    return None


# --------------------------------------------------------------------------------------------
# toolchains


@dataclasses.dataclass
class Toolchain:
    name: str  # go1.21
    go: str  # path of the go binary
    goversion: str  # go1.21.13
    goroot: str


def base_env() -> dict:
    env = dict(os.environ)
    # Nothing from the caller's Go configuration may leak into the builds.
    for k in list(env):
        if k.startswith(("GO", "CGO_")) or k in ("CC", "CXX", "CFLAGS", "LDFLAGS"):
            del env[k]
    env.update(GOTOOLCHAIN="local", GOENV="off", GOWORK="off", GO111MODULE="on",
               GOFLAGS="-mod=mod", CGO_ENABLED="1", GOPROXY="off", LC_ALL="C")
    return env


def probe_toolchain(go: str) -> Toolchain | str:
    if not os.access(go, os.X_OK):
        return f"{go}: not installed"
    env = base_env()
    try:
        proc = subprocess.run([go, "env", "GOVERSION", "GOROOT"], env=env, text=True, timeout=60,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{go}: cannot run: {e}"
    lines = proc.stdout.split("\n")
    if proc.returncode != 0 or len(lines) < 2:
        return f"{go}: `go env` failed: {proc.stderr.strip()}"
    goversion, goroot = lines[0].strip(), lines[1].strip()
    m = re.match(r"go(\d+)\.(\d+)", goversion)
    if not m:
        return f"{go}: unrecognised GOVERSION {goversion!r}"
    return Toolchain(f"go{m.group(1)}.{m.group(2)}", go, goversion, goroot)


def discover_toolchains() -> list[Toolchain]:
    cands = list(GO_CANDIDATES)
    for g in GO_GLOBS:
        cands += sorted(glob.glob(g))
    for d in sorted(glob.glob("/usr/lib/go-*")):  # a go-X.Y dir without bin/go: say so
        if not os.path.exists(os.path.join(d, "bin/go")):
            say(f"note: {d} has no bin/go; skipped")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(cands))) as ex:
        probed = list(ex.map(probe_toolchain, cands))
    found: dict[str, Toolchain] = {}
    for go, tc in zip(cands, probed):
        if isinstance(tc, str):
            say(f"note: skipping Go toolchain {tc}")
        elif tc.name in found:
            say(f"note: {go} is {tc.goversion}, already have {tc.name} from {found[tc.name].go};"
                " skipped")
        else:
            found[tc.name] = tc

    def key(t: Toolchain) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", t.name))

    return sorted(found.values(), key=key)


# --------------------------------------------------------------------------------------------
# builds


@dataclasses.dataclass
class Result:
    label: str
    built: bool  # False: up to date
    ok: bool
    seconds: float = 0.0
    error: str = ""


class Builder:
    def __init__(self, out: Path, force: bool):
        self.out = out
        self.force = force
        self.aux_outputs: dict[str, Path] = {}
        self.aux_sig: dict[str, str] = {}
        self.cargo: str | None = None

    # ---- auxiliary (non-Go) libraries, built once ----

    def aux_output(self, lib: AuxLib) -> Path:
        if lib.kind == "c":
            return self.out / ".clib" / f"{lib.name}.a"
        return self.out / ".cargo-target" / "release" / f"lib{lib.name}.a"

    def build_aux(self, lib: AuxLib) -> Result:
        label = f"lib/{lib.name}"
        src = TESTDATA / lib.src
        output = self.aux_output(lib)
        inputs = source_files(src)
        settings: dict = {"kind": lib.kind, "inputs": content_ids(inputs, src)}
        env = base_env()
        if lib.kind == "c":
            cc = shutil.which("gcc") or "gcc"
            settings.update(cc=cc, cflags=["-g", "-O0"])
            inputs = inputs + ([Path(cc)] if os.path.exists(cc) else [])
        else:
            self.cargo = self.cargo or find_cargo()
            if self.cargo is None:
                return Result(label, False, False, error=f"{label}: cargo not found (PATH, "
                              "~/.cargo/bin, /usr/bin); programs that need it are skipped")
            settings.update(cargo=self.cargo)
        stamp = self.out / ".stamps" / "lib" / f"{lib.name}.json"
        if not self.force and is_fresh(output, inputs, stamp, settings):
            return Result(label, False, True)

        start = time.monotonic()
        output.parent.mkdir(parents=True, exist_ok=True)
        if lib.kind == "c":
            objdir = self.out / ".work" / "lib" / lib.name
            shutil.rmtree(objdir, ignore_errors=True)
            objdir.mkdir(parents=True)
            objs = []
            for c in sorted(src.glob("*.c")):
                obj = objdir / (c.stem + ".o")
                cmd = [settings["cc"], "-g", "-O0", "-I", str(src), "-c", str(c), "-o", str(obj)]
                ok, log = run(cmd, env, objdir)
                if not ok:
                    return Result(label, True, False,
                                  error=failure_text(label, cmd, objdir, {}, log))
                objs.append(str(obj))
            tmp = output.with_name(output.name + ".tmp")
            tmp.unlink(missing_ok=True)
            cmd = ["ar", "rcs", str(tmp)] + objs
            ok, log = run(cmd, env, objdir)
            if not ok:
                return Result(label, True, False, error=failure_text(label, cmd, objdir, {}, log))
            os.replace(tmp, output)
        else:
            work = self.out / ".work" / "lib" / lib.name
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(src, work, ignore=COPY_IGNORE)
            target = self.out / ".cargo-target"
            env["CARGO_TARGET_DIR"] = str(target)
            env["PATH"] = str(Path(self.cargo).parent) + os.pathsep + env.get("PATH", "")
            env.pop("RUSTFLAGS", None)
            env.pop("CARGO_BUILD_TARGET", None)
            cmd = [self.cargo, "build", "--release", "--offline", "--quiet"]
            ok, log = run(cmd, env, work)
            if not ok or not output.exists():
                return Result(label, True, False, error=failure_text(
                    label, cmd, work, {"CARGO_TARGET_DIR": str(target)}, log))
        write_stamp(output, stamp, settings)
        return Result(label, True, True, time.monotonic() - start)

    def aux_signature(self, lib: AuxLib) -> str:
        """Changes whenever the library or its headers change (see go_settings)."""
        h = hashlib.sha256()
        st = self.aux_output(lib).stat()
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        if lib.headers_dir:
            for p in sorted((TESTDATA / lib.headers_dir).glob("*.h")):
                h.update(p.name.encode() + b"\0" + p.read_bytes())
        return h.hexdigest()[:16]

    # ---- Go programs, per toolchain ----

    def go_settings(self, tc: Toolchain, prog: Program) -> tuple[dict, dict, list[Path]]:
        """(settings recorded in the stamp, environment, inputs) of one Go build."""
        work = self.out / ".work" / tc.name / prog.name
        cflags = prog.cgo_cflags.split()
        ldflags: list[str] = []
        sources = source_files(TESTDATA / prog.src, prog.exclude)
        inputs = sources + [Path(tc.go)]
        for need in prog.needs:
            lib = AUX_LIBS[need]
            libfile = self.aux_output(lib)
            inputs.append(libfile)
            if lib.headers_dir:
                # The headers are copied next to the sources (see build_go).
                cflags += ["-I", str(work / "_include" / need)]
            ldflags.append(str(libfile))
            # cmd/go does not hash headers outside the package directory nor the libraries
            # named in LDFLAGS: put their signature into the flags so that its build cache
            # cannot hand back objects compiled against an older version.
            cflags.append(f"-DCGOUNWIND_{need.upper()}_SIG={self.aux_sig[need]}")
        env_vars = {
            **({"GOARCH": CROSS[prog.goarch][0], "CC": CROSS[prog.goarch][1]}
               if prog.goarch and CROSS[prog.goarch][1] else {}),
            **({"GOARCH": CROSS[prog.goarch][0], "CGO_ENABLED": "0"}
               if prog.goarch and not CROSS[prog.goarch][1] else {}),
            "CGO_CFLAGS": " ".join(cflags),
            "CGO_LDFLAGS": " ".join(ldflags),
            "GOCACHE": str(self.out / ".gocache" / tc.name),
            "GOPATH": str(self.out / ".gopath"),
        }
        # -trimpath, -buildvcs=false: identical binaries wherever the checkout lives and whatever
        # its commit (Go stamps the git revision of a build inside a checkout; memory images in
        # tests/unit/images are tied to them).
        cmd = [tc.go, "build", "-trimpath", "-buildvcs=false", "-o", "@OUT@"]
        if prog.ldflags:
            cmd.append("-ldflags=" + prog.ldflags)
        if prog.gcflags:
            cmd.append("-gcflags=" + prog.gcflags)
        if prog.buildmode:
            cmd.append("-buildmode=" + prog.buildmode)
        cmd.append(".")
        settings = {"goversion": tc.goversion, "goroot": tc.goroot, "cmd": cmd, "env": env_vars,
                    "sources": content_ids(sources, TESTDATA / prog.src),
                    "other_inputs": [str(p) for p in inputs[len(sources):]]}
        return settings, env_vars, inputs

    def build_go(self, tc: Toolchain, prog: Program) -> Result:
        label = f"{tc.name}/{prog.name}"
        output = self.out / tc.name / prog.name
        stamp = self.out / ".stamps" / tc.name / f"{prog.name}.json"
        settings, env_vars, inputs = self.go_settings(tc, prog)
        if not self.force and is_fresh(output, inputs, stamp, settings):
            return Result(label, False, True)

        start = time.monotonic()
        work = self.out / ".work" / tc.name / prog.name
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(TESTDATA / prog.src, work,
                        ignore=lambda d, names: set(COPY_IGNORE(d, names)) | (
                            set(prog.exclude) & set(names)
                            if Path(d) == TESTDATA / prog.src else set()))
        for need in prog.needs:
            lib = AUX_LIBS[need]
            if lib.headers_dir:
                inc = work / "_include" / need
                inc.mkdir(parents=True)
                for h in (TESTDATA / lib.headers_dir).glob("*.h"):
                    shutil.copy2(h, inc / h.name)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.with_suffix(".h").unlink(missing_ok=True)  # c-shared/c-archive write a header too
        cmd = [tmp.as_posix() if a == "@OUT@" else a for a in settings["cmd"]]
        env = base_env()
        env.update(env_vars)
        ok, log = run(cmd, env, work)
        if ok and tmp.exists() and prog.optional:
            # An optional build must also run: a static-pie that links but crashes at start is
            # a toolchain that does not support it.
            runner = CROSS[prog.goarch][2] if prog.goarch else []
            ok, log = run([*runner, tmp.as_posix()], env, work)
        tmp.with_suffix(".h").unlink(missing_ok=True)
        if not ok or not tmp.exists():
            tmp.unlink(missing_ok=True)
            if prog.optional:
                first = next((ln for ln in log.splitlines() if ln.strip()), "failed")
                return Result(label, True, True, error=f"note: {label} not built: {first}")
            return Result(label, True, False, error=failure_text(label, cmd, work, env_vars, log))
        os.replace(tmp, output)
        write_stamp(output, stamp, settings)
        return Result(label, True, True, time.monotonic() - start)

    def build_host(self, tc: Toolchain, host: Host) -> Result:
        label = f"{tc.name}/{host.name}"
        out_dir = self.out / tc.name
        output = out_dir / host.name
        src = TESTDATA / host.source
        extra = [TESTDATA / e for e in host.extra]
        cc = shutil.which("gcc") or "gcc"
        libs = [out_dir / n for n in ((host.lib,) if host.lib else ()) + host.needs]
        missing = [p.name for p in libs if not p.exists()]
        if missing:
            return Result(label, False, False, error=f"{label}: not built: {', '.join(missing)} "
                          "missing")
        cmd = [cc, "-g", "-O0", "-o", "@OUT@", str(src), *map(str, extra)]
        if host.lib.endswith(".so"):  # found next to the host at run time
            cmd += [f"-L{out_dir}", "-l" + host.lib[3:-3], "-Wl,-rpath,$ORIGIN"]
        elif host.lib:
            cmd.append(str(out_dir / host.lib))
        cmd += ["-lpthread", "-ldl"]
        settings = {"cmd": cmd, "source": content_ids([src, *extra], TESTDATA),
                    "libs": [str(p) for p in libs]}
        inputs = [src, *extra, *libs] + ([Path(cc)] if os.path.exists(cc) else [])
        stamp = self.out / ".stamps" / tc.name / f"{host.name}.json"
        if not self.force and is_fresh(output, inputs, stamp, settings):
            return Result(label, False, True)
        start = time.monotonic()
        tmp = output.with_name(f".{output.name}.tmp")
        ok, log = run([tmp.as_posix() if a == "@OUT@" else a for a in cmd], base_env(), out_dir)
        if not ok or not tmp.exists():
            tmp.unlink(missing_ok=True)
            return Result(label, True, False, error=failure_text(label, cmd, out_dir, {}, log))
        os.replace(tmp, output)
        write_stamp(output, stamp, settings)
        return Result(label, True, True, time.monotonic() - start)


def schedule_go_builds(builder: Builder, toolchains: list[Toolchain], programs: list[Program],
                       jobs: int) -> list[Result]:
    """Runs the Go builds on `jobs` workers. The first build of each toolchain runs alone for
    that toolchain (it fills its GOCACHE with the standard library); the others follow."""
    pending = {tc.name: [p for p in programs] for tc in toolchains}
    tcs = {tc.name: tc for tc in toolchains}
    warm: set[str] = set()
    warming: set[str] = set()
    results: list[Result] = []

    def next_task() -> tuple[Toolchain, Program] | None:
        # Prefer starting cold toolchains (one warm-up each), then anything from warm ones.
        for name in pending:
            if pending[name] and name not in warm and name not in warming:
                warming.add(name)
                return tcs[name], pending[name].pop(0)
        for name in pending:
            if pending[name] and name in warm:
                return tcs[name], pending[name].pop(0)
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        running: dict[concurrent.futures.Future, str] = {}
        while True:
            while len(running) < jobs:
                task = next_task()
                if task is None:
                    break
                running[ex.submit(builder.build_go, *task)] = task[0].name
            if not running:
                break
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in done:
                name = running.pop(fut)
                try:
                    res = fut.result()
                except Exception as e:  # a bug here must not look like a passing build
                    res = Result(f"{name}/?", True, False, error=f"internal error: {e!r}")
                warming.discard(name)
                warm.add(name)
                report(res)
                results.append(res)
    return results


def report(res: Result) -> None:
    if not res.ok or res.error:
        say(res.error)
    elif res.built:
        say(f"built {res.label} ({res.seconds:.1f}s)")


def write_manifest(out: Path, toolchains: list[Toolchain], built: dict[str, dict[str, str]],
                   keep_others: bool) -> None:
    path = out / "manifest.json"
    data: dict = {"toolchains": {}}
    if keep_others:
        try:
            old = json.loads(path.read_text())
            for name, entry in old.get("toolchains", {}).items():
                progs = {k: v for k, v in entry.get("programs", {}).items() if os.path.exists(v)}
                if progs:
                    data["toolchains"][name] = dict(entry, programs=progs)
        except (OSError, ValueError):
            pass
    for tc in toolchains:
        progs = dict(data["toolchains"].get(tc.name, {}).get("programs", {})) if keep_others else {}
        progs.update(built.get(tc.name, {}))
        data["toolchains"][tc.name] = {"goversion": tc.goversion, "goroot": tc.goroot,
                                       "go": tc.go, "programs": dict(sorted(progs.items()))}
    data["toolchains"] = dict(sorted(data["toolchains"].items(),
                                     key=lambda kv: [int(x) for x in re.findall(r"\d+", kv[0])]))
    tmp = path.with_name("manifest.json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="build tree (e.g. <build>/testdata)")
    ap.add_argument("--toolchain", action="append", default=[],
                    help="only this toolchain (go1.21 or 1.21); repeatable")
    ap.add_argument("--program", action="append", default=[],
                    help="only this binary (e.g. callback-O2); repeatable")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="parallel builds (default 2)")
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--list", action="store_true", help="list toolchains and programs, build nothing")
    args = ap.parse_args()

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    toolchains = discover_toolchains()
    if args.toolchain:
        wanted = {t if t.startswith("go") else "go" + t for t in args.toolchain}
        missing = wanted - {tc.name for tc in toolchains}
        if missing:
            say(f"error: toolchain(s) not installed: {', '.join(sorted(missing))}")
            return 2
        toolchains = [tc for tc in toolchains if tc.name in wanted]
    if not toolchains:
        say("error: no Go toolchain found")
        return 2

    programs = PROGRAMS
    if args.program:
        unknown = set(args.program) - {p.name for p in PROGRAMS} - {h.name for h in HOSTS}
        if unknown:
            say(f"error: unknown program(s): {', '.join(sorted(unknown))}")
            return 2
        programs = [p for p in PROGRAMS if p.name in args.program]

    if args.list:
        for tc in toolchains:
            say(f"{tc.name}\t{tc.goversion}\t{tc.go}")
        for p in programs:
            say(f"{p.name}\t(testdata/{p.src})")
        return 0

    builder = Builder(out, args.force)
    results: list[Result] = []

    # 1. Libraries that some programs link (built once, for all toolchains).
    needed = sorted({n for p in programs for n in p.needs})
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        aux_results = dict(zip(needed, ex.map(lambda n: builder.build_aux(AUX_LIBS[n]), needed)))
    skipped_for: set[str] = set()
    for name, res in aux_results.items():
        if not res.ok and AUX_LIBS[name].kind == "cargo" and builder.cargo is None:
            say(f"note: {res.error}")
            skipped_for.add(name)
            continue
        report(res)
        results.append(res)
        if res.ok:
            builder.aux_sig[name] = builder.aux_signature(AUX_LIBS[name])
    failed_libs = {n for n, r in aux_results.items() if not r.ok and n not in skipped_for}
    buildable = [p for p in programs if not (set(p.needs) & (failed_libs | skipped_for))]
    for p in programs:
        if set(p.needs) & failed_libs:
            say(f"error: {p.name} not built: a library it needs failed to build")
            results.append(Result(p.name, True, False, error="dependency failed"))
        elif set(p.needs) & skipped_for:
            say(f"note: {p.name} skipped: needs {', '.join(sorted(set(p.needs) & skipped_for))}")

    # 2. Go programs, per toolchain.
    go_results = schedule_go_builds(builder, toolchains, buildable, max(1, args.jobs))
    results += go_results

    # 3. C hosts of the Go libraries, per toolchain (after the libraries they link).
    hosts = [h for h in HOSTS if not args.program or h.name in args.program]
    for tc in toolchains:
        for h in hosts:
            res = builder.build_host(tc, h)
            report(res)
            results.append(res)
            go_results.append(res)

    built_paths: dict[str, dict[str, str]] = {}
    ok_labels = {r.label for r in go_results if r.ok}
    for tc in toolchains:
        for name in [p.name for p in buildable] + [h.name for h in hosts]:
            if f"{tc.name}/{name}" in ok_labels and (out / tc.name / name).exists():
                built_paths.setdefault(tc.name, {})[name] = str(out / tc.name / name)
    write_manifest(out, toolchains, built_paths,
                   keep_others=bool(args.toolchain or args.program))

    n_built = sum(1 for r in results if r.ok and r.built)
    n_fresh = sum(1 for r in results if r.ok and not r.built)
    n_failed = sum(1 for r in results if not r.ok)
    summary = f"built {n_built}, up to date {n_fresh}"
    if n_failed:
        summary += f", FAILED {n_failed}"
    say(f"{summary} ({time.monotonic() - t0:.1f}s)")
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
