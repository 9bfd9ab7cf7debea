"""The one in-memory form every dataset reader produces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Split:
    """One split of a dataset.

    ``captions[lang][i]`` holds the captions of clip ``i`` in ``lang``: a list, index-aligned
    across languages (caption ``j`` in German translates caption ``j`` in English). Training splits
    may hold several captions per clip, evaluation splits exactly one. ``None`` marks a clip that
    has no caption in that language (RUDDER): it is masked, never filled with another language.
    """

    clip_ids: tuple[str, ...]
    features: np.ndarray  # (n_clips, T, D) float32, zero-padded frames
    mask: np.ndarray  # (n_clips, T) bool, True where a frame is real
    captions: dict[str, list[list[str] | None]]
    n_queries: int  # recall denominator: the number of test queries the benchmark counts

    @property
    def n_clips(self) -> int:
        return len(self.clip_ids)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.captions)


@dataclass(frozen=True)
class Dataset:
    name: str
    languages: tuple[str, ...]  # ISO 639-1, English first
    train: Split
    test: Split
    feature_kind: str  # "clip" (512-d), "s3d" (1024-d), "synthetic", "user"
    synthetic: bool = False
    source: str = ""  # folder or generator that produced it
    info: dict[str, str] = field(default_factory=dict)

    @property
    def feature_dim(self) -> int:
        return int(self.train.features.shape[-1])
