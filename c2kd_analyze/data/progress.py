"""A rich progress bar on stderr for long data-building work (silence for short work)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(
    total: int, description: str, enabled: bool = True, *, min_total: int = 1
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_done)``; draws a bar (as the encoders' bars look) when ``enabled`` and
    ``total`` is at least ``min_total``."""
    if total < min_total or not enabled:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.errors import LiveError
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    try:
        bar.start()
    except LiveError:  # another bar is already live: stay quiet
        yield lambda _n: None
        return
    task = bar.add_task(description, total=total)
    try:
        yield lambda n: bar.advance(task, n)
    finally:
        bar.stop()
