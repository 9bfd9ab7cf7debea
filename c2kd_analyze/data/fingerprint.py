"""The data's two fingerprints, each named by what it hashes.

- :func:`read_files_fingerprint`: exactly the files a reader reads, so edited data under the
  same folder is new data. The run id includes it: a run over edited captions or features is a
  new run, not "already done".
- :func:`content_fingerprint`: what the reader returned (captions, features, sizes), whatever
  files it came from. Checkpoint keys include it, so the same data read from another folder or
  format reuses the models trained on it.

Which files those are, each reader declares from the folder's layout (:mod:`.files`), cheaply and
before anything is loaded; the reader then reads those and no others, and records the same
fingerprint (``Dataset.source_fingerprint``), so the two can be compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:
    from .types import Dataset

#: Files up to this size are hashed by content; larger ones by size and modification time only,
#: so fingerprinting a multi-gigabyte release pickle costs nothing.
CONTENT_HASH_MAX_BYTES = 64 * 2**20

#: The run id holds this many hex digits of the fingerprint.
SHORT = 16


def files_fingerprint(root: Path, files: Iterable[Path]) -> str:
    """sha256 over ``files`` (each once, sorted by path relative to ``root``).

    Each file contributes its relative path, its size, and its content's sha256 when it is at
    most :data:`CONTENT_HASH_MAX_BYTES`, else its modification time in nanoseconds. Content
    rather than mtime for small files: touching or copying unchanged data keeps the run id.
    Paths are not resolved: a file reached through a symbolic link (a linked ``features/``
    folder) is hashed by what it holds now. ``files`` are regular files the reader checked
    (:func:`.files.checked_file`); one that vanished or changed kind since is a UserError.
    """
    root = Path(root)
    entries = []
    for path in sorted({Path(p) for p in files}, key=lambda p: _relative(p, root)):
        try:  # O_NONBLOCK and a check of the open file: a pipe put there since never blocks
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode):
                    raise UserError(f"{path} is no longer a regular file; put the file there")
                if st.st_size <= CONTENT_HASH_MAX_BYTES:
                    stamp = "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()
                else:
                    stamp = f"mtime_ns:{st.st_mtime_ns}"
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
        entries.append([_relative(path, root), st.st_size, stamp])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def read_files_fingerprint(
    name: str, data_dir: str | Path | None, features: str | None = None
) -> str:
    """The short fingerprint (:data:`SHORT` hex digits) of the files dataset ``name`` reads
    under ``data_dir``; "" when it reads none (the demo is defined by its options) or when the
    folder or options are wrong in a way the loader or the run's checks name themselves."""
    from .registry import dataset_files

    files = dataset_files(name, data_dir, features)
    return "" if files is None else files_fingerprint(files.root, files.paths)[:SHORT]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def content_fingerprint(dataset: Dataset) -> str:
    """sha256 of everything in ``dataset`` that can change a number: its name, languages and
    feature kind, each split's clip ids, captions (and the teachers' own English), query count,
    features and masks."""
    import numpy as np

    h = hashlib.sha256()
    h.update(json.dumps([dataset.name, list(dataset.languages), dataset.feature_kind]).encode())
    for split in (dataset.train, dataset.test):
        h.update(json.dumps([list(split.clip_ids), split.n_queries]).encode())
        h.update(json.dumps(split.captions, sort_keys=True, ensure_ascii=False).encode())
        if split.teacher_english is not None:  # what teachers read changes what they learn
            h.update(json.dumps(split.teacher_english, ensure_ascii=False).encode())
        h.update(np.ascontiguousarray(split.features, dtype=np.float32).tobytes())
        h.update(np.ascontiguousarray(split.mask, dtype=bool).tobytes())
    return h.hexdigest()
