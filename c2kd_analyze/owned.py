"""What c2kd-analyze wrote itself, and so may delete: the project's deletion rule.

**The tool deletes only files it wrote.** A file is the tool's when it carries a valid checksum
sidecar (:mod:`c2kd_analyze.io` writes every file that way), is that sidecar, is one of the lock
files, or is a temporary file of an atomic write (``.NAME.*.tmp``). Inside a run folder it must
also sit where :class:`~c2kd_analyze.layout.RunFolder` puts such files. Anything else (a
``config.json`` without its checksum, a user's notes in ``figures/``, a folder of their own) is
*foreign*: a run refuses a folder that holds foreign files, ``--overwrite`` removes the tool's
files and keeps foreign ones, and a report never writes over a foreign file.

``tracking/`` holds what ``--report-to`` trackers write in their own formats (no checksums): it
is the tool's folder as a whole. One exception makes a killed run resumable: a claim killed
between writing ``config.json`` and its sidecar leaves a sidecar-less ``config.json``; it is the
tool's when the folder also holds the run lock and the file reads as a run record (``run_id``,
``config`` and ``where``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import io
from .layout import ACTIVE_NAME, LOCK_NAME, CellFolder, RunFolder

#: the report's file types (figures/ and tables/)
FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".svg")
TABLE_SUFFIXES: tuple[str, ...] = (".md", ".tex", ".csv")

_LOCKS = frozenset({LOCK_NAME, ACTIVE_NAME})
_TEMP = re.compile(r"^\.(?P<name>.+)\.[^.]+\.tmp$")  # io.atomic_path's temporary names


def _sidecar_of(path: Path) -> Path | None:
    """The file ``path`` vouches for, when ``path`` is a checksum sidecar."""
    if path.name.endswith(io.CHECKSUM_SUFFIX):
        return path.with_name(path.name[: -len(io.CHECKSUM_SUFFIX)])
    return None


def is_ours(path: Path, names: Iterable[str] | None = None) -> bool:
    """Whether the file ``path`` was written by the tool: a lock file, a temporary file of an
    atomic write, a file with a valid checksum sidecar, or such a sidecar. ``names``: the only
    file names allowed here (the layout of the folder), None for any."""
    allowed = None if names is None else set(names)
    if path.is_symlink() or not path.is_file():
        return False
    if path.name in _LOCKS:
        return True
    temp = _TEMP.match(path.name)
    target = Path(temp["name"]) if temp else _sidecar_of(path)
    name = target.name if target is not None else path.name
    if allowed is not None and name not in allowed:
        return False
    if temp:
        return True
    if target is not None:  # a sidecar: ours when its file is ours (or is gone)
        real = path.with_name(target.name)
        return not real.exists() or io.is_valid(real)
    return io.is_valid(path)


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _foreign_files(folder: Path, names: Iterable[str] | None) -> Iterator[Path]:
    """Entries of ``folder`` (not below it) that are not the tool's files named ``names``."""
    for path in _entries(folder):
        if not is_ours(path, names):
            yield path


def _report_names(folder: Path, suffixes: tuple[str, ...]) -> set[str]:
    return {p.name for p in _entries(folder) if p.suffix in suffixes}


def _cell_names(cell: CellFolder) -> tuple[str, ...]:
    return (*(p.name for p in (*cell.tables, *cell.optional_tables)), cell.done.name)


def interrupted_claim(folder: RunFolder) -> bool:
    """``config.json`` was renamed into place by a claim that died before its sidecar."""
    path = folder.config
    if not folder.lock.is_file() or not path.is_file() or path.is_symlink():
        return False
    if path.with_name(path.name + io.CHECKSUM_SUFFIX).exists():
        return False
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and {"run_id", "config", "where"} <= set(record)


def foreign_entries(folder: RunFolder) -> list[Path]:
    """Everything in a run folder that the tool did not write there (see the module docstring),
    top-level entries first; empty when the folder is absent."""
    root = folder.path
    if not root.is_dir():
        return []
    known_dirs = {folder.cells_dir.name, folder.figures_dir.name, folder.tables_dir.name,
                  folder.tracking_dir.name}  # fmt: skip
    top = {p.name for p in folder.run_files}
    found: list[Path] = []
    for path in _entries(root):
        if path.name in known_dirs and path.is_dir() and not path.is_symlink():
            continue
        if path == folder.config and interrupted_claim(folder):
            continue
        if not is_ours(path, top):
            found.append(path)
    if folder.cells_dir.is_dir() and not folder.cells_dir.is_symlink():
        for path in _entries(folder.cells_dir):
            if not path.is_dir() or path.is_symlink():
                found.append(path)
                continue
            cell = CellFolder(path)
            found += _foreign_files(path, _cell_names(cell))
    for directory, suffixes in (
        (folder.figures_dir, FIGURE_SUFFIXES),
        (folder.tables_dir, TABLE_SUFFIXES),
    ):
        if directory.is_dir() and not directory.is_symlink():
            found += _foreign_files(directory, _report_names(directory, suffixes))
    return found


def describe(paths: list[Path], root: Path, limit: int = 3) -> str:
    """``a, b, c and 4 more`` (paths relative to ``root``; folders end in ``/``)."""
    shown = []
    for path in paths[:limit]:
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = str(path)
        shown.append(name + ("/" if path.is_dir() and not path.is_symlink() else ""))
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(shown) + more


def _remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise io.write_error(path, exc) from exc


def remove_ours(folder: RunFolder, keep_locks: bool = True) -> list[Path]:
    """Delete the tool's files of a run folder, and the folders they leave empty; foreign
    entries stay where they are. Returns the foreign entries kept."""
    foreign = set(foreign_entries(folder))
    root = folder.path
    if not root.is_dir():
        return []
    tracking = folder.tracking_dir
    if tracking.is_dir() and not tracking.is_symlink():  # the trackers' own files, all of it
        try:
            shutil.rmtree(tracking)
        except OSError as exc:
            raise io.write_error(tracking, exc) from exc
    subdirs = [folder.cells_dir, folder.figures_dir, folder.tables_dir]
    for directory in [*(c.path for c in folder.cell_folders()), *subdirs, root]:
        if directory.is_symlink() or not directory.is_dir() or directory in foreign:
            continue
        files = [p for p in _entries(directory) if p.is_file() or p.is_symlink()]
        for path in sorted(files, key=lambda p: _sidecar_of(p) is None):  # sidecars first
            if path in foreign or (keep_locks and path.name in _LOCKS and directory == root):
                continue
            _remove_file(path)
        if directory != root:
            with contextlib.suppress(OSError):
                directory.rmdir()  # only when empty: foreign files keep their folder
    return sorted(foreign)


def refuse_foreign_targets(paths: Iterable[Path], what: str) -> None:
    """A UserError when one of ``paths`` (files about to be written) exists and is not the
    tool's: it would be overwritten."""
    from .errors import UserError

    for path in paths:
        if (path.exists() or path.is_symlink()) and not is_ours(path):
            raise UserError(
                f"{path} was not written by c2kd-analyze and {what} would replace it; move it "
                "away, or choose another --out"
            )


def walk_files(root: Path) -> Iterator[Path]:
    """Every file below ``root`` (symlinks as entries, never followed)."""
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames:
            if (base / name).is_symlink():
                yield base / name
        for name in filenames:
            yield base / name
