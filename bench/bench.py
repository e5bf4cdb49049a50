#!/usr/bin/python3
"""cgounwind benchmarks, side by side with runtime-gdb.py and Delve, in one run on one binary.

    /usr/bin/python3 bench/bench.py [--counts 1000,10000,100000] [--runs 3] [--out DIR]
                                    [--no-setup] [--build DIR] [--dap]

Sets up and builds cgounwind (scripts/setup.sh, CMake into build/), builds its own programs
(bench/programs) with the machine's Go into build/bench/, installs Delve there with `go install`
when the Go module proxy serves it, then measures:

  - goroutine listing at each count (a mix parked on channels and 16 blocked in C): our GDB
    `info goroutines`, runtime-gdb.py's `info goroutines`, our LLDB `goroutine list`, and Delve's
    ListGoroutines (the RPC behind its `goroutines` command); each timed inside the debugger
    around the command alone, at the same stop, median of --runs sessions;
  - grouped counts beside it (GROUPED: `-group goloc`, `-group label shard`, `-group userloc`),
    in GDB and LLDB, one session each (`--listing-only`: just these two parts, written to
    DIR/results-listing.md);
  - `bt` of a 50-level Go<->C alternating stack (ours) against a plain C `bt` of the same number
    of frames, in GDB and LLDB;
  - what `source cgo.py` / `plugin load` add to debugger start-up (with a Go binary loaded);
  - memory reads for one listing: live (reads and bytes through our reader, in GDB), and
    remote round trips (memory-read packets) over gdbserver and lldb-server on loopback, ours
    against runtime-gdb.py;

  - DAP (`--dap`, written to DIR/results-dap.md alone): lldb-dap-22 with the plugin (goroutines
    as threads, default cap and `cgo threads max 0`) against Delve's `dlv dap`: a `continue` to
    the `stopped` event, VS Code's `threads` request, and one parked goroutine's `stackTrace`;

  - linux/arm64 under qemu-user (`--arm64`, or `--arm64-only` for just this part): the same
    50-level `bt` and a goroutine listing in gdb-multiarch and lldb-22 over qemu's gdbstub,
    cgounwind against the stock debugger (and runtime-gdb.py) on the same qemu run;

then prints a table, and writes DIR/results.md and DIR/listing.png (default: bench/results);
the arm64 part goes to DIR/results-arm64.md.
Only the standard library and Debian's python3-matplotlib (installed by scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
WORK = BUILD / "bench"
PLUGIN = BUILD / "lldb-plugin" / "libcgounwind.so"
CGO_PY = ROOT / "gdb-python" / "cgo.py"
DELVE = "github.com/go-delve/delve/cmd/dlv@v1.27.2"
IN_C = 16
# Grouped listings measured beside the plain one: (name, options of info goroutines / goroutine
# list). The parked goroutines carry a pprof label shard=0..7 (bench/programs/goroutines).
GROUPED = [("goloc", "-group goloc"), ("label", "-group label shard"), ("userloc", "-group userloc")]
GDB = ["gdb", "-batch", "-nx", "-iex", "set auto-load python-scripts off",
       "-ex", "set pagination off", "-ex", "set confirm off"]


def say(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def run(cmd: list[str], timeout: float = 1800, env: Optional[dict] = None,
        cwd: Optional[Path] = None) -> str:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env, cwd=cwd)
    return p.stdout


def go_binary() -> str:
    for g in (shutil.which("go"), "/usr/local/go/bin/go"):
        if g and os.path.exists(g):
            return g
    raise SystemExit("bench: no go command")


# ---------------------------------------------------------------------------------------------
# building

def build_all(go: str) -> dict[str, str]:
    WORK.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOWORK": "off",
           "GOCACHE": str(WORK / ".gocache"), "GOPATH": str(WORK / ".gopath")}
    out = {}
    for name in ("goroutines", "alternate", "godeep"):
        dst = WORK / name
        src = ROOT / "bench" / "programs" / name
        text = run([go, "build", "-o", str(dst), "."], env=env, cwd=src)
        if not dst.exists():
            raise SystemExit(f"bench: building {name} failed:\n{text}")
        out[name] = str(dst)
    dst = WORK / "cdeep"
    text = run(["gcc", "-O0", "-g", "-o", str(dst), str(ROOT / "bench/programs/cdeep/deep.c")])
    if not dst.exists():
        raise SystemExit(f"bench: building cdeep failed:\n{text}")
    out["cdeep"] = str(dst)
    # testdata/golib as a c-shared library, for Debian's python3 to load with ctypes.
    dst = WORK / "libgocb.so"
    text = run([go, "build", "-buildmode=c-shared", "-o", str(dst), "."], env=env,
               cwd=ROOT / "testdata" / "golib")
    if not dst.exists():
        raise SystemExit(f"bench: building libgocb.so failed:\n{text}")
    out["libgocb.so"] = str(dst)
    return out


SYSROOT_ARM64 = "/usr/aarch64-linux-gnu"


def build_arm64(go: str) -> dict[str, str]:
    """The bench programs cross-built for linux/arm64 (Debian's aarch64-linux-gnu-gcc)."""
    env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOWORK": "off",
           "GOARCH": "arm64", "CC": "aarch64-linux-gnu-gcc",
           "GOCACHE": str(WORK / ".gocache-arm64"), "GOPATH": str(WORK / ".gopath")}
    out = {}
    for name in ("goroutines", "alternate"):
        dst = WORK / f"{name}-arm64"
        text = run([go, "build", "-o", str(dst), "."], env=env, cwd=ROOT / "bench" / "programs" / name)
        if not dst.exists():
            raise SystemExit(f"bench: building {name} for arm64 failed:\n{text}")
        out[name] = str(dst)
    dst = WORK / "cdeep-arm64"
    text = run(["aarch64-linux-gnu-gcc", "-O0", "-g", "-o", str(dst),
                str(ROOT / "bench/programs/cdeep/deep.c")])
    if not dst.exists():
        raise SystemExit(f"bench: building cdeep for arm64 failed:\n{text}")
    out["cdeep"] = str(dst)
    return out


def qemu_arm64(prog: str, args: list[str]) -> tuple[subprocess.Popen, int]:
    """The program under qemu-user, waiting for a debugger on the returned port."""
    port = free_port()
    proc = subprocess.Popen(["qemu-aarch64", "-L", SYSROOT_ARM64, "-E",
                             "GODEBUG=asyncpreemptoff=1", "-g", str(port), prog, *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # the stub listens a moment after qemu starts (it serves one connection)
    return proc, port


def arm64_gdb(prog: str, args: list[str], ours: bool, bp: str, cmd: str,
              rgdb: str = "") -> tuple[float, int]:
    """gdb-multiarch over qemu's stub: the time of `cmd` at the first stop in `bp`."""
    proc, port = qemu_arm64(prog, args)
    try:
        pre = [f"source {CGO_PY}"] if ours else ([f"source {rgdb}"] if rgdb else [])
        with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
            f.write(GDB_TIMER + f"break {bp}\ncontinue\npython _bench({cmd!r})\nkill\n")
        gdb = ["gdb-multiarch"] + GDB[1:] + ["-ex", f"set sysroot {SYSROOT_ARM64}",
                                            "-ex", f"target remote :{port}"]
        out = run(gdb + [a for c in pre for a in ("-ex", c)] + ["-ex", f"source {f.name}", prog])
        os.unlink(f.name)
        return parse_time(out, f"gdb-multiarch {cmd}")
    finally:
        proc.kill()
        proc.wait()


def arm64_lldb(prog: str, args: list[str], ours: bool, bp: str, cmd: str) -> tuple[float, int]:
    """lldb-22 over qemu's stub (`gdb-remote`): the time of `cmd` at the first stop in `bp`."""
    proc, port = qemu_arm64(prog, args)
    try:
        pre = [f"plugin load {PLUGIN}"] if ours else []
        cmds = pre + [f"target create {prog}",
                      f"target modules search-paths add /lib {SYSROOT_ARM64}/lib",
                      f"gdb-remote {port}", "process handle -p true -s false -n false SIGURG",
                      f"breakpoint set -n {bp}", "process continue"]
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(LLDB_TIMER.replace("CMD", repr(cmd)))
        args_ = ["lldb-22", "-b", "--no-lldbinit"]
        for c in cmds + [f"script exec(open('{f.name}').read())", "process kill"]:
            args_ += ["-o", c]
        out = run(args_)
        os.unlink(f.name)
        return parse_time(out, f"lldb {cmd} (arm64)")
    finally:
        proc.kill()
        proc.wait()


def arm64_report(go: str, runs: int, rgdb: str, goversion: str) -> str:
    """cgounwind against the stock debuggers on linux/arm64 under qemu-user."""
    progs = build_arm64(go)
    n = 10000
    rows = []
    for dbg, f in (("gdb-multiarch", arm64_gdb), ("lldb-22", arm64_lldb)):
        ours = median_of(runs, lambda: f(progs["alternate"], ["50"], True, "c_bottom", "bt"))
        stock = median_of(runs, lambda: f(progs["alternate"], ["50"], False, "c_bottom", "bt"))
        # The stock debugger's cost per frame, on a plain C stack of the same depth.
        depth = str(ours[1] - 2)
        plain = median_of(runs, lambda: f(progs["cdeep"], [depth], False, "c_bottom", "bt"))
        rows.append(f"| {dbg} | `bt`, 50 Go↔C levels | {fmt_s(ours[0])} ({ours[1]} lines) | "
                    f"{fmt_s(plain[0])} ({plain[1]} lines of plain C; on the Go↔C stack it "
                    f"stops after {stock[1]}) | {ours[0] / plain[0]:.2f}× |")
    ours = median_of(runs, lambda: arm64_gdb(progs["goroutines"], [str(n), str(IN_C)], True,
                                             "bench_ready", "info goroutines"))
    rg = median_of(runs, lambda: arm64_gdb(progs["goroutines"], [str(n), str(IN_C)], False,
                                           "bench_ready", "info goroutines", rgdb))
    rows.append(f"| gdb-multiarch | `info goroutines`, {n:,} goroutines | {fmt_s(ours[0])} | "
                f"{fmt_s(rg[0])} (runtime-gdb.py) | {rg[0] / ours[0]:.0f}× faster |")
    lo = median_of(runs, lambda: arm64_lldb(progs["goroutines"], [str(n), str(IN_C)], True,
                                            "bench_ready", "goroutine list"))
    rows.append(f"| lldb-22 | `goroutine list`, {n:,} goroutines | {fmt_s(lo[0])} | "
                f"(no listing) | – |")
    return "\n".join([
        f"Measured by `bench/bench.py --arm64` on {time.strftime('%Y-%m-%d')}, {goversion} "
        f"(GOARCH=arm64), qemu-aarch64 user mode on {os.cpu_count()} amd64 cores; median of "
        f"{runs} sessions; the time of the command alone, at the same stop.", "",
        "| debugger | command | cgounwind | stock debugger | ratio |",
        "|---|---|---:|---:|---:|",
        *rows]) + "\n"


def install_delve(go: str) -> tuple[Optional[str], str]:
    dlv = WORK / "bin" / "dlv"
    if dlv.exists():
        return str(dlv), "installed"
    env = {**os.environ, "GOBIN": str(WORK / "bin"), "GOCACHE": str(WORK / ".gocache"),
           "GOPATH": str(WORK / ".gopath"), "GOFLAGS": "-mod=mod"}
    try:
        text = run([go, "install", DELVE], env=env, timeout=900)
    except subprocess.TimeoutExpired:
        return None, f"`go install {DELVE}` timed out"
    if dlv.exists():
        return str(dlv), "installed"
    last = [ln for ln in text.strip().splitlines() if ln.strip()][-1:] or ["?"]
    return None, f"`go install {DELVE}` failed: {last[0][:160]}"


def runtime_gdb_py(go: str) -> str:
    root = run([go, "env", "GOROOT"]).strip()
    return os.path.join(root, "src", "runtime", "runtime-gdb.py")


# ---------------------------------------------------------------------------------------------
# measurements inside the debuggers

GDB_TIMER = """python
import re, time
def _bench(cmd):
    t = time.perf_counter()
    out = gdb.execute(cmd, to_string=True)
    dt = time.perf_counter() - t
    print("@@time %.6f %d" % (dt, len(out.splitlines())))
    # With `set debug remote 1`, GDB's packet log is captured with the command's output.
    pk = re.findall(r"Sending packet: \\$[mx][0-9a-f]+,([0-9a-f]+)#", out)
    print("@@packets %d %d" % (len(pk), sum(int(n, 16) for n in pk)))
end
"""

GDB_READ_COUNTER = """python
_bench_reads = [0, 0]
_bench_orig_read = _read_memory
def _read_memory(addr, size):
    _bench_reads[0] += 1
    _bench_reads[1] += size
    return _bench_orig_read(addr, size)
end
"""

LLDB_TIMER = """import time
ci = lldb.debugger.GetCommandInterpreter()
r = lldb.SBCommandReturnObject()
t = time.perf_counter()
ci.HandleCommand(CMD, r)
dt = time.perf_counter() - t
print("@@time %.6f %d" % (dt, len((r.GetOutput() or "").splitlines())))
if not r.Succeeded():
    print("@@error", r.GetError())
"""


def parse_time(out: str, what: str) -> tuple[float, int]:
    m = re.findall(r"^@@time ([0-9.]+) (\d+)$", out, re.M)
    if not m:
        raise RuntimeError(f"{what}: no timing in the debugger's output:\n{out[-2000:]}")
    return float(m[-1][0]), int(m[-1][1])


def gdb_session(prog: str, args: list[str], pre: list[str], script: str,
                timeout: float = 3600) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(script)
    try:
        cmd = GDB + [a for c in pre for a in ("-ex", c)] + ["-ex", f"source {f.name}",
                                                             "--args", prog, *args]
        return run(cmd, timeout=timeout)
    finally:
        os.unlink(f.name)


def gdb_listing(prog: str, n: int, ours: bool, rgdb: str,
                options: str = "") -> tuple[float, int, tuple[int, int]]:
    # One or the other: runtime-gdb.py sourced last would take `info goroutines` back.
    pre = [f"source {CGO_PY}"] if ours else [f"source {rgdb}"]
    command = f"info goroutines {options}".strip()
    script = (GDB_READ_COUNTER if ours else "") + GDB_TIMER + (
        "break bench_ready\nrun\n"
        + ("python _bench_reads[0] = _bench_reads[1] = 0\n" if ours else "")
        + f"python _bench({command!r})\n"
        + ("python print('@@reads %d %d' % tuple(_bench_reads))\n" if ours else "")
        + "kill\n")
    out = gdb_session(prog, [str(n), str(IN_C)], pre, script)
    dt, lines = parse_time(out, f"gdb {command}")
    m = re.search(r"^@@reads (\d+) (\d+)$", out, re.M)
    return dt, lines, (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def lldb_session(prog: str, args: list[str], commands: list[str], script: str,
                 extra_env: Optional[dict] = None, timeout: float = 3600) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    try:
        cmd = ["lldb-22", "-b", "--no-lldbinit"]
        for c in commands + [f"script exec(open('{f.name}').read())", "process kill"]:
            cmd += ["-o", c]
        cmd += ["--", prog, *args]
        return run(cmd, timeout=timeout, env={**os.environ, **(extra_env or {})})
    finally:
        os.unlink(f.name)


def lldb_listing(prog: str, n: int, options: str = "") -> tuple[float, int]:
    command = f"goroutine list {options}".strip()
    out = lldb_session(prog, [str(n), str(IN_C)],
                       [f"plugin load {PLUGIN}", "breakpoint set -n bench_ready", "process launch"],
                       LLDB_TIMER.replace("CMD", repr(command)))
    return parse_time(out, f"lldb {command}")


def grouped_listings(prog: str, n: int, runs: int, rgdb: str) -> dict[str, dict[str, float]]:
    """debugger -> GROUPED name -> seconds of that grouped listing at n goroutines. The group
    counts must add up to all the goroutines (n and the runtime's own)."""
    out: dict[str, dict[str, float]] = {"gdb": {}, "lldb": {}}
    for name, options in GROUPED:
        gdb = median_of(runs, lambda: gdb_listing(prog, n, True, rgdb, options))
        lldb = median_of(runs, lambda: lldb_listing(prog, n, options))
        for dbg, (dt, lines) in (("gdb", gdb[:2]), ("lldb", lldb)):
            if lines < 3:
                raise SystemExit(f"bench: {dbg} `{options}` at {n}: {lines} lines")
            out[dbg][name] = dt
    return out


def grouped_report(grouped: dict[int, dict[str, dict[str, float]]],
                   listing: dict[str, dict[int, Optional[float]]], counts: list[int]) -> list[str]:
    names = [name for name, _ in GROUPED]
    options = dict(GROUPED)
    lines = ["### Grouped goroutine counts (time of the command alone, at one stop)", "",
             "`info goroutines OPTIONS` / `goroutine list OPTIONS`, beside the plain listing; "
             "parked goroutines carry a pprof label `shard` (8 values; each goroutine its own "
             "label set, as a pprof.Do per request gives).", "",
             "| goroutines | debugger | plain listing | "
             + " | ".join(f"`{options[k]}`" for k in names) + " |",
             "|---:|---|---:|" + "---:|" * len(names)]
    for n in counts:
        for dbg in ("gdb", "lldb"):
            g = grouped.get(n, {}).get(dbg, {})
            lines.append(f"| {n:,} | {dbg} | {fmt_s(listing[dbg].get(n))} | "
                         + " | ".join(fmt_s(g.get(k)) for k in names) + " |")
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonRpc:
    """Delve's JSON-RPC API (api-version 2) over TCP."""

    def __init__(self, port: int) -> None:
        deadline = time.time() + 60
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=3600)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rb")
        self.next_id = 0

    def call(self, method: str, params: dict) -> dict:
        self.next_id += 1
        msg = {"method": "RPCServer." + method, "params": [params], "id": self.next_id}
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        reply = json.loads(self.file.readline())
        if reply.get("error"):
            raise RuntimeError(f"dlv {method}: {reply['error']}")
        return reply.get("result") or {}


def delve_listing(dlv: str, prog: str, n: int) -> tuple[float, int]:
    port = free_port()
    server = subprocess.Popen([dlv, "exec", prog, "--headless", "--api-version=2",
                               f"--listen=127.0.0.1:{port}", "--", str(n), str(IN_C)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        rpc = JsonRpc(port)
        src = ROOT / "bench" / "programs" / "goroutines" / "main.go"
        line = next(i for i, ln in enumerate(src.read_text().splitlines(), 1)
                    if "C.bench_ready(" in ln)
        rpc.call("CreateBreakpoint", {"Breakpoint": {"file": str(src), "line": line}})
        rpc.call("Command", {"name": "continue"})
        t = time.perf_counter()
        res = rpc.call("ListGoroutines", {"Start": 0, "Count": 0})
        dt = time.perf_counter() - t
        count = len(res.get("Goroutines") or [])
        try:
            rpc.call("Detach", {"Kill": True})
        except (RuntimeError, OSError, ValueError):
            pass
        return dt, count
    finally:
        server.kill()
        server.wait()


def median_of(runs: int, f: Callable[[], tuple]) -> tuple:
    results = [f() for _ in range(runs)]
    results.sort(key=lambda r: r[0])
    return results[len(results) // 2]


# ---------------------------------------------------------------------------------------------
# DAP: goroutines as threads in lldb-dap-22 (the plugin's OS plugin) and in Delve's DAP server

E2E = ROOT / "tests" / "e2e"
GOROUTINE_TID_BASE = 1 << 40  # lldb-dap thread ids of goroutines on no OS thread
DAP_TIMEOUT = 900.0  # seconds for any one DAP answer (100k goroutines start slowly)
DELVE_MAX_GOROUTINES = 1 << 10  # service/dap/server.go `maxGoroutines`: no launch argument sets it


def dap_module():  # -> module tests/e2e/test_dap.py (its DapSession speaks DAP as VS Code does)
    if str(E2E) not in sys.path:
        sys.path.insert(0, str(E2E))
    import test_dap  # noqa: E402
    return test_dap


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (f"{type(e).__name__}: {text[0]}" if text else type(e).__name__)[:160]


def delve_dap_session(dlv: str):  # -> a test_dap.DapSession talking to `dlv dap` over TCP
    D = dap_module()

    class DelveDap(D.DapSession):  # type: ignore[name-defined,misc]
        """test_dap's DapSession with `dlv dap --listen` behind a loopback socket instead of
        lldb-dap's stdio (same framing; close() kills dlv's process group)."""

        def __init__(self) -> None:
            self._stderr = tempfile.TemporaryFile()
            port = free_port()
            self.proc = subprocess.Popen([dlv, "dap", f"--listen=127.0.0.1:{port}"],
                                         stdin=subprocess.DEVNULL, stdout=self._stderr,
                                         stderr=self._stderr, start_new_session=True)
            deadline = time.time() + 60
            while True:
                try:
                    self._sock = socket.create_connection(("127.0.0.1", port), timeout=DAP_TIMEOUT)
                    break
                except OSError:
                    if time.time() > deadline or self.proc.poll() is not None:
                        self.proc.kill()
                        self.proc.wait()
                        raise
                    time.sleep(0.1)
            self.proc.stdin = self._sock.makefile("wb")
            self.proc.stdout = self._sock.makefile("rb")  # read through its fd (os.read)
            self._buf = b""
            self._seq = 0
            self._pending = []
            self._responses = {}
            self.events = []
            self.output = []
            self.log = []

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._sock.close()

    return DelveDap()


def dap_stop_twice(s, launch: dict, function_bps: list[str], line_bps: dict[str, list[int]],
                   second: list[str]) -> dict:
    """initialize … stopped as VS Code does (the launch answer may come before or after
    configurationDone), then the breakpoints replaced by `second` (function names) and
    `continue`; returns the times of that continue to its `stopped` event and of the `threads`
    request VS Code sends then, with the threads."""
    s.request("initialize", dap_module().INITIALIZE)
    seq = s.send("launch", launch)
    # `initialized` (lldb-dap answers `launch` after configurationDone, Delve before), unless
    # the launch fails.
    deadline = time.monotonic() + DAP_TIMEOUT
    while not any(e.get("event") == "initialized" for e in s._pending):
        answer = s._responses.get(seq)
        if answer is not None and not answer.get("success"):
            raise RuntimeError(f"launch: {answer.get('message')} "
                               f"{json.dumps(answer.get('body'))[:120]}")
        s._next_before(deadline, "initialized event")
    s.wait_event("initialized")
    bps = s.request("setFunctionBreakpoints",
                    {"breakpoints": [{"name": f} for f in function_bps]})["body"]["breakpoints"]
    for path, lines in line_bps.items():
        bps += s.request("setBreakpoints", {"source": {"path": path},
                                            "breakpoints": [{"line": ln} for ln in lines]}
                         )["body"]["breakpoints"]
    if not all(b.get("verified") for b in bps):
        raise RuntimeError(f"breakpoints not verified: {json.dumps(bps)[:200]}")
    s.request("configurationDone")
    s.request("threads", check=False)  # VS Code's baseline request
    s.response(seq, timeout=DAP_TIMEOUT)
    stopped = dap_wait_stop(s)
    if second:
        s.request("setFunctionBreakpoints", {"breakpoints": [{"name": f} for f in second]})
    # One stop can come with more than one `stopped` event: none of them is the next stop.
    s._pending = [e for e in s._pending if e.get("event") != "stopped"]
    t = time.perf_counter()
    s.request("continue", {"threadId": stopped["body"]["threadId"]})
    dap_wait_stop(s)
    t_stopped = time.perf_counter()
    threads = s.response(s.send("threads"), timeout=DAP_TIMEOUT)["body"]["threads"]
    t_threads = time.perf_counter()
    return {"stopped": t_stopped - t, "threads": t_threads - t_stopped, "list": threads}


def dap_wait_stop(s) -> dict:
    """The next `stopped` event; fails at once if the program ends first (`exited` or
    `terminated`: e.g. goroutines N exits when its goroutines do not start within 60 s)."""
    deadline = time.monotonic() + DAP_TIMEOUT
    while True:
        for i, ev in enumerate(s._pending):
            if ev.get("event") == "stopped":
                del s._pending[: i + 1]
                return ev
            if ev.get("event") in ("exited", "terminated"):
                said = [ln for ln in "".join(s.output).splitlines() if ln.strip()][-1:] or [""]
                raise RuntimeError(f"the program ended before the stop "
                                   f"({ev.get('event')} {json.dumps(ev.get('body'))}) {said[0]}")
        s._next_before(deadline, "stopped event")


def dap_stack(s, thread_id: int) -> tuple[float, int]:
    """One `stackTrace` (levels 0, as VS Code's first request for a thread it expands)."""
    t = time.perf_counter()
    body = s.response(s.send("stackTrace", {"threadId": thread_id, "startFrame": 0, "levels": 0}),
                      timeout=DAP_TIMEOUT)["body"]
    return time.perf_counter() - t, len(body.get("stackFrames") or [])


def lldb_dap_run(prog: str, n: int, cap0: bool) -> dict:
    """lldb-dap-22 + plugin: stop in main.benchReady (every goroutine started), continue to
    bench_ready; the times of that stop and its `threads`, then one parked goroutine's stack."""
    D = dap_module()
    s = D.DapSession()
    try:
        launch = {"name": "bench", "type": "lldb-dap", "request": "launch", "program": prog,
                  "args": [str(n), str(IN_C)], "cwd": str(ROOT), "stopOnEntry": False,
                  "initCommands": [f"plugin load {PLUGIN}"] + (["cgo threads max 0"] if cap0 else []),
                  "__sessionId": "bench"}
        r = dap_stop_twice(s, launch, ["main.benchReady"], {}, ["bench_ready"])
        gs = [t for t in r["list"] if t["id"] >= GOROUTINE_TID_BASE]
        parked = [t for t in gs if " main.parked " in t["name"]]
        if len(parked) < 20:
            raise RuntimeError(f"{len(parked)} parked goroutine threads of {len(r['list'])}")
        r["stack"], r["frames"] = dap_stack(s, parked[19]["id"])
        r["listed"] = len(gs)
        return r
    finally:
        s.close()


def delve_dap_run(dlv: str, prog: str, n: int) -> dict:
    """The same in `dlv dap`: a function breakpoint on main.benchReady, a line breakpoint on
    main.go's C.bench_ready call (Delve breaks on Go code), continue from one to the other."""
    src = ROOT / "bench" / "programs" / "goroutines" / "main.go"
    line = next(i for i, ln in enumerate(src.read_text().splitlines(), 1)
                if "C.bench_ready(" in ln)
    s = delve_dap_session(dlv)
    try:
        launch = {"name": "bench", "type": "go", "request": "launch", "mode": "exec",
                  "program": prog, "args": [str(n), str(IN_C)], "stopOnEntry": False}
        r = dap_stop_twice(s, launch, ["main.benchReady"], {str(src): [line]}, [])
        parked = [t for t in r["list"] if t["name"].split("] ", 1)[-1].startswith("main.parked")]
        if len(parked) < 20:
            raise RuntimeError(f"{len(parked)} parked goroutines of {len(r['list'])} threads")
        r["stack"], r["frames"] = dap_stack(s, parked[19]["id"])
        r["listed"] = len(r["list"])
        return r
    finally:
        s.close()


DAP_KEYS = ("stopped", "threads", "stack")


def dap_median(runs: int, f: Callable[[], dict]) -> dict:
    """Each time the median of `runs` sessions; {"failed": one line} if any session fails."""
    got = []
    for _ in range(runs):
        try:
            got.append(f())
        except Exception as e:  # noqa: BLE001 (a failing peer is a row, not a crash)
            return {"failed": one_line(e)}
    out: dict = {k: statistics.median(r[k] for r in got) for k in DAP_KEYS}
    out["listed"], out["frames"] = got[0]["listed"], got[0]["frames"]
    return out


def tool_version(cmd: list[str]) -> str:
    try:
        lines = [ln.strip() for ln in run(cmd, timeout=60).splitlines() if ln.strip()]
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({one_line(e)})"
    return next((ln for ln in lines if re.search(r"\d+\.\d+", ln)), lines[0] if lines else "?")


def dap_report(prog: str, counts: list[int], runs: int, dlv: Optional[str], dlv_note: str,
               goversion: str) -> str:
    rows = []
    for n in counts:
        peers: list[tuple[str, str, Callable[[], dict]]] = [
            ("lldb-dap-22 + cgounwind", "default (1,024)", lambda: lldb_dap_run(prog, n, False)),
            ("lldb-dap-22 + cgounwind", "0 (`cgo threads max 0`)",
             lambda: lldb_dap_run(prog, n, True))]
        if dlv:
            peers.append(("Delve `dlv dap`", f"default ({DELVE_MAX_GOROUTINES:,})",
                          lambda: delve_dap_run(dlv, prog, n)))
        for name, cap, f in peers:
            say(f"bench: DAP {name}, cap {cap}, {n} goroutines")
            r = dap_median(1 if n >= 100000 and runs > 1 and "Delve" in name else runs, f)
            if "failed" in r:
                rows.append(f"| {n:,} | {name} | {cap} | failed: {r['failed']} | | | | | |")
                continue
            rows.append(f"| {n:,} | {name} | {cap} | {fmt_s(r['stopped'])} | "
                        f"{fmt_s(r['threads'])} | {fmt_s(r['stopped'] + r['threads'])} | "
                        f"{r['listed']:,} | {fmt_s(r['stack'])} | {r['frames']} |")
        if dlv:
            rows.append(f"| {n:,} | Delve `dlv dap` | 0 | – (no launch or attach argument: "
                        f"`maxGoroutines` is a package variable, {DELVE_MAX_GOROUTINES:,}, in "
                        f"service/dap/server.go) | | | | | |")
        else:
            rows.append(f"| {n:,} | Delve `dlv dap` | – | failed: {dlv_note} | | | | | |")
    dap_v = tool_version([dap_module().ADAPTER, "--version"])
    dlv_v = tool_version([dlv, "version"]).replace("Version: ", "") if dlv else dlv_note
    return "\n".join([
        f"Measured by `bench/bench.py --dap` on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} "
        f"cores, {goversion}; {dap_v} ({PLUGIN.name} loaded by initCommands), Delve {dlv_v}; "
        f"median of {runs} sessions (Delve at 100k: one).", "",
        f"bench/programs/goroutines N {IN_C}: N goroutines, {IN_C} of them blocked in C, the rest "
        "parked on channels in main.parked. Each DAP session is driven as VS Code drives it "
        "(tests/e2e/test_dap.py's DapSession): stop in main.benchReady once every goroutine has "
        "started, then `continue` to the next stop (bench_ready in lldb-dap, the line calling it "
        "in Delve, which breaks on Go code), timed from the `continue` request to the `stopped` "
        "event, then VS Code's `threads` request; then `stackTrace` (startFrame 0, levels 0) of "
        "the 20th goroutine thread parked in main.parked. Threads listed: goroutine threads "
        "(lldb-dap: ids ≥ 2^40, beside the process's OS threads) / all threads (Delve: one per "
        "goroutine). Frames: lldb-dap's levels 0 is the whole stack, Delve's its "
        "stackTraceDepth (50).", "",
        "| goroutines | adapter | thread cap | continue → stopped | threads | both | "
        "threads listed | stackTrace (1 goroutine) | frames |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
        *rows]) + "\n"


def dap_only(prog: str, counts: list[int], runs: int, dlv: Optional[str], dlv_note: str,
             goversion: str, out_dir: Path) -> int:
    """--dap: the DAP rows alone, written to DIR/results-dap.md."""
    text = dap_report(prog, counts, runs, dlv, dlv_note, goversion)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results-dap.md").write_text(text)
    print(text)
    print(f"bench: wrote {out_dir / 'results-dap.md'}")
    return 0


# ---------------------------------------------------------------------------------------------
# bt, start-up, remote

def gdb_bt(prog: str, args: list[str], ours: bool, bp: str = "c_bottom") -> tuple[float, int]:
    pre = [f"source {CGO_PY}"] if ours else []
    out = gdb_session(prog, args, pre, GDB_TIMER + f"break {bp}\nrun\npython _bench('bt')\nkill\n")
    return parse_time(out, "gdb bt")


def lldb_bt(prog: str, args: list[str], ours: bool, bp: str = "c_bottom") -> tuple[float, int]:
    # Plain LLDB stops on Go's SIGURG unless told not to.
    pre = [f"plugin load {PLUGIN}"] if ours else ["process handle -p true -s false -n false SIGURG"]
    out = lldb_session(prog, args, pre + [f"breakpoint set -n {bp}", "process launch"],
                       LLDB_TIMER.replace("CMD", repr("bt")))
    return parse_time(out, "lldb bt")


PY_HOST = ["/usr/bin/python3", str(ROOT / "testdata" / "golib" / "host.py")]


def python_host(lib: str, dbg: str, ours: bool) -> tuple[float, float, int]:
    """Debian's python3 loading a Go c-shared library after start-up (about 40 shared
    libraries, one of them Go), stopped in the library's C: (seconds from the debugger's start
    to the end of the session, seconds of the first `bt`, its frames)."""
    t = time.perf_counter()
    if dbg == "gdb":
        pre = ([f"source {CGO_PY}"] if ours else []) + ["set breakpoint pending on"]
        out = gdb_session(PY_HOST[0], PY_HOST[1:] + [lib], pre,
                          GDB_TIMER + "break lib_c_inner\nrun\npython _bench('bt')\nkill\n")
    else:
        pre = [f"plugin load {PLUGIN}"] if ours else [
            "process handle -p true -s false -n false SIGURG"]
        out = lldb_session(PY_HOST[0], PY_HOST[1:] + [lib],
                           pre + ["breakpoint set -n lib_c_inner", "process launch"],
                           LLDB_TIMER.replace("CMD", repr("bt")))
    total = time.perf_counter() - t
    dt, frames = parse_time(out, f"{dbg} bt in python3")
    return total, dt, frames


def startup(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run(cmd, timeout=300)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def remote_gdb_reads(prog: str, n: int, ours: bool, rgdb: str) -> tuple[int, int, float]:
    """Memory-read packets ($m/$x) and bytes asked for during one `info goroutines` over
    gdbserver on loopback, and the listing's time there."""
    port = free_port()
    server = subprocess.Popen(["gdbserver", f"127.0.0.1:{port}", prog, str(n), str(IN_C)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        pre = [f"file {prog}"] + ([f"source {CGO_PY}"] if ours else [f"source {rgdb}"])
        script = GDB_TIMER + (
            f"target remote 127.0.0.1:{port}\nbreak bench_ready\ncontinue\n"
            "set debug remote 1\npython _bench('info goroutines')\nset debug remote 0\nkill\n")
        with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
            f.write(script)
        try:
            out = run(GDB + [a for c in pre for a in ("-ex", c)] + ["-ex", f"source {f.name}"],
                      timeout=3600)
        finally:
            os.unlink(f.name)
        m = re.search(r"^@@packets (\d+) (\d+)$", out, re.M)
        dt, _ = parse_time(out, "remote gdb listing")
        return (int(m.group(1)), int(m.group(2)), dt) if m else (0, 0, dt)
    finally:
        server.kill()
        server.wait()


def remote_lldb_reads(prog: str, n: int) -> tuple[int, int, float]:
    port = free_port()
    server = subprocess.Popen(["lldb-server-22", "gdbserver", f"127.0.0.1:{port}", "--", prog,
                               str(n), str(IN_C)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False).name
    try:
        time.sleep(0.5)
        script = ("import time\nci = lldb.debugger.GetCommandInterpreter()\n"
                  "r = lldb.SBCommandReturnObject()\n"
                  f"ci.HandleCommand('log enable -f {log} gdb-remote packets', r)\n"
                  + LLDB_TIMER.replace("CMD", repr("goroutine list")).split("import time\n", 1)[1]
                  + "ci.HandleCommand('log disable gdb-remote packets', r)\n")
        # On loopback the process is also local: keep the plugin from reading /proc/PID/mem, so
        # that this measures what a remote target costs.
        out = lldb_session(prog, [], [f"plugin load {PLUGIN}", f"gdb-remote 127.0.0.1:{port}",
                                      "breakpoint set -n bench_ready", "continue"], script,
                           extra_env={"CGOUNWIND_NO_PROC_MEM": "1"})
        dt, _ = parse_time(out, "remote lldb listing")
        text = Path(log).read_text(errors="replace")
        packets = re.findall(r"send packet: \$([mx])([0-9a-f]+),([0-9a-f]+)#", text)
        return len(packets), sum(int(p[2], 16) for p in packets), dt
    finally:
        server.kill()
        server.wait()
        os.unlink(log)


# ---------------------------------------------------------------------------------------------

def fmt_s(x: Optional[float]) -> str:
    if x is None:
        return "–"
    return f"{x * 1000:.0f} ms" if x < 10 else f"{x:.1f} s"


def main() -> int:
    global BUILD, WORK, PLUGIN
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3, help="sessions per measurement (median)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--no-setup", action="store_true", help="skip setup.sh and the CMake build")
    ap.add_argument("--build", default=str(BUILD), help="cgounwind's build tree (default build/)")
    ap.add_argument("--arm64", action="store_true", help="also measure linux/arm64 under qemu")
    ap.add_argument("--arm64-only", action="store_true", help="only the arm64 measurements")
    ap.add_argument("--listing-only", action="store_true",
                    help="only our plain and grouped listings (DIR/results-listing.md)")
    ap.add_argument("--dap", action="store_true",
                    help="only the DAP rows: lldb-dap-22 + cgounwind and Delve's `dlv dap`, "
                         "`threads` and one goroutine's `stackTrace` (DIR/results-dap.md)")
    ap.add_argument("--skip-runtime-gdb-above", type=int, default=100000,
                    help="runtime-gdb.py is not timed above this many goroutines")
    ns = ap.parse_args()
    counts = [int(c) for c in ns.counts.split(",")]
    BUILD = Path(ns.build).resolve()
    WORK, PLUGIN = BUILD / "bench", BUILD / "lldb-plugin" / "libcgounwind.so"
    if not ns.no_setup:
        say("bench: setup and build")
        subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(BUILD), "-j", str(os.cpu_count() or 2)],
                       check=True, stdout=subprocess.DEVNULL)
    go = go_binary()
    if ns.arm64 or ns.arm64_only:
        say("bench: linux/arm64 under qemu-user")
        text = arm64_report(go, ns.runs, runtime_gdb_py(go), run([go, "version"]).strip())
        Path(ns.out).mkdir(parents=True, exist_ok=True)
        (Path(ns.out) / "results-arm64.md").write_text(text)
        print(text)
        if ns.arm64_only:
            return 0
    progs = build_all(go)
    rgdb = runtime_gdb_py(go)
    goversion = run([go, "version"]).strip()
    if ns.listing_only:
        return listing_only(progs["goroutines"], counts, ns.runs, rgdb, goversion, Path(ns.out))
    dlv, dlv_note = install_delve(go)
    say(f"bench: Delve: {dlv_note}")
    if ns.dap:
        return dap_only(progs["goroutines"], counts, ns.runs, dlv, dlv_note, goversion,
                        Path(ns.out))

    # 1. listing
    listing: dict[str, dict[int, Optional[float]]] = {k: {} for k in
                                                       ("gdb", "rgdb", "lldb", "dlv")}
    reads: dict[int, tuple[int, int]] = {}
    grouped: dict[int, dict[str, dict[str, float]]] = {}
    for n in counts:
        say(f"bench: listing {n} goroutines")
        dt, lines, rd = median_of(ns.runs, lambda: gdb_listing(progs["goroutines"], n, True, rgdb))
        if lines < n:
            raise SystemExit(f"bench: our info goroutines listed {lines} lines for {n}")
        listing["gdb"][n], reads[n] = dt, rd
        listing["lldb"][n] = median_of(ns.runs, lambda: lldb_listing(progs["goroutines"], n))[0]
        grouped[n] = grouped_listings(progs["goroutines"], n, ns.runs, rgdb)
        if n <= ns.skip_runtime_gdb_above:
            listing["rgdb"][n] = median_of(
                1 if n >= 100000 else ns.runs,
                lambda: gdb_listing(progs["goroutines"], n, False, rgdb))[0]
        if dlv:
            try:
                listing["dlv"][n] = median_of(ns.runs,
                                              lambda: delve_listing(dlv, progs["goroutines"], n))[0]
            except (RuntimeError, OSError, ValueError) as e:
                say(f"bench: Delve at {n}: {e}")

    # 2. bt: 50 Go<->C levels against plain C of the same depth
    say("bench: backtraces")
    bt: dict[str, tuple[float, int]] = {}
    bt["gdb-spliced"] = median_of(ns.runs, lambda: gdb_bt(progs["alternate"], ["50"], True))
    depth = bt["gdb-spliced"][1]
    bt["gdb-c"] = median_of(ns.runs, lambda: gdb_bt(progs["cdeep"], [str(depth - 2)], False))
    bt["lldb-spliced"] = median_of(ns.runs, lambda: lldb_bt(progs["alternate"], ["50"], True))
    bt["lldb-c"] = median_of(ns.runs, lambda: lldb_bt(progs["cdeep"], [str(depth - 2)], False))
    # The debuggers' own cost for Go frames: a plain Go stack of that depth, no cgounwind.
    bt["gdb-go"] = median_of(ns.runs, lambda: gdb_bt(progs["godeep"], [str(depth - 5)], False,
                                                     "main.bottom"))
    bt["lldb-go"] = median_of(ns.runs, lambda: lldb_bt(progs["godeep"], [str(depth - 5)], False,
                                                       "main.bottom"))

    # 3. start-up
    say("bench: start-up")
    prog = progs["goroutines"]
    su = {
        "gdb": startup(GDB + [prog], 10),
        "gdb+cgo.py": startup(GDB + ["-ex", f"source {CGO_PY}", prog], 10),
        "lldb": startup(["lldb-22", "-b", "--no-lldbinit", prog], 10),
        "lldb+plugin": startup(["lldb-22", "-b", "--no-lldbinit", "-o", f"plugin load {PLUGIN}",
                                prog], 10),
    }

    # 3b. a Go library in a Python host: what the non-Go libraries cost, and the first bt
    say("bench: python host")
    pyhost = {(dbg, ours): median_of(ns.runs, lambda: python_host(progs["libgocb.so"], dbg, ours))
              for dbg in ("gdb", "lldb") for ours in (False, True)}

    # 4. remote round trips
    say("bench: remote")
    remote = {}
    for n in [c for c in (1000, 10000) if c <= max(counts)] or [min(counts)]:
        remote[("gdb", n)] = remote_gdb_reads(prog, n, True, rgdb)
        remote[("rgdb", n)] = remote_gdb_reads(prog, n, False, rgdb)
        remote[("lldb", n)] = remote_lldb_reads(prog, n)

    # report
    out_dir = Path(ns.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"Measured by `bench/bench.py` on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
             f"{goversion}; median of {ns.runs} sessions (runtime-gdb.py at 100k: one).", "",
             "### Goroutine listing (time of the command alone, at one stop)", "",
             "| goroutines | cgounwind GDB | runtime-gdb.py | speed-up | cgounwind LLDB | Delve |",
             "|---:|---:|---:|---:|---:|---:|"]
    for n in counts:
        g, r = listing["gdb"].get(n), listing["rgdb"].get(n)
        ratio = f"{r / g:.0f}×" if g and r else "–"
        lines.append(f"| {n:,} | {fmt_s(g)} | {fmt_s(r)} | {ratio} | "
                     f"{fmt_s(listing['lldb'].get(n))} | {fmt_s(listing['dlv'].get(n))} |")
    if not dlv:
        lines += ["", f"Delve: not measured ({dlv_note})."]
    lines += [""] + grouped_report(grouped, listing, counts)
    lines += ["", "### Backtrace of a 50-level Go↔C stack against plain C of the same depth", "",
              "| debugger | frames (spliced / C / Go) | spliced (cgounwind) | plain C | ratio | "
              "plain Go, no cgounwind |", "|---|---:|---:|---:|---:|---:|"]
    for dbg in ("gdb", "lldb"):
        s, c, g = bt[f"{dbg}-spliced"], bt[f"{dbg}-c"], bt[f"{dbg}-go"]
        lines.append(f"| {dbg} | {s[1]} / {c[1]} / {g[1]} | {fmt_s(s[0])} | {fmt_s(c[0])} | "
                     f"{s[0] / c[0]:.2f}× | {fmt_s(g[0])} ({g[0] / c[0]:.2f}× C) |")
    lines += ["", "### Start-up (a Go binary loaded, batch mode, median of 10)", "",
              "| | without | with cgounwind | added |", "|---|---:|---:|---:|",
              f"| GDB (`source cgo.py`) | {fmt_s(su['gdb'])} | {fmt_s(su['gdb+cgo.py'])} | "
              f"{fmt_s(su['gdb+cgo.py'] - su['gdb'])} |",
              f"| LLDB (`plugin load`) | {fmt_s(su['lldb'])} | {fmt_s(su['lldb+plugin'])} | "
              f"{fmt_s(su['lldb+plugin'] - su['lldb'])} |",
              "", "### A Go c-shared library in Debian's python3 (ctypes, after start-up)", "",
              "Whole session (start the debugger, run python3 to the breakpoint in the library's "
              "C, `bt`, kill) and the first `bt` alone, median of --runs:", "",
              "| debugger | session without | session with cgounwind | first bt without "
              "(lines) | first bt with (lines) |", "|---|---:|---:|---:|---:|"]
    for dbg in ("gdb", "lldb"):
        w, o = pyhost[(dbg, False)], pyhost[(dbg, True)]
        lines.append(f"| {dbg} | {fmt_s(w[0])} | {fmt_s(o[0])} | {fmt_s(w[1])} ({w[2]}) | "
                     f"{fmt_s(o[1])} ({o[2]}) |")
    lines += ["", "### Memory reads for one listing", "",
              "Live, through cgounwind's reader in GDB: "
              + ", ".join(f"{n:,} goroutines: {r[0]:,} reads, {r[1] / 1e6:.1f} MB"
                          for n, r in reads.items()) + ".", "",
              "Remote, on loopback (memory-read packets during the command; gdbserver / lldb-server):",
              "", "| goroutines | tool | packets | bytes | time |", "|---:|---|---:|---:|---:|"]
    names = {"gdb": "cgounwind GDB", "rgdb": "runtime-gdb.py", "lldb": "cgounwind LLDB"}
    for (tool, n), (pk, by, dt) in remote.items():
        lines.append(f"| {n:,} | {names[tool]} | {pk:,} | {by / 1e6:.2f} MB | {fmt_s(dt)} |")
    report = "\n".join(lines) + "\n"
    (out_dir / "results.md").write_text(report)
    (out_dir / "results.json").write_text(json.dumps(
        {"listing": {k: {str(n): v for n, v in d.items()} for k, d in listing.items()},
         "grouped": {str(n): g for n, g in grouped.items()},
         "bt": bt, "startup": su, "reads": {str(k): v for k, v in reads.items()},
         "python_host": {f"{d}:{'cgounwind' if o else 'plain'}": v
                         for (d, o), v in pyhost.items()},
         "remote": {f"{t}:{n}": v for (t, n), v in remote.items()}}, indent=1))
    plotted = plot(listing, counts, out_dir / "listing.png")
    print(report)
    print(f"bench: wrote {out_dir / 'results.md'}"
          + (f" and {out_dir / 'listing.png'}" if plotted else " (no plot)"))
    return 0


def listing_only(prog: str, counts: list[int], runs: int, rgdb: str, goversion: str,
                 out_dir: Path) -> int:
    """--listing-only: our plain and grouped listings in GDB and LLDB, nothing else."""
    listing: dict[str, dict[int, Optional[float]]] = {"gdb": {}, "lldb": {}}
    grouped: dict[int, dict[str, dict[str, float]]] = {}
    for n in counts:
        say(f"bench: listing {n} goroutines (plain and grouped)")
        dt, lines, _ = median_of(runs, lambda: gdb_listing(prog, n, True, rgdb))
        if lines < n:
            raise SystemExit(f"bench: our info goroutines listed {lines} lines for {n}")
        listing["gdb"][n] = dt
        listing["lldb"][n] = median_of(runs, lambda: lldb_listing(prog, n))[0]
        grouped[n] = grouped_listings(prog, n, runs, rgdb)
    text = "\n".join([f"Measured by `bench/bench.py --listing-only` on {time.strftime('%Y-%m-%d')}, "
                      f"{os.cpu_count()} cores, {goversion}; median of {runs} sessions.", "",
                      *grouped_report(grouped, listing, counts)]) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results-listing.md").write_text(text)
    print(text)
    print(f"bench: wrote {out_dir / 'results-listing.md'}")
    return 0


def plot(listing: dict[str, dict[int, Optional[float]]], counts: list[int], path: Path) -> bool:
    try:
        import matplotlib  # Debian's python3-matplotlib (run this script with /usr/bin/python3)
    except ImportError:
        say(f"bench: no plot: matplotlib is not importable by {sys.executable}")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = {"gdb": "cgounwind (GDB)", "lldb": "cgounwind (LLDB)", "rgdb": "runtime-gdb.py (GDB)",
              "dlv": "Delve"}
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for key, label in labels.items():
        pts = [(n, listing[key][n]) for n in counts if listing[key].get(n)]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("goroutines")
    ax.set_ylabel("listing time (s)")
    ax.set_title("Goroutine listing time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    return True


if __name__ == "__main__":
    sys.exit(main())
