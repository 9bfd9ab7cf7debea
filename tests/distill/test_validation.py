"""The validation split (distill.holdout) and validation after every epoch (distill.validation),
on in-memory data: the held-out clips, the per-epoch numbers against a naive evaluation of that
epoch's model, the selected epoch, and the config fields that turn it on."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from test_train import _frozen, _model, _recipe
from tiny_data import tiny_dataset

from c2kd_analyze.config import build_config
from c2kd_analyze.config.schema import NOT_HASHED
from c2kd_analyze.distill.holdout import held_out_ids, hold_out, subset_split
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import train_model
from c2kd_analyze.distill.validation import Validator, best_epoch, mean_r1
from c2kd_analyze.errors import UserError

LANGS = ("en", "de", "fr")


# the held-out clips ------------------------------------------------------------------------


def test_held_out_clips_are_disjoint_from_training_and_test_and_keep_their_data():
    ds = tiny_dataset(n_train=96, n_test=40, missing_lang="fr")
    split = hold_out(ds, 0.25, batch_size=16)
    val, train = split.val, split.train
    assert val is not None and split.test is ds.test  # test clips are never touched
    assert len(val.clip_ids) == 24 and len(train.clip_ids) == 72
    assert set(val.clip_ids).isdisjoint(train.clip_ids)
    assert set(val.clip_ids) | set(train.clip_ids) == set(ds.train.clip_ids)
    index = {c: i for i, c in enumerate(ds.train.clip_ids)}
    for j, clip in enumerate(val.clip_ids):  # each clip's frames, and its first caption
        i = index[clip]
        np.testing.assert_array_equal(val.features[j], ds.train.features[i])
        for lang in LANGS:
            caps = ds.train.captions[lang][i]
            assert val.captions[lang][j] == (None if caps is None else caps[:1])
    for j, clip in enumerate(train.clip_ids):  # training keeps every caption of its clips
        assert train.captions["en"][j] == ds.train.captions["en"][index[clip]]
    assert val.n_queries == 24


def test_the_same_clips_whatever_the_order_of_the_file_and_on_every_call():
    ds = tiny_dataset(n_train=60)
    first = set(hold_out(ds, 0.2, 16).val.clip_ids)
    assert set(hold_out(ds, 0.2, 16).val.clip_ids) == first
    order = np.random.default_rng(3).permutation(60)
    shuffled = replace(ds, train=subset_split(ds.train, order))
    assert set(hold_out(shuffled, 0.2, 16).val.clip_ids) == first


def test_clips_sharing_an_id_are_held_out_together():
    ds = tiny_dataset(n_train=40)
    ids = tuple(f"clip{i // 2}" for i in range(40))  # 20 ids, each twice
    ds = replace(ds, train=replace(ds.train, clip_ids=ids))
    split = hold_out(ds, 0.5, 4)
    assert set(split.val.clip_ids).isdisjoint(split.train.clip_ids)
    assert len(split.val.clip_ids) == 20 and split.val.n_queries == 10  # averaged into 10 items


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    small=st.floats(0.0, 0.99, allow_nan=False),
    large=st.floats(0.0, 0.99, allow_nan=False),
)
def test_held_out_ids_count_and_nest(n, small, large):
    small, large = sorted((small, large))
    ids = tuple(f"c{i}" for i in range(n))
    a, b = held_out_ids(ids, small), held_out_ids(ids, large)
    assert len(a) == round(small * n) and len(b) == round(large * n)
    assert a <= b  # a smaller fraction holds out a subset of a larger one's


def test_zero_holds_out_nothing_and_bad_fractions_are_user_errors():
    ds = tiny_dataset(n_train=48)
    assert hold_out(ds, 0.0, 16) is ds and ds.val is None
    with pytest.raises(UserError, match=r"--val-fraction 0.01 holds out 0 of the 48 .* at least 2"):
        hold_out(ds, 0.01, 16)
    with pytest.raises(UserError, match=r"leaves 5 training clips, fewer than --batch-size 16"):
        hold_out(ds, 0.9, 16)


# validation after every epoch ----------------------------------------------------------------


def _naive_t2v(model, texts, frames, mask, lang) -> dict[int, float]:
    """R@1/5/10 by hand: each clip with a caption in ``lang`` queries all clips; its rank is 1 +
    the clips scoring strictly higher than its own (the optimistic tie policy)."""
    with torch.no_grad():
        video = F.normalize(model.encode_video(frames, mask).double(), dim=-1).numpy()
        table = texts.tables[lang]
        clips = [i for i in range(len(table.count)) if table.count[i] > 0]
        rows = texts.inputs(lang, table.start[clips])
        text = F.normalize(model.encode_text(rows).double(), dim=-1).numpy()
    ranks = []
    for q, clip in enumerate(clips):
        scores = video @ text[q]
        ranks.append(1 + int((scores > scores[clip]).sum()))
    return {k: sum(r <= k for r in ranks) / len(ranks) for k in (1, 5, 10)}


def _validated_training(select: bool, epochs: int = 4):
    ds = hold_out(tiny_dataset(n_train=96, missing_lang="fr"), 0.25, 16)
    texts, val_texts = _frozen(ds.train, LANGS), _frozen(ds.val, LANGS)
    frames, mask = split_tensors(ds.train, 6)
    vf, vm = split_tensors(ds.val, 6)
    validator = Validator(val_texts, vf, vm, LANGS, ds.val.clip_ids, ds.val.n_queries,
                          "optimistic", None, select)  # fmt: skip
    snapshots = {}

    def on_epoch(epoch, model):  # the model of every epoch, saved as the test's own copy
        snapshots[epoch] = copy.deepcopy(model)
        validator(epoch, model)

    model = _model(frames.shape[-1])
    train_model(model, texts, frames, mask, _recipe(epochs=epochs), on_epoch=on_epoch)
    return model, validator, snapshots, (val_texts, vf, vm)


def test_validation_rows_equal_a_naive_evaluation_of_each_epochs_model():
    _, validator, snapshots, (texts, frames, mask) = _validated_training(select=False)
    rows = validator.rows
    assert sorted({r["epoch"] for r in rows}) == [1, 2, 3, 4] == sorted(snapshots)
    assert {r["direction"] for r in rows} == {"t2v"} and {r["lang"] for r in rows} == set(LANGS)
    for epoch, model in snapshots.items():
        for lang in LANGS:
            expected = _naive_t2v(model.eval(), texts, frames, mask, lang)
            got = {r["k"]: r["value"] for r in rows if r["epoch"] == epoch and r["lang"] == lang
                   and r["metric"] == "recall"}  # fmt: skip
            assert got == pytest.approx(expected, abs=1e-12), (epoch, lang)
    fr = [r for r in rows if r["lang"] == "fr" and r["metric"] == "recall"]
    en = [r for r in rows if r["lang"] == "en" and r["metric"] == "recall"]
    assert {r["n_queries"] for r in en} == {24} and {r["n_queries"] for r in fr} < {24, 23, 22, 21}
    # the epochs differ (the model learns): the rows are each epoch's own
    assert len({mean_r1(rows, e) for e in snapshots}) > 1


def test_select_on_val_restores_the_best_epochs_weights():
    model, validator, snapshots, _ = _validated_training(select=True)
    best = best_epoch(validator.rows)
    scores = [mean_r1(validator.rows, e) for e in (1, 2, 3, 4)]
    assert best == 1 + int(np.argmax(scores))
    assert validator.restore_best(model) == best
    want = snapshots[best].state_dict()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, want[name], rtol=0, atol=0)
    if best != 4:  # the last epoch's weights are gone from the model
        last = snapshots[4].state_dict()
        assert any(not torch.equal(v, last[k]) for k, v in model.state_dict().items())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=3),
                min_size=1, max_size=12))  # fmt: skip
def test_best_epoch_is_the_first_argmax_of_the_mean_r1(per_epoch):
    rows = [
        {
            "epoch": e + 1,
            "lang": lang,
            "direction": "t2v",
            "metric": "recall",
            "k": 1,
            "value": v,
            "n_queries": 10,
        }
        for e, values in enumerate(per_epoch)
        for lang, v in zip(LANGS, values, strict=True)
    ]
    rows += [{**r, "k": 5, "value": 1.0} for r in rows]  # other numbers do not count
    means = [sum(values) / 3 for values in per_epoch]
    assert best_epoch(rows) == 1 + int(np.argmax(means))


# the settings ---------------------------------------------------------------------------------


def test_no_validation_keeps_the_run_id_of_existing_configs():
    cfg = build_config("demo", teachers="muse", student="muse").resolved("fp32", "")
    # the id as runs made before these fields computed it: every field but the preset
    import hashlib
    import json

    old = {k: v for k, v in cfg.to_dict().items()
           if k not in NOT_HASHED | {"val_fraction", "select_on_val"}}  # fmt: skip
    blob = json.dumps(old, sort_keys=True, separators=(",", ":"))
    assert cfg.run_id == f"demo-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"
    assert cfg.replace(val_fraction=0.0, select_on_val=False).run_id == cfg.run_id
    val = cfg.replace(val_fraction=0.2)
    picked = val.replace(select_on_val=True)
    assert len({cfg.run_id, val.run_id, picked.run_id}) == 3


def test_select_on_val_needs_a_validation_split():
    with pytest.raises(UserError, match=r"--select-on-val .* --val-fraction"):
        build_config("demo", select_on_val=True)
    assert build_config("demo", val_fraction=0.1, select_on_val=True).select_on_val
