"""The files a reader reads, declared from a data folder's layout, and the one check each passes.

A reader never hands a path to a library (polars, numpy, the unpickler) before
:func:`checked_file` has looked at it: a named pipe would block the open for ever, a socket or a
device is no data, a dangling symbolic link, an unreadable file or a name too long for the
filesystem would surface as a traceback. Each becomes one line naming the path and the fix.

:class:`DataFiles` is what a reader declares it will read (the release readers: two fixed
pickles; the generic reader: its captions table and its features). The run id's fingerprint is
taken over exactly these, before anything is loaded, so files a reader never reads (a README, the
run's own ``--out`` folder inside the data folder, a pipe) change nothing.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


@dataclass(frozen=True)
class DataFiles:
    """The files a reader reads: ``paths`` (each checked), named relative to ``root``."""

    root: Path
    paths: tuple[Path, ...]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def checked_file(path: Path, *, missing: str = "") -> Path:
    """``path`` when it is a regular file this process can read (symbolic links followed).

    Raises UserError (one line) for a missing file (``missing`` says what to do), a dangling
    symbolic link, a folder, a named pipe, socket or device (never opened: a pipe would block),
    a name the filesystem refuses (too long), and a file or folder without read permission.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise UserError(
                f"{path} is a symbolic link to {target}, which does not exist; "
                "fix the link or put the file there"
            ) from None
        raise UserError(f"{path} not found{'; ' + missing if missing else ''}") from None
    except PermissionError:
        raise UserError(
            f"cannot read {path}: permission denied on a folder above it; make the data "
            "folders readable (chmod a+rx) or run as a user who can read them"
        ) from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    if not stat.S_ISREG(mode):
        raise UserError(f"{path} is {_kind(mode)}, not a regular file; put the file itself there")
    try:  # O_NONBLOCK: nothing here may wait, whatever replaced the file since the stat
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)))
    except OSError as exc:
        raise _os_error(path, exc) from None
    return path


def _os_error(path: Path, exc: OSError) -> UserError:
    if exc.errno == errno.EACCES:
        return UserError(
            f"cannot read {path}: permission denied; make it readable (chmod a+r) or run as a "
            "user who can read it"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return UserError(
            f"cannot read {str(path)[:120]}...: the name is too long for the filesystem"
        )
    return UserError(f"cannot read {path}: {exc.strerror or exc}")


def name_fits(folder: Path, name: str) -> bool:
    """Whether ``name`` can be a file name in ``folder`` (its filesystem's limit, in bytes)."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    return len(os.fsencode(name)) <= limit
