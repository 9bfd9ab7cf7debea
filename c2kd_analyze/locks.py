"""Claims on work: several ``run`` processes pointed at one run folder split its cells.

A cell is claimed by holding an OS file lock (``filelock``, ``flock`` on POSIX) on
``<cell folder>/.lock`` while it trains, evaluates and writes. The OS drops the lock when its
holder exits, however it exits (SIGKILL included), so a dead process never blocks a cell: the
next process to ask gets it, sees the cell is not done, and runs it.

Protocol (``runner._run_cells``): pass 1 takes every free cell without waiting, skipping the
cells another process holds; pass 2 waits for those, then runs any the other process did not
finish. A cell is re-checked for ``done.json`` after it is claimed, so no cell is trained twice
and no cell's files are ever rewritten while another process reads them.

Under torchrun only rank 0 touches the lock and every rank follows its answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


def lock_path(folder: Path) -> Path:
    from .layout import LOCK_NAME

    return Path(folder) / LOCK_NAME


@contextlib.contextmanager
def claim(folder: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the lock of ``folder`` (created if needed) for the block; yields whether it is held.

    ``wait=False`` never blocks: yields False when another process holds it. ``wait=True``
    blocks until the holder releases it (finishes, fails or is killed) and yields True.
    """
    from filelock import FileLock, Timeout

    from .distill.distributed import agree, is_main
    from .errors import UserError
    from .io import write_error

    lock = None
    held = False
    error = None
    if is_main():
        lock = FileLock(str(lock_path(folder)), timeout=-1 if wait else 0)
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            lock.acquire()
            held = True
        except Timeout:
            held = False
        except OSError as exc:  # permission lost, read-only, disk full: the user's to fix
            error = str(write_error(Path(folder), exc))
    held, error = agree((held, error))  # every rank raises, none waits for a dead rank 0
    if error is not None:
        raise UserError(error)
    try:
        yield held
    finally:
        if lock is not None and lock.is_locked:
            lock.release()
