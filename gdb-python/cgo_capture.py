"""cgounwind: capture a memory image of the current stop for the unit tests.

Usage:  (gdb) source <checkout>/gdb-python/cgo.py
        (gdb) source <checkout>/gdb-python/cgo_capture.py
        (gdb) cgo-capture-image [-all-threads] FILE NAME

NAME is <toolchain>/<program> of the testdata binary (e.g. go1.23/callback): the unit tests
load <testdata>/<NAME> to replay the image. scripts/capture_images.py drives this for every
image under tests/unit/images. The image holds the memory pages the walk read (page
granularity), every step the core answered and the goroutine table; see
unwinder/include/cgounwind/image.h for the format.
"""

from __future__ import annotations

import os

import gdb  # type: ignore[import-not-found]


def _cgo_target():
    """The _Target of cgo.py: GDB runs sourced scripts in __main__, where cgo.py left it."""
    import __main__

    finder = getattr(__main__, "_target", None)
    if finder is None or not callable(finder):
        raise gdb.GdbError("cgo-capture-image: cgo.py is not loaded (source gdb-python/cgo.py "
                           "before cgo_capture.py)")
    target = finder()
    if target is None:
        raise gdb.GdbError("cgo-capture-image: the current program is not a Go binary "
                           "cgounwind can read")
    if not hasattr(target.walker, "start_recording"):
        raise gdb.GdbError("cgo-capture-image: the _cgounwind module is too old (no recording)")
    return target


class CgoCaptureImage(gdb.Command):
    """Record the selected thread's backtrace and the goroutine table into a memory image.
Usage: cgo-capture-image [-all-threads] FILE NAME
NAME is <toolchain>/<program>, e.g. go1.23/callback. -all-threads: every thread's backtrace."""

    def __init__(self) -> None:
        super().__init__("cgo-capture-image", gdb.COMMAND_STACK)

    def invoke(self, arg: str, from_tty: bool) -> None:
        parts = gdb.string_to_argv(arg)
        all_threads = bool(parts) and parts[0] == "-all-threads"
        if all_threads:
            parts = parts[1:]
        if len(parts) != 2:
            raise gdb.GdbError("usage: cgo-capture-image [-all-threads] FILE NAME")
        path, name = parts
        target = _cgo_target()
        walker = target.walker
        walker.start_recording(name)  # also empties the page cache: every read is recorded
        try:
            target.reset()
            gdb.invalidate_cached_frames()
            # The same unwinding a user's `bt` does, frame by frame through cgo.py.
            bt = gdb.execute("thread apply all bt" if all_threads else "bt", to_string=True)
            table = walker.goroutines()
            err = walker.save_image(os.path.abspath(path))
        finally:
            walker.stop_recording()
        if err:
            raise gdb.GdbError("cgo-capture-image: %s" % err)
        frames = sum(1 for line in bt.splitlines() if line.startswith("#"))
        gdb.write("cgounwind: captured %s (%s): %d frames, %d goroutines, %d bytes\n"
                  % (path, name, frames, len(table.goroutines), os.path.getsize(path)))


CgoCaptureImage()
