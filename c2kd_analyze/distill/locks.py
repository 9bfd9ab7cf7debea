"""Claims on work: several ``run`` processes pointed at one run folder split its cells.

A cell is claimed by holding an OS file lock (``filelock``, ``flock`` on POSIX) on
``<cell folder>/.lock`` while it trains, evaluates and writes. The OS drops the lock when its
holder exits, however it exits (SIGKILL included), so a dead process never blocks a cell: the
next process to ask gets it, sees the cell is not done, and runs it.

Protocol (``runner._run_cells`` with :func:`claim_cell`): pass 1 takes every free cell without
waiting, skipping the cells another process holds; pass 2 waits for those, then runs any the
other process did not finish. A cell is re-checked for ``done.json`` after it is claimed, so no
cell is trained twice and no cell's files are ever rewritten while another process reads them.

Under torchrun only rank 0 touches the lock and every rank follows its answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


def lock_path(folder: Path) -> Path:
    from ..layout import LOCK_NAME

    return Path(folder) / LOCK_NAME


@contextlib.contextmanager
def claim_cell(folder: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the lock of ``folder`` (created if needed) for the block; yields whether it is held.

    ``wait=False`` never blocks: yields False when another process holds it. ``wait=True``
    blocks until the holder releases it (finishes, fails or is killed) and yields True.
    """
    from filelock import FileLock, Timeout

    from ..errors import UserError
    from ..io import write_error
    from .distributed import agree, is_main

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


class SharedLock:
    """A shared ``flock`` on ``path`` held from :meth:`acquire` until :meth:`release` or until the
    process dies (the OS drops it, SIGKILL included).

    Processes of one run (shards, a resumed run) hold it together; :func:`held_by_others` asks,
    without blocking, whether any process holds it at all. The run folder's ``.active`` file
    uses it so that a run of another config never takes a folder a run is working in.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl
        import os

        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        import os

        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def held_by_others(path: Path) -> bool:
    """True when some process holds a lock on ``path`` (checked with a non-blocking exclusive
    lock, released at once); False when nobody does or the file does not exist."""
    import fcntl
    import os

    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
