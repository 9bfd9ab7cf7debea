"""`datasets check`: load a dataset, validate it, and summarise what a run would see.

It accepts exactly what ``run`` accepts: ``load_dataset`` ends with :func:`.usable.check_usable`,
the one test of a usable dataset, which ``run`` calls too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .registry import load_dataset
from .types import Dataset, Split
from .usable import check_usable

__all__ = ["DatasetReport", "check_dataset", "check_usable"]


@dataclass(frozen=True)
class LanguageSummary:
    lang: str
    train_clips: int  # clips with at least one caption in this language
    test_clips: int
    captions_per_clip: float  # mean over train clips that have the language
    mean_words: float  # mean caption length in words (characters / 2 for zh and ja)


@dataclass(frozen=True)
class SplitSummary:
    name: str
    n_clips: int
    n_queries: int  # recall denominator
    frames_min: int
    frames_mean: float
    frames_max: int


@dataclass(frozen=True)
class DatasetReport:
    name: str
    description: str
    synthetic: bool
    source: str
    feature_kind: str
    feature_shape: tuple[int, int]  # (max frames, dim)
    languages: tuple[LanguageSummary, ...]
    splits: tuple[SplitSummary, ...]
    problems: tuple[str, ...]  # warnings: the dataset is usable, but look at these
    tolerated: tuple[str, ...] = ()  # what the reader accepted instead of refusing, counted
    fingerprint: str = ""  # of the files read; "" for generated data

    def lines(self) -> list[str]:
        """Plain-text report, one fact per line."""
        tag = " [SYNTHETIC]" if self.synthetic else ""
        out = [f"dataset: {self.name}{tag}", f"  {self.description}", f"  source: {self.source}"]
        t, d = self.feature_shape
        if self.fingerprint:
            out.append(f"  files fingerprint: {self.fingerprint[:16]}")
        out.append(f"features: {self.feature_kind}, up to {t} frames x {d} dims (float32)")
        for s in self.splits:
            denom = f", recall over {s.n_queries} queries" if s.n_queries != s.n_clips else ""
            out.append(
                f"{s.name}: {s.n_clips} clips{denom}; frames per clip "
                f"{s.frames_min}-{s.frames_max} (mean {s.frames_mean:.1f})"
            )
        out.append(
            f"languages ({len(self.languages)}): " + ", ".join(x.lang for x in self.languages)
        )
        for x in self.languages:
            out.append(
                f"  {x.lang}: train {x.train_clips} clips x {x.captions_per_clip:.2f} captions, "
                f"test {x.test_clips} clips, {x.mean_words:.1f} words per caption"
            )
        out += [f"tolerated: {t}" for t in self.tolerated] or ["tolerated: nothing"]
        out += [f"problem: {p}" for p in self.problems] or ["problems: none"]
        return out


def _words(text: str, lang: str) -> float:
    return len(text) / 2 if lang in ("zh", "ja") else len(text.split())


def _language(ds: Dataset, lang: str) -> LanguageSummary:
    train = [c for c in ds.train.captions.get(lang, []) if c and any(c)]
    test = [c for c in ds.test.captions.get(lang, []) if c]
    texts = [t for caps in train + test for t in caps]
    return LanguageSummary(
        lang=lang,
        train_clips=len(train),
        test_clips=len(test),
        captions_per_clip=float(np.mean([len(c) for c in train])) if train else 0.0,
        mean_words=float(np.mean([_words(t, lang) for t in texts])) if texts else 0.0,
    )


def _split(name: str, split: Split) -> SplitSummary:
    frames = split.mask.sum(axis=1)
    return SplitSummary(
        name, split.n_clips, split.n_queries, int(frames.min()), float(frames.mean()),
        int(frames.max()),
    )  # fmt: skip


def _problems(ds: Dataset, langs: tuple[LanguageSummary, ...]) -> list[str]:
    out = []
    for name, split in (("train", ds.train), ("test", ds.test)):
        empty = int((split.mask.sum(axis=1) == 0).sum())
        if empty:
            out.append(f"{name}: {empty} clips have no frames (the model sees only a mask token)")
        if split.n_queries > split.n_clips:
            out.append(
                f"{name}: {split.n_queries - split.n_clips} of {split.n_queries} benchmark items "
                "are missing from the files; they count as misses in recall"
            )
    for x in langs:
        for split_name, n, total in (("train", x.train_clips, ds.train.n_clips),
                                     ("test", x.test_clips, ds.test.n_clips)):  # fmt: skip
            if 0 < n < total:
                out.append(
                    f"{x.lang}: {total - n} of {total} {split_name} clips have no caption "
                    "(masked, not filled from another language)"
                )
        if x.lang != "en" and "en" in ds.test.captions:
            same = sum(
                a is not None and b is not None and a == b
                for a, b in zip(ds.test.captions[x.lang], ds.test.captions["en"], strict=True)
            )
            if same > 0.5 * max(x.test_clips, 1):
                out.append(f"{x.lang}: {same} test captions are identical to English")
    return out


def check_dataset(
    name: str = "demo",
    *,
    data_dir: str | Path | None = None,
    features: str | None = None,
    **options: Any,
) -> DatasetReport:
    """Load and validate a dataset (UserError, one line, if ``run`` would refuse it) and
    summarise it. ``options`` are the dataset's options (strings or typed values)."""
    ds = load_dataset(name, data_dir=data_dir, features=features, **options)
    langs = tuple(_language(ds, lang) for lang in ds.languages)
    return DatasetReport(
        name=ds.name,
        description=ds.info.get("description", ""),
        synthetic=ds.synthetic,
        source=ds.source,
        feature_kind=ds.feature_kind,
        feature_shape=(int(ds.train.features.shape[1]), ds.feature_dim),
        languages=langs,
        splits=(_split("train", ds.train), _split("test", ds.test)),
        problems=tuple(_problems(ds, langs)),
        tolerated=tuple(ds.tolerated.lines()),
        fingerprint=ds.source_fingerprint,
    )
