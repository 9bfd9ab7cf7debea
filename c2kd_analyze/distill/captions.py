"""Captions of a split flattened per language, and the deterministic order of training batches.

A :class:`CaptionTable` lists every caption of one language in one split in clip order, so the
encoder outputs of that language are one (n_texts, D) array and caption ``j`` of clip ``i`` is row
``start[i] + j``. Captions are index-aligned across languages (the dataset contract), so one
caption index per clip selects a parallel caption in every language, as the original samples
``cap_idx`` once per item and uses it for all languages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.types import Split


@dataclass(frozen=True)
class CaptionTable:
    """One language of one split: ``texts[start[i] : start[i] + count[i]]`` are clip i's captions.

    ``count[i] == 0`` marks a clip without a caption in this language (masked, never filled); an
    empty caption (``""``, kept in a training list so caption j means the same sentence in every
    language) is a row whose ``empty`` flag is set, masked the same way.
    """

    lang: str
    texts: tuple[str, ...]
    start: np.ndarray  # (n_clips,) int64
    count: np.ndarray  # (n_clips,) int64
    empty: np.ndarray  # (n_texts,) bool: the caption is empty (masked)

    @classmethod
    def from_captions(cls, lang: str, captions: list[list[str] | None]) -> CaptionTable:
        texts: list[str] = []
        start = np.zeros(len(captions), dtype=np.int64)
        count = np.zeros(len(captions), dtype=np.int64)
        for i, caps in enumerate(captions):
            start[i] = len(texts)
            if caps:
                texts.extend(caps)
                count[i] = len(caps)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        return cls(lang=lang, texts=tuple(texts), start=start, count=count, empty=empty)

    @classmethod
    def from_split(cls, split: Split, lang: str) -> CaptionTable:
        return cls.from_captions(lang, split.captions[lang])

    def rows(self, clips: np.ndarray, cap_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of caption ``cap_idx[b]`` of clip ``clips[b]``: (rows (B,), valid (B,) bool).

        A row is invalid (and its value meaningless) where the clip lacks that caption or the
        caption is empty.
        """
        present = cap_idx < self.count[clips]
        rows = np.where(present, self.start[clips] + cap_idx, 0)
        valid = present & ~self.empty[rows] if self.empty.size else present
        return rows, valid


def caption_tables(split: Split, languages: tuple[str, ...]) -> dict[str, CaptionTable]:
    """The students' captions of ``split``, one table per language."""
    return {lang: CaptionTable.from_split(split, lang) for lang in languages}


def teacher_tables(split: Split, languages: tuple[str, ...]) -> dict[str, CaptionTable]:
    """The teachers' captions: as the students', but English as the original's teachers read it
    (``Split.teacher_captions``: e.g. YouCook2's plain ``caption`` field), row-aligned with the
    students' English table."""
    tables = caption_tables(split, languages)
    if split.teacher_english is not None:
        tables["en"] = CaptionTable.from_captions("en", split.teacher_captions())
    return tables


def sample_caption_indices(tables: dict[str, CaptionTable], rng: np.random.Generator) -> np.ndarray:
    """One caption index per clip, uniform over the clip's captions: (n_clips,) int64.

    The number of captions of a clip is its largest count over languages (index-aligned lists).
    """
    counts = np.max(np.stack([t.count for t in tables.values()]), axis=0)
    return np.floor(rng.random(counts.shape[0]) * np.maximum(counts, 1)).astype(np.int64)


def epoch_batches(n_clips: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A shuffled epoch as batches of clip indices, last partial batch dropped (as the original).

    A split smaller than ``batch_size`` gives one batch of all its clips, so tiny data still trains.
    """
    order = rng.permutation(n_clips)
    size = min(batch_size, n_clips)
    n_batches = n_clips // size
    return [order[i * size : (i + 1) * size] for i in range(n_batches)]
