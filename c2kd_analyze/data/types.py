"""The one in-memory form every dataset reader produces."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Split:
    """One split of a dataset.

    ``captions[lang][i]`` holds the captions of clip ``i`` in ``lang``: a list, index-aligned
    across languages (caption ``j`` in German translates caption ``j`` in English). Training splits
    may hold several captions per clip, evaluation splits at most one per language.

    - ``None`` marks a clip that has no caption in that language (RUDDER, or an empty caption in
      an evaluation split): it is masked, never filled with another language.
    - ``""`` in a *training* list is a caption the release left empty; it stays in the list so
      caption ``j`` means the same sentence in every language, and the trainer leaves it out of
      the loss.

    ``clip_ids`` may repeat (the release has a few duplicate ids): evaluation averages the
    embeddings of clips with equal ids, as the original code does (``average_embeddings``).

    ``teacher_english[i]`` is clip ``i``'s English as the original's *teachers* read it,
    index-aligned with ``captions["en"][i]`` (``None`` where that is ``None``): YouCook2's plain
    ``caption`` field, and MSR-VTT's and VATEX's punctuation-stripped ``raw_text``. ``None`` for
    the whole split means "the same as ``captions["en"]``".
    """

    clip_ids: tuple[str, ...]
    features: np.ndarray  # (n_clips, T, D) float32, zero-padded frames
    mask: np.ndarray  # (n_clips, T) bool, True where a frame is real
    captions: dict[str, list[list[str] | None]]
    n_queries: int  # recall denominator: the number of test queries the benchmark counts
    teacher_english: list[list[str] | None] | None = None

    @property
    def n_clips(self) -> int:
        return len(self.clip_ids)

    @property
    def n_unique_clips(self) -> int:
        """Distinct clip ids: the clips evaluation scores once duplicates are averaged."""
        return len(set(self.clip_ids))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.captions)

    def teacher_captions(self) -> list[list[str] | None]:
        """The English the teachers read: ``teacher_english`` or, when unset, ``captions["en"]``."""
        if self.teacher_english is not None:
            return self.teacher_english
        return self.captions.get("en", [None] * self.n_clips)


@dataclass(frozen=True)
class Tolerated:
    """What a reader accepted instead of refusing, counted so ``datasets check`` can say so."""

    empty_train: int = 0  # empty training captions, kept as "" (left out of the loss)
    empty_test: int = 0  # empty evaluation captions, masked (None)
    duplicate_train: int = 0  # training clips whose id repeats an earlier clip's
    duplicate_test: int = 0  # test clips whose id repeats an earlier one (averaged at evaluation)
    extra_keys: tuple[str, ...] = ()  # caption keys outside the dataset's languages, ignored
    absent_languages: tuple[str, ...] = ()  # the dataset's languages no file holds, left out
    dropped_clips: int = 0  # YouCook2: items without '2d_full' left out, as the original does

    def lines(self) -> list[str]:
        """One plain sentence per thing tolerated; empty when there was nothing."""
        out = []
        if self.empty_train or self.empty_test:
            out.append(
                f"{self.empty_train + self.empty_test} empty captions: {self.empty_test} in test "
                f"masked, {self.empty_train} in train kept as empty strings and left out of the "
                "loss"
            )
        if self.duplicate_train or self.duplicate_test:
            out.append(
                f"{self.duplicate_train + self.duplicate_test} duplicate clip ids: "
                f"{self.duplicate_test} in test averaged at evaluation (as the original), "
                f"{self.duplicate_train} in train kept as separate clips"
            )
        if self.extra_keys:
            out.append(
                f"{len(self.extra_keys)} extra caption keys ignored ({', '.join(self.extra_keys)})"
            )
        if self.absent_languages:
            out.append(f"languages in no file, left out: {', '.join(self.absent_languages)}")
        if self.dropped_clips:
            out.append(
                f"{self.dropped_clips} clips without '2d_full' left out (as the original's "
                "YouCook2 loader)"
            )
        return out


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
    #: sha256 over the files the loader read (path, size, content or mtime); "" when generated
    source_fingerprint: str = ""
    tolerated: Tolerated = field(default_factory=Tolerated)
    #: training clips held out for validation by a run (``--val-fraction``); None: no validation
    #: (no reader sets it: :func:`c2kd_analyze.distill.validation.hold_out` does)
    val: Split | None = None

    @property
    def feature_dim(self) -> int:
        return int(self.train.features.shape[-1])
