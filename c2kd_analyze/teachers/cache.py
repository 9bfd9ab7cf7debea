"""A content-addressed on-disk cache of pooled text embeddings: encode each text once, ever.

Layout: ``<cache_dir>/embeddings/<key>/`` per encoder, where ``key`` hashes what determines a
vector (model id and revision, backend, pooling, max tokens, normalisation, query prompt, dim).
Inside, ``meta.json`` says what the key stands for, and immutable shard files ``shard-*.npz`` hold
``digests`` (n, 32) uint8 -- sha256 of each text -- and ``vectors`` (n, dim) float32.

Why shards: a shard is written once, atomically and with a checksum (:mod:`c2kd_analyze.io`), and
never modified, so two processes writing at once each add their own shard, and a process killed
mid-write leaves a temporary file or a shard without its checksum, which readers skip. A shard
that fails its checksum (or holds the wrong arrays) is damaged: it is removed with one warning
and its texts are encoded again, so the cache heals instead of warning on every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import io
from ..errors import UserError
from ..paths import cache_dir

if TYPE_CHECKING:
    import numpy as np

    from .spec import TextEncoder

log = logging.getLogger(__name__)

#: More shards than this in one folder are merged into one (reads stay one file per run).
MAX_SHARDS = 32


def encoder_key(encoder: TextEncoder) -> dict:
    """Everything that determines an encoder's vectors for a given text."""
    spec = getattr(encoder, "spec", None)
    backend = getattr(spec, "backend", type(encoder).__name__)
    pooling = getattr(spec, "pooling", "")
    if backend == "hf-pooled" and pooling == "mean":
        # Its name before the rename: vectors cached by older versions stay valid.
        backend = "hf-mean-pooled"
    key = {
        "model_id": encoder.model_id,
        "backend": backend,
        "pooling": pooling,
        "max_tokens": getattr(spec, "max_tokens", 0),
        "normalize": getattr(spec, "normalize", True),
        "prefix": getattr(spec, "query_prompt", ""),  # the text put before every caption
        "dim": int(encoder.dim),
    }
    precision = getattr(encoder, "precision", "fp32")
    if precision != "fp32":  # autocast changes the vectors; fp32 keys stay as they always were
        key["precision"] = precision
    return key


def encoder_folder(encoder: TextEncoder) -> Path:
    key = encoder_key(encoder)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return cache_dir() / "embeddings" / digest


def text_digests(texts: list[str]) -> list[bytes]:
    """sha256 of each text's UTF-8 bytes: the content address of its vector."""
    return [hashlib.sha256(t.encode("utf-8")).digest() for t in texts]


@dataclass
class _Index:
    """The vectors of every shard read so far, for one encoder folder."""

    shards: set[str] = field(default_factory=set)
    rows: dict[bytes, int] = field(default_factory=dict)  # digest -> row in blocks (concatenated)
    blocks: list[np.ndarray] = field(default_factory=list)
    n_rows: int = 0

    def add(self, digests: np.ndarray, vectors: np.ndarray) -> None:
        base = self.n_rows
        for i, d in enumerate(digests):
            self.rows.setdefault(bytes(d), base + i)
        self.blocks.append(vectors)
        self.n_rows += len(vectors)

    def matrix(self) -> np.ndarray:
        import numpy as np

        if len(self.blocks) > 1:  # concatenate once; later reads reuse it
            self.blocks = [np.concatenate(self.blocks)]
        return self.blocks[0]


_INDEXES: dict[Path, _Index] = {}
_LOCK = threading.Lock()


def _read_shard(path: Path, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The shard's (digests, vectors); None for one that is unfinished, or damaged (then it is
    removed, with one warning: the next run neither reads nor mentions it again)."""
    try:
        arrays = io.read_npz(path)
    except FileNotFoundError:  # an unfinished write (no checksum yet) or merged away meanwhile
        return None
    except io.CorruptFileError as exc:
        _heal(path, "it fails its checksum" if "checksum" in str(exc) else "not a readable .npz")
        return None
    except OSError as exc:  # not a file at all (a folder): nothing this cache wrote
        why = "a folder" if path.is_dir() else (exc.strerror or "unreadable")
        log.warning(
            "embedding cache: ignoring %s (%s); remove it: the cache only holds files", path, why
        )
        return None
    digests, vectors = arrays.get("digests"), arrays.get("vectors")
    if (
        digests is None
        or vectors is None
        or vectors.shape[1:] != (dim,)
        or len(digests) != len(vectors)
    ):
        _heal(path, "unexpected contents")
        return None
    return digests, vectors


def _heal(path: Path, why: str) -> None:
    """Remove a damaged shard (its texts are encoded again and cached in a new one)."""
    try:
        io.remove(path)
    except UserError:  # a read-only cache: say so once per process, keep working without it
        log.warning("embedding cache: ignoring damaged %s (%s); cannot remove it", path, why)
        return
    log.warning("embedding cache: removed damaged %s (%s); its texts are encoded again", path, why)


def _load_index(folder: Path, dim: int) -> _Index:
    """Read the shards this process has not seen yet (all of them on a cold start)."""
    index = _INDEXES.setdefault(folder, _Index())
    names = {p.name for p in folder.glob("shard-*.npz")} if folder.is_dir() else set()
    for name in sorted(names - index.shards):
        shard = _read_shard(folder / name, dim)
        if shard is not None:
            index.add(*shard)
        index.shards.add(name)
    return index


def _write_shard(folder: Path, key: dict, digests: list[bytes], vectors: np.ndarray) -> str:
    import numpy as np

    if not (folder / "meta.json").exists():
        io.write_json(folder / "meta.json", key)
    name = f"shard-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.npz"
    packed = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 32)
    io.write_npz(folder / name, digests=packed, vectors=vectors)
    return name


def _compact(folder: Path, index: _Index, key: dict) -> None:
    """Merge every shard into one (skipped when another process is already merging)."""
    import numpy as np
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(folder / ".compact.lock"), timeout=0):
            on_disk = {p.name for p in folder.glob("shard-*.npz")}
            digests = sorted(index.rows)
            vectors = index.matrix()[np.fromiter((index.rows[d] for d in digests), dtype=np.int64)]
            merged = _write_shard(folder, key, digests, vectors)
            for name in on_disk & index.shards:  # only shards whose rows the merged one now holds
                io.remove(folder / name)
            index.shards = (index.shards - on_disk) | {merged}
    except Timeout:
        return


def encode_cached(
    encoder: TextEncoder,
    texts: list[str],
    *,
    batch_size: int | None = None,
    progress: bool = True,
) -> np.ndarray:
    """Like ``encoder.encode(texts)`` -> float32 (n_texts, dim), but each distinct text is encoded
    at most once per encoder, ever: hits come from the on-disk cache, misses are encoded (deduped)
    and added to it as one new shard."""
    import numpy as np

    texts = list(texts)
    dim = int(encoder.dim)
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    folder = encoder_folder(encoder)
    digests = text_digests(texts)
    with _LOCK:
        index = _load_index(folder, dim)
        missing = {d: t for d, t in zip(digests, texts, strict=True) if d not in index.rows}
    fresh: dict[bytes, np.ndarray] = {}
    if missing:
        log.info(
            "embedding cache: %d hits, encoding %d texts", len(texts) - len(missing), len(missing)
        )
        vectors = np.asarray(
            encoder.encode(list(missing.values()), batch_size=batch_size, progress=progress),
            np.float32,
        )
        if vectors.shape != (len(missing), dim):
            raise ValueError(
                f"{encoder.model_id} returned {vectors.shape}, expected {(len(missing), dim)}"
            )
        ok = np.asarray(np.isfinite(vectors).all(axis=1))
        if not ok.all():  # never store a NaN: it would poison every later run
            log.warning(
                "embedding cache: %d non-finite vectors from %s not cached",
                (~ok).sum(),
                encoder.model_id,
            )
            fresh = {
                d: v for d, v, good in zip(missing, vectors, ok.tolist(), strict=True) if not good
            }
        keep = [d for d, good in zip(missing, ok.tolist(), strict=True) if good]
        if keep:
            with _LOCK:
                name = _write_shard(folder, encoder_key(encoder), keep, vectors[ok])
                index.add(np.frombuffer(b"".join(keep), np.uint8).reshape(-1, 32), vectors[ok])
                index.shards.add(name)
                if len(index.shards) > MAX_SHARDS:
                    _compact(folder, index, encoder_key(encoder))
    with _LOCK:
        matrix = index.matrix() if index.n_rows else np.zeros((0, dim), np.float32)
        rows = np.fromiter(
            (index.rows.get(d, -1) for d in digests), dtype=np.int64, count=len(texts)
        )
    out = matrix[np.maximum(rows, 0)] if len(matrix) else np.zeros((len(texts), dim), np.float32)
    for i in np.flatnonzero(rows < 0):
        out[i] = fresh[digests[i]]
    return out


def forget_in_memory() -> None:
    """Drop this process's in-memory indexes (the next call reads the shards from disk again)."""
    with _LOCK:
        _INDEXES.clear()
