"""A fingerprint of the files a loader read, so edited data under the same folder is new data.

The run id includes it: a run over edited captions or features is a new run, not "already done".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

#: Files up to this size are hashed by content; larger ones by size and modification time only,
#: so fingerprinting a multi-gigabyte release pickle costs nothing.
CONTENT_HASH_MAX_BYTES = 64 * 2**20


def files_fingerprint(root: Path, files: Iterable[Path]) -> str:
    """sha256 over ``files`` (each once, sorted by path relative to ``root``).

    Each file contributes its relative path, its size, and its content's sha256 when it is at
    most :data:`CONTENT_HASH_MAX_BYTES`, else its modification time in nanoseconds. Content
    rather than mtime for small files: touching or copying unchanged data keeps the run id.
    """
    root = Path(root)
    entries = []
    for path in sorted({Path(p) for p in files}, key=lambda p: _relative(p, root)):
        stat = path.stat()
        if stat.st_size <= CONTENT_HASH_MAX_BYTES:
            with open(path, "rb") as fh:
                stamp = "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
        else:
            stamp = f"mtime_ns:{stat.st_mtime_ns}"
        entries.append([_relative(path, root), stat.st_size, stamp])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
