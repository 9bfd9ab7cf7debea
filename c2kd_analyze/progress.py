"""Progress on stderr, one way for all long work (encoding, training, translating, extracting).

Three modes, chosen once for the process (:func:`progress_mode`):

- ``bars``: rich progress bars, for a terminal;
- ``lines``: plain lines a log file can keep (a SLURM job, a pipe, ``--no-progress``): one when a
  piece of work starts, about one every 10 % of it, and one when it ends, each with its time;
- ``quiet``: nothing (``--quiet``).

``auto`` (the default) is ``bars`` when stderr is a terminal and ``lines`` otherwise. Short work
(fewer items than its ``min_total``) says nothing in any mode.

>>> with progress_mode("quiet"), progress_bar(10, "counting", min_total=1) as advance:
...     for _ in range(10):
...         advance(1)
...     current_mode()
'quiet'
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from collections.abc import Callable, Iterator
from typing import Literal

Mode = Literal["auto", "bars", "lines", "quiet"]

_MODE: contextvars.ContextVar[Mode] = contextvars.ContextVar("progress_mode", default="auto")

#: a line about every this share of the work, in ``lines`` mode
LINE_EVERY = 0.1


def current_mode() -> Literal["bars", "lines", "quiet"]:
    """The mode in force: ``auto`` decided by whether stderr is a terminal."""
    mode = _MODE.get()
    if mode != "auto":
        return mode
    return "bars" if sys.stderr.isatty() else "lines"


@contextlib.contextmanager
def progress_mode(mode: Mode) -> Iterator[None]:
    """Use ``mode`` for every progress report inside the block."""
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def say(text: str) -> None:
    """One progress line on stderr (in ``lines`` mode; above the bars in ``bars`` mode)."""
    if current_mode() != "quiet":
        print(text, file=sys.stderr, flush=True)


def _seconds(t0: float) -> str:
    return f"{time.perf_counter() - t0:.0f} s"


class LineReporter:
    """``lines`` mode: a line when about every tenth of ``total`` is done."""

    def __init__(self, total: int, description: str) -> None:
        self.total, self.description = total, description
        self.done, self.next_line = 0, LINE_EVERY
        self.t0 = time.perf_counter()

    def advance(self, n: int, detail: str = "") -> None:
        self.done += n
        share = self.done / self.total if self.total else 1.0
        if share >= self.next_line and self.done < self.total:
            extra = f", {detail}" if detail else ""
            say(f"{self.description}: {self.done:,}/{self.total:,} ({share:.0%}), "
                f"{_seconds(self.t0)}{extra}")  # fmt: skip
            while self.next_line <= share:
                self.next_line += LINE_EVERY

    def finish(self) -> None:
        say(f"{self.description}: {self.total:,} done in {_seconds(self.t0)}")


def rich_bars(*extra: str):
    """A rich ``Progress`` on stderr that clears itself when done: description, bar, n of
    total, time spent and left, then a text column per ``extra`` task field (e.g. ``"loss"``)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), *(TextColumn(f"{{task.fields[{name}]}}") for name in extra),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip


@contextlib.contextmanager
def progress_bar(
    total: int, description: str, enabled: bool = True, *, min_total: int = 512
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_done)`` for work of ``total`` items: a bar, lines or nothing as the mode
    says; nothing when ``enabled`` is False (another rank, an inner loop) or ``total`` is below
    ``min_total``."""
    mode = current_mode()
    if total < min_total or not enabled or mode == "quiet":
        yield lambda _n: None
        return
    if mode == "lines":
        lines = LineReporter(total, description)
        yield lines.advance
        lines.finish()
        return
    from rich.errors import LiveError

    bar = rich_bars()
    try:
        bar.start()
    except LiveError:  # another bar (the trainer's) is already live: stay quiet
        yield lambda _n: None
        return
    task = bar.add_task(description, total=total)
    try:
        yield lambda n: bar.advance(task, n)
    finally:
        bar.stop()
