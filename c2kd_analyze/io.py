"""Atomic, checksummed files: the one way this project writes anything a later run will read.

Every file is written to a temporary name in the same folder, flushed, fsynced and renamed over
the final name, so a reader never sees half a file. Beside it goes ``<name>.sha256`` (written
after the file itself, also atomically). A reader trusts a file only when the sidecar exists and
matches: a process killed between the two renames leaves a file that reads as absent, never as
valid.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UserError

if TYPE_CHECKING:
    import polars as pl

CHECKSUM_SUFFIX = ".sha256"


class CorruptFileError(UserError):
    """A file on disk fails its checksum or cannot be parsed."""


class UnreadableFileError(UserError, OSError):
    """A file (or its sidecar) exists but cannot be read: no permission, or it is a folder.
    An ``OSError`` to code that handles those, one line to the user."""


def read_error(path: Path, exc: OSError) -> UnreadableFileError:
    """The one-line error for an OSError while reading ``path`` (not for a missing file)."""
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        fix = "is a folder, not a file; move it away"
    else:
        fix = f"cannot be read ({exc.strerror or exc}); check its permissions"
    error = UnreadableFileError(f"{path} {fix}")
    error.errno = exc.errno
    return error


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


@functools.cache
def file_mode() -> int:
    """The mode ``open()`` gives a new file under this process's umask (0644 or 0664, usually):
    temporary files are private (0600) until they are renamed into place with it."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` if the block succeeds.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # no permission, read-only, no space, below a regular file
        raise write_error(path.parent, exc) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, file_mode())  # colleagues sharing a run folder can read it
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_error(path: Path, exc: OSError) -> UserError:
    """The one-line UserError for an OSError while writing ``path``, with the fix its errno
    suggests (free space, or a folder the user can write to)."""
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    fix = "free some space or choose another folder" if full else "choose a folder you can write to"
    return UserError(f"cannot write {path}: {exc.strerror or exc}; {fix}")


@contextlib.contextmanager
def disk_errors(path: str | os.PathLike) -> Iterator[None]:
    """Turn a failed write under ``path`` into :func:`write_error`'s one-line UserError.

    For writers that bypass :func:`write_bytes` (a converted model folder, an exported student,
    a downloaded model). Rust-backed libraries (safetensors, tokenizers) report a full disk as a
    plain exception ending in ``(os error 28)``; those become the same line.
    """
    try:
        yield
    except UserError:
        raise
    except OSError as exc:
        raise write_error(Path(path), exc) from exc
    except Exception as exc:
        found = re.search(r"\(os error (\d+)\)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise write_error(Path(path), OSError(code, os.strerror(code))) from exc


def _write_raw_atomic(path: Path, data: bytes) -> None:
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise write_error(path, exc) from exc


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, then its checksum sidecar."""
    path = Path(path)
    try:
        with contextlib.suppress(FileNotFoundError):
            _checksum_path(path).unlink()  # an old sidecar must never vouch for new bytes
    except OSError as exc:  # e.g. the folder is below a regular file (ENOTDIR)
        raise write_error(path, exc) from exc
    _write_raw_atomic(path, data)
    _write_raw_atomic(_checksum_path(path), (sha256_bytes(data) + "\n").encode())


def is_valid(path: str | os.PathLike, *, unreadable_ok: bool = True) -> bool:
    """True when ``path`` and its checksum sidecar exist and agree. ``unreadable_ok=False``: a
    file that is there but cannot be read (permissions, a folder in its place) raises
    :class:`UnreadableFileError` instead of reading as absent."""
    try:
        read_bytes(path)
    except UnreadableFileError:
        if not unreadable_ok:
            raise
        return False
    except (OSError, CorruptFileError):  # absent, unfinished, or below a non-folder (ENOTDIR)
        return False
    return True


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a file written by :func:`write_bytes`, verifying its checksum.

    Raises ``FileNotFoundError`` when the file or its sidecar is missing (an unfinished write),
    :class:`CorruptFileError` when the bytes do not match, and :class:`UnreadableFileError` when
    either cannot be read (permissions, a folder in its place).
    """
    path = Path(path)
    sidecar = _checksum_path(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as exc:
        raise read_error(path, exc) from exc
    try:
        expected = sidecar.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        raise
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            raise CorruptFileError(f"{sidecar} is no checksum; delete it and run again") from None
        raise read_error(sidecar, exc) from exc
    if sha256_bytes(data) != expected:
        raise CorruptFileError(
            f"{path} is corrupted (checksum mismatch); delete it and run again to recompute it"
        )
    return data


def remove(path: str | os.PathLike) -> None:
    """Delete a checksummed file and its sidecar (sidecar first, so no half state reads valid)."""
    path = Path(path)
    for p in (_checksum_path(path), path):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # read-only folder, below a regular file, ...
            raise write_error(p, exc) from exc


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def read_json(path: str | os.PathLike) -> Any:
    data = read_bytes(path)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(
            f"{path} is not valid JSON ({exc}); delete it and run again"
        ) from exc


def write_parquet(path: str | os.PathLike, frame: pl.DataFrame) -> None:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    write_bytes(path, buf.getvalue())


def read_parquet(path: str | os.PathLike) -> pl.DataFrame:
    import polars as pl

    data = read_bytes(path)
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several types for bad bytes
        raise CorruptFileError(
            f"{path} is not a readable parquet file ({exc}); delete it and run again"
        ) from exc


def write_npz(path: str | os.PathLike, **arrays: Any) -> None:
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes(path, buf.getvalue())


def read_npz(path: str | os.PathLike) -> dict[str, Any]:
    import numpy as np

    data = read_bytes(path)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise CorruptFileError(
            f"{path} is not a readable .npz file ({exc}); delete it and run again"
        ) from exc
