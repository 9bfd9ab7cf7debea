"""Output that can fail without stopping the work: ``c2kd-analyze run ... | head -1``.

When the reader of stdout or stderr goes away (``head`` exits, a terminal closes), every later
write raises ``BrokenPipeError``. A run must still finish its cells and write its report: output
is a courtesy, the run folder is the result. :func:`pipe_safe_streams` wraps both streams so that
a broken pipe silences that stream (pointed at ``/dev/null``, so the interpreter's final flush
stays quiet too) instead of raising.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class PipeSafe:
    """A text stream whose writes never raise for a reader that went away."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def _silence(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # what is still buffered flushes to nothing
            os.close(devnull)

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, buffer, ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def pipe_safe_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` wrapped in :class:`PipeSafe` for the block."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PipeSafe(sys.stdout), PipeSafe(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
