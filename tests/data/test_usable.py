"""One notion of a usable dataset: `check_usable`, called by `load_dataset` (so `datasets check`)
and by `run`; each refusal is one line."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from c2kd_analyze.data import Dataset, Split, check_usable
from c2kd_analyze.data.usable import constant_features
from c2kd_analyze.errors import UserError


def _split(n: int, langs=("en", "de"), seed: int = 0, ids=None) -> Split:
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((n, 3, 8)).astype(np.float32)
    caps = {lang: [[f"{lang} {i}"] for i in range(n)] for lang in langs}
    ids = tuple(ids or (f"c{seed}_{i}" for i in range(n)))
    return Split(ids, feats, np.ones((n, 3), bool), caps, n_queries=n)


def _dataset(train: Split | None = None, test: Split | None = None, langs=("en", "de")) -> Dataset:
    train = train or _split(4, langs)
    test = test or _split(3, langs, seed=1)
    return Dataset("tiny", langs, train, test, "user", source="/data/tiny")


def _refusal(ds: Dataset) -> str:
    with pytest.raises(UserError) as exc:
        check_usable(ds)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("/data/tiny: ")
    return msg


def test_a_plain_dataset_is_usable():
    check_usable(_dataset())


def test_no_english():
    msg = _refusal(_dataset(langs=("de", "fr")))
    assert "has no English captions" in msg


def test_english_only_empty_in_training():
    train = _split(4)
    train.captions["en"][:] = [[""]] * 2 + [None] * 2
    assert "no non-empty English training caption" in _refusal(_dataset(train=train))


@pytest.mark.parametrize(
    "n_train,test_ids,expected",
    [(1, None, "has 1 train and 3 distinct test clips"),
     (4, ("a",), "has 4 train and 1 distinct test clips"),
     (4, ("a", "a", "a"), "has 4 train and 1 distinct test clips")],
)  # fmt: skip
def test_too_few_clips(n_train, test_ids, expected):
    test = _split(len(test_ids or "abc"), seed=1, ids=test_ids)
    msg = _refusal(_dataset(train=_split(n_train), test=test))
    assert expected in msg and "needs at least 2 train and 2 test clips" in msg


def test_nan_features():
    test = _split(3, seed=1)
    test.features[2, 1, 0] = np.nan
    assert "test features hold NaN or inf values" in _refusal(_dataset(test=test))


@pytest.mark.parametrize("split", ["train", "test"])
def test_constant_features(split):
    s = _split(4)
    s.features[:] = s.features[0]
    ds = _dataset(**{split: s})
    assert f"every {split} clip has the same features" in _refusal(ds)


def test_feature_size_differs_between_splits():
    test = _split(3, seed=1)
    test = replace(test, features=np.ones((3, 3, 5), np.float32) * np.arange(3)[:, None, None])
    assert "train features are 8-d but test features are 5-d" in _refusal(_dataset(test=test))


def test_language_without_test_captions():
    test = _split(3, seed=1)
    test.captions["de"][:] = [None] * 3
    assert "language 'de' has no test captions" in _refusal(_dataset(test=test))


def test_constant_features_detector():
    x = np.random.default_rng(0).standard_normal((1500, 4, 3)).astype(np.float32)
    m = np.ones((1500, 4), bool)
    assert not constant_features(x, m)
    same = np.broadcast_to(x[0], x.shape).copy()
    assert constant_features(same, m)
    same[1400, 2, 1] += 1e-3  # one clip in a later chunk differs
    assert not constant_features(same, m)
    m2 = m.copy()
    m2[700, 3] = False  # same frames, a different mask: not constant
    assert not constant_features(np.broadcast_to(x[0], x.shape), m2)
    assert not constant_features(x[:1], m[:1])  # a single clip cannot tie with another
