"""LLDB OS plugin: Go goroutines as threads (cgounwind).

libcgounwind.so sets `target.process.python-os-plugin-path` to this file on Go processes; LLDB
then asks OperatingSystemPlugIn for the threads at each stop. Everything is in cgounwind_lldb
(imported by the plugin before this file is loaded, from the same directory), and the choice of
goroutines, their ids and names in the core.
"""

from __future__ import annotations

from typing import Any, Optional

import lldb

import cgounwind_lldb as shim


class OperatingSystemPlugIn:
    """Goroutines as threads: those on an OS thread backed by it, the others (`cgo threads on`)
    from where they were parked."""

    def __init__(self, process: lldb.SBProcess) -> None:
        self.process = process

    def get_register_info(self) -> dict[str, Any]:
        return shim.goroutine_register_info(self.process)

    def get_thread_info(self) -> list[dict[str, Any]]:
        return shim.goroutine_thread_info(self.process)

    def get_register_data(self, tid: int) -> Optional[bytes]:
        return shim.goroutine_register_data(self.process, tid)

    def create_thread(self, tid: int, context: int) -> Optional[dict[str, Any]]:
        return None

    def does_plugin_report_all_threads(self) -> bool:
        # A goroutine on no OS thread is not listed in `cgo threads running` (nor past the cap):
        # LLDB must keep its thread plans (a `next` it is in the middle of) until it is back.
        return False
