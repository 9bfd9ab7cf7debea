"""A rich progress bar for long encodes (and silence for short ones)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

#: Encodes of fewer texts finish in a couple of seconds on a CPU: no bar for them.
MIN_TEXTS_FOR_BAR = 512


@contextlib.contextmanager
def encode_progress(
    total: int, description: str, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_done)``; draws a bar on stderr when ``total`` is large enough."""
    if total < MIN_TEXTS_FOR_BAR or not enabled:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.errors import LiveError
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    try:
        progress.start()
    except LiveError:  # another bar (e.g. the trainer's) is already live: stay quiet
        yield lambda _n: None
        return
    task = progress.add_task(description, total=total)
    try:
        yield lambda n: progress.advance(task, n)
    finally:
        progress.stop()
