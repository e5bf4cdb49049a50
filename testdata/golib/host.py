"""A Python host of the Go library: Debian's /usr/bin/python3 loads libgocb.so with ctypes after
start-up and runs the chain with a Python callback:

    /usr/bin/python3 host.py DIR/libgocb.so

host_cb (a ctypes callback, i.e. libffi's closure in C) calls the library's GoMiddle.
"""

import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
HostCb = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
lib.GoRun.argtypes = [HostCb, ctypes.c_int]
lib.GoRun.restype = ctypes.c_int
lib.GoMiddle.argtypes = [ctypes.c_int]
lib.GoMiddle.restype = ctypes.c_int
lib.GoParkMany.argtypes = [ctypes.c_int]


def host_cb(n: int) -> int:
    return lib.GoMiddle(n) + 1


cb = HostCb(host_cb)
lib.GoParkMany(3)
r = lib.GoRun(cb, 1)
if r != 7:
    print(f"host.py: got {r}, want 7", file=sys.stderr)
    sys.exit(1)
