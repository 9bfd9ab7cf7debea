"""The one notion of a usable dataset: what `datasets check` accepts is exactly what `run` accepts.

:func:`check_usable` refuses only what cannot be trained on or scored: no English (teachers read
English and the zero-shot baseline trains on it), fewer than 2 train or 2 distinct test clips,
features of the wrong shape or with NaN/inf, features identical for every clip (every score
would tie, and optimistic tie-breaking would report 100 % recall), or a language without a single
test caption. Everything else a reader tolerated (empty captions, duplicate ids, extra keys) is
counted in ``Dataset.tolerated`` and reported, not refused.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from .types import Dataset, Split

MIN_TRAIN_CLIPS = 2
MIN_TEST_CLIPS = 2
_CHUNK = 512  # clips compared at a time when looking for constant features


def check_usable(dataset: Dataset) -> None:
    """Raise UserError (one line naming the dataset's source and what to do) unless ``dataset``
    can be trained on and evaluated. Cheap next to loading: one pass over the features."""
    where = dataset.source or dataset.name
    if "en" not in dataset.languages:
        raise UserError(
            f"{where}: dataset {dataset.name!r} has no English captions; teachers read English "
            "and the zero-shot baseline trains on it, so C2KD needs them"
        )
    if not any(_texts(dataset.train.captions["en"])):
        raise UserError(
            f"{where}: dataset {dataset.name!r} has no non-empty English training caption; "
            "teachers and the zero-shot baseline train on English"
        )
    n_train, n_test = dataset.train.n_clips, dataset.test.n_unique_clips
    if n_train < MIN_TRAIN_CLIPS or n_test < MIN_TEST_CLIPS:
        raise UserError(
            f"{where}: dataset {dataset.name!r} has {n_train} train and {n_test} distinct test "
            f"clips; it needs at least {MIN_TRAIN_CLIPS} train and {MIN_TEST_CLIPS} test clips"
        )
    for name, split in (("train", dataset.train), ("test", dataset.test)):
        _check_features(split, name, where)
    if dataset.train.features.shape[-1] != dataset.test.features.shape[-1]:
        raise UserError(
            f"{where}: train features are {dataset.train.features.shape[-1]}-d but test features "
            f"are {dataset.test.features.shape[-1]}-d; use features from one extractor"
        )
    for lang in dataset.languages:
        if not any(c is not None for c in dataset.test.captions.get(lang, [])):
            raise UserError(
                f"{where}: language {lang!r} has no test captions; add them or drop the language"
            )


def _texts(per_clip: list[list[str] | None]):
    return (t for caps in per_clip if caps for t in caps if t)


def _check_features(split: Split, name: str, where: str) -> None:
    f, m = split.features, split.mask
    if f.ndim != 3 or m.shape != f.shape[:2] or f.shape[0] != split.n_clips:
        raise UserError(
            f"{where}: {name} features have shape {f.shape} and mask {m.shape} for "
            f"{split.n_clips} clips; expected (clips, frames, dim) and (clips, frames)"
        )
    if not all(np.isfinite(f[i : i + _CHUNK]).all() for i in range(0, len(f), _CHUNK)):
        raise UserError(f"{where}: {name} features hold NaN or inf values; re-extract them")
    if constant_features(f, m):
        raise UserError(
            f"{where}: every {name} clip has the same features, so every clip would score the "
            "same and recall would be meaningless (a tie counts as a hit); re-extract the features"
        )


def constant_features(features: np.ndarray, mask: np.ndarray) -> bool:
    """True when every clip has the same frames and mask as clip 0 (a video tower would give
    every clip one embedding). Stops at the first clip that differs, so real data costs little.

    >>> x = np.ones((3, 2, 4), np.float32); m = np.ones((3, 2), bool)
    >>> constant_features(x, m), constant_features(np.arange(24.0).reshape(3, 2, 4), m)
    (True, False)
    """
    if len(features) < 2:
        return False
    ref, ref_mask = features[0], mask[0]
    for i in range(1, len(features), _CHUNK):
        chunk = slice(i, i + _CHUNK)
        if not ((mask[chunk] == ref_mask).all() and (features[chunk] == ref).all()):
            return False
    return True
