"""The validation split: a fixed share of the training clips, held out (``--val-fraction``).

Which clips are held out depends on the training clip ids and the fraction only (never on a
teacher, a system or a seed): the distinct ids, sorted, are shuffled by one permutation drawn with
:data:`VAL_SEED`, and the first ``round(F * n)`` of them are held out. So every cell of a run, and
every teacher it trains, sees the same training clips and is validated on the same held-out ones;
a rerun holds out the same clips; and a smaller fraction holds out a subset of a larger one's.
Clips that share an id go together (evaluation averages them into one item, as on test).

The held-out clips become an evaluation split: each clip's first caption in every language (the
captions stay parallel), an empty one masked as on test. Test clips are never touched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..data.types import Dataset, Split
from ..errors import UserError

#: the permutation's seed: fixed, so the held-out clips are a property of the data and F
VAL_SEED = 0
#: the fewest clips a validation split may hold (one clip retrieves itself by default)
MIN_VAL_CLIPS = 2


def held_out_ids(clip_ids: tuple[str, ...], fraction: float) -> frozenset[str]:
    """The ids held out of ``clip_ids`` (training, duplicates allowed) at ``fraction``.

    >>> sorted(held_out_ids(tuple("abcdefghij"), 0.3))
    ['c', 'e', 'g']
    >>> held_out_ids(tuple("abcdefghij"), 0.1) <= held_out_ids(tuple("abcdefghij"), 0.3)
    True
    """
    distinct = sorted(set(clip_ids))
    order = np.random.default_rng(VAL_SEED).permutation(len(distinct))
    n = round(fraction * len(distinct))
    return frozenset(distinct[i] for i in order[:n])


def subset_split(split: Split, clips: np.ndarray) -> Split:
    """The clips ``clips`` (indices, in order) of ``split``, with all their captions."""
    return Split(
        clip_ids=tuple(split.clip_ids[i] for i in clips),
        features=split.features[clips],
        mask=split.mask[clips],
        captions={lang: [caps[i] for i in clips] for lang, caps in split.captions.items()},
        n_queries=len(clips),
        teacher_english=(
            None if split.teacher_english is None else [split.teacher_english[i] for i in clips]
        ),
    )


def _first(caps: list[str] | None) -> list[str] | None:
    """A clip's first caption as an evaluation split holds it (None: none, or empty)."""
    return [caps[0]] if caps and caps[0].strip() else None


def as_evaluation_split(split: Split) -> Split:
    """``split`` with one caption per clip and language (caption 0, parallel across languages);
    its recall denominator is its distinct clips (duplicates are averaged into one item)."""
    captions = {lang: [_first(c) for c in caps] for lang, caps in split.captions.items()}
    english = split.teacher_english
    return replace(
        split,
        captions=captions,
        teacher_english=None if english is None else [_first(c) for c in english],
        n_queries=split.n_unique_clips,
    )


def hold_out(dataset: Dataset, fraction: float, batch_size: int) -> Dataset:
    """``dataset`` with ``fraction`` of its training clips moved to ``dataset.val`` (unchanged at
    0). UserError when too few clips would be held out, or too few left to fill a batch."""
    if fraction == 0:
        return dataset
    train = dataset.train
    ids = held_out_ids(train.clip_ids, fraction)
    held = np.array([c in ids for c in train.clip_ids], dtype=bool)
    n_distinct = train.n_unique_clips
    if len(ids) < MIN_VAL_CLIPS:
        raise UserError(
            f"--val-fraction {fraction:g} holds out {len(ids)} of the {n_distinct} training "
            f"clips; validation needs at least {MIN_VAL_CLIPS}: raise --val-fraction"
        )
    kept = int((~held).sum())
    if kept < batch_size:
        raise UserError(
            f"--val-fraction {fraction:g} leaves {kept} training clips, fewer than --batch-size "
            f"{batch_size}; lower --val-fraction or --batch-size"
        )
    val = as_evaluation_split(subset_split(train, np.flatnonzero(held)))
    return replace(dataset, train=subset_split(train, np.flatnonzero(~held)), val=val)


def validation_record(dataset: Dataset, cfg: Any) -> dict[str, Any]:
    """What config.json says about validation (``cfg``: the run's RunConfig): the fraction, the
    permutation's seed, whether an epoch is selected, and the held-out clip ids."""
    if dataset.val is None:
        return {"fraction": 0.0}
    return {
        "fraction": cfg.val_fraction,
        "seed": VAL_SEED,
        "select_on_val": cfg.select_on_val,
        "n_clips": dataset.val.n_unique_clips,
        "n_train_clips": dataset.train.n_unique_clips,
        "clip_ids": sorted(set(dataset.val.clip_ids)),
    }
