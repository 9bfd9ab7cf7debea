"""A content-addressed cache of translations: each caption is translated once per model and
direction, ever.

Layout: ``<cache_dir>/translations/<key>/`` per (model id and revision, direction, beams,
length policy, precision), holding immutable ``shard-*.parquet`` files (``digest``: sha256 of
the source text, ``translation``), each written atomically with a checksum
(:mod:`c2kd_analyze.io`) while a translation runs: a killed translation resumes from its last
shard, and a corrupt shard is logged, ignored and translated again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from pathlib import Path

from ... import io
from ...paths import cache_dir

log = logging.getLogger(__name__)

#: More shards than this in one folder are merged into one when the cache is opened.
MAX_SHARDS = 64


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TranslationCache:
    """The translations of one model and direction: ``get`` what is known, ``add`` new ones."""

    def __init__(self, key: dict) -> None:
        self.key = key
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
        self.folder: Path = cache_dir() / "translations" / digest
        self.known: dict[str, str] = {}
        self._shards = sorted(self.folder.glob("shard-*.parquet")) if self.folder.is_dir() else []
        for path in self._shards:
            self._read(path)
        if len(self._shards) > MAX_SHARDS:
            self._compact()

    def _read(self, path: Path) -> None:
        try:
            frame = io.read_parquet(path)
        except FileNotFoundError:  # an unfinished write: its texts are translated again
            return
        except io.CorruptFileError as exc:
            log.warning("translation cache: ignoring %s (%s)", path.name, exc)
            return
        if {"digest", "translation"} <= set(frame.columns):
            digests, texts = frame["digest"].to_list(), frame["translation"].to_list()
            self.known.update(zip(digests, texts, strict=True))

    def get(self, text: str) -> str | None:
        return self.known.get(text_digest(text))

    def add(self, translations: dict[str, str]) -> None:
        """Store ``{source text: translation}`` as one new shard."""
        if not translations:
            return
        rows = {text_digest(t): out for t, out in translations.items()}
        self._write(rows)
        self.known.update(rows)

    def _write(self, rows: dict[str, str]) -> Path:
        import polars as pl

        if not (self.folder / "meta.json").exists():
            io.write_json(self.folder / "meta.json", self.key)
        name = f"shard-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        frame = pl.DataFrame(
            {"digest": list(rows), "translation": list(rows.values())},
            schema={"digest": pl.String, "translation": pl.String},
        )
        io.write_parquet(self.folder / name, frame)
        return self.folder / name

    def _compact(self) -> None:
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(self.folder / ".compact.lock"), timeout=0):
                merged = self._write(dict(self.known))
                for path in self._shards:
                    io.remove(path)
                self._shards = [merged]
        except Timeout:  # another process is merging: leave it to that one
            return
