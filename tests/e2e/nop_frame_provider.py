"""A scripted frame provider that does nothing (LLDB's own frames): the soak test's baseline for
what LLDB 22 itself keeps per stop once any frame provider is registered."""

from lldb.plugins.scripted_frame_provider import ScriptedFrameProvider


class NopFrameProvider(ScriptedFrameProvider):
    @staticmethod
    def get_description() -> str:
        return "LLDB's own frames"

    def __init__(self, input_frames, args) -> None:  # type: ignore[no-untyped-def]
        self.n = input_frames.GetSize()

    def get_frame_at_index(self, index: int):  # type: ignore[no-untyped-def]
        return index if index < self.n else None
