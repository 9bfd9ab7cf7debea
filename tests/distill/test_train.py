"""Caption tables, batching, the training step and the loop, on in-memory arrays (no encoder)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset

from c2kd_analyze.distill.captions import (
    CaptionTable,
    caption_tables,
    epoch_batches,
    sample_caption_indices,
)
from c2kd_analyze.distill.evaluate import embed_test, evaluate
from c2kd_analyze.distill.inputs import FrozenTexts
from c2kd_analyze.distill.losses import c2kd_kd_loss, cosine_sims, nce_loss
from c2kd_analyze.distill.models import RetrievalModel, TextHead, VideoTower
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import TeacherTargets, TrainRecipe, batch_loss, train_model


def _hash_features(table: CaptionTable, dim: int = 24) -> np.ndarray:
    """A stand-in 'encoder': bag of hashed words, L2-normalised (deterministic, no model)."""
    out = np.zeros((len(table.texts), dim), np.float32)
    for i, text in enumerate(table.texts):
        for word in text.split():
            if not word.startswith("#"):
                out[i, sum(map(ord, word)) % dim] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _frozen(split, langs) -> FrozenTexts:
    tables = caption_tables(split, langs)
    return FrozenTexts(tables, {lang: _hash_features(t) for lang, t in tables.items()})


def _model(feature_dim: int, text_dim: int = 24, seed: int = 0) -> RetrievalModel:
    torch.manual_seed(seed)
    return RetrievalModel(TextHead(text_dim, 32), VideoTower(feature_dim, 32, width=32))


def _recipe(**kw) -> TrainRecipe:
    base = dict(languages=("en", "de", "fr"), epochs=8, lr=3e-3, lr_decay=0.9, batch_size=16,
                temperature=0.05, seed=1)  # fmt: skip
    return TrainRecipe(**{**base, **kw})


def test_caption_table_rows_and_missing():
    ds = tiny_dataset(n_train=10, n_test=4, missing_lang="de")
    table = CaptionTable.from_split(ds.train, "de")
    assert table.count[0] == 0 and table.count[1] == 2  # clip 0 lacks German (i % 5 == 0)
    rows, valid = table.rows(np.array([1, 0, 2]), np.array([1, 0, 0]))
    assert valid.tolist() == [True, False, True]
    assert table.texts[rows[0]] == ds.train.captions["de"][1][1]
    assert table.texts[rows[2]] == ds.train.captions["de"][2][0]


def test_empty_training_captions_are_masked_and_teachers_read_their_own_english():
    from dataclasses import replace

    from c2kd_analyze.distill.captions import teacher_tables

    ds = tiny_dataset(n_train=10, n_test=4)
    captions = {lang: [list(c) for c in caps] for lang, caps in ds.train.captions.items()}
    captions["de"][3][1] = ""  # caption 1 of clip 3 is empty in German only
    raw = [[f"raw {t}" for t in caps] for caps in captions["en"]]
    raw[4][0] = " "  # a teacher caption that is blank: no target from that row
    split = replace(ds.train, captions=captions, teacher_english=raw)
    student = caption_tables(split, ds.languages)
    _, valid = student["de"].rows(np.array([3, 3, 4]), np.array([0, 1, 1]))
    assert valid.tolist() == [True, False, True]  # only the empty caption is masked
    assert student["en"].rows(np.array([3]), np.array([1]))[1].tolist() == [True]
    teacher = teacher_tables(split, ds.languages)
    assert teacher["de"] is not student["de"] and teacher["de"].texts == student["de"].texts
    assert teacher["en"].texts[0] == "raw " + student["en"].texts[0]
    assert np.array_equal(teacher["en"].start, student["en"].start)
    # a C2KD batch: the KD term skips clips whose teacher caption is empty
    n_en = len(student["en"].texts)
    targets = TeacherTargets(
        (torch.nn.functional.normalize(torch.randn(n_en, 4), dim=-1),),
        (torch.nn.functional.normalize(torch.randn(10, 4), dim=-1),),
        en_ok=~teacher["en"].empty,
    )
    from c2kd_analyze.distill.train import batch_teacher

    texts = FrozenTexts(student, {k: _hash_features(t) for k, t in student.items()})
    _, en_valid = batch_teacher(texts, np.array([3, 4, 5]), np.zeros(3, np.int64), targets)
    assert en_valid.tolist() == [True, False, True]


def test_caption_sampling_shared_across_languages_and_batches_drop_last():
    ds = tiny_dataset(n_train=50, n_test=4)
    tables = caption_tables(ds.train, ds.languages)
    idx = sample_caption_indices(tables, np.random.default_rng(0))
    assert idx.shape == (50,) and set(idx.tolist()) <= {0, 1} and len(set(idx.tolist())) == 2
    # one index selects parallel captions: the same template (and clip tag) in every language
    for lang in ("de", "fr"):
        rows, valid = tables[lang].rows(np.arange(50), idx)
        assert valid.all()
        assert [tables[lang].texts[r].split("#")[1] for r in rows] == [f"{i}" for i in range(50)]
    batches = epoch_batches(50, 16, np.random.default_rng(0))
    assert [len(b) for b in batches] == [16, 16, 16]  # the last 2 clips are dropped
    assert len(set(np.concatenate(batches).tolist())) == 48
    assert [len(b) for b in epoch_batches(5, 16, np.random.default_rng(0))] == [5]


def test_batch_loss_matches_formula_and_masks_missing_captions():
    ds = tiny_dataset(n_train=40, n_test=4, missing_lang="fr")
    texts = _frozen(ds.train, ds.languages)
    frames, mask = split_tensors(ds.train, 30)
    model = _model(ds.feature_dim)
    clips = np.arange(10)  # clips 0 and 5 lack French
    cap = np.zeros(10, np.int64)
    teacher_text = torch.nn.functional.normalize(
        torch.randn(len(texts.tables["en"].texts), 8), dim=-1
    )
    teacher_video = torch.nn.functional.normalize(torch.randn(40, 8), dim=-1)
    targets = TeacherTargets((teacher_text,), (teacher_video,))
    recipe = _recipe(balance=0.3, distill_temp=0.2)
    torch.manual_seed(0)
    got = batch_loss(model, texts, frames, mask, clips, cap, recipe, targets)
    # the same by hand
    video = model.encode_video(frames[clips], mask[clips])
    en_rows, _ = texts.tables["en"].rows(clips, cap)
    t_full = teacher_text[en_rows] @ teacher_video[clips].T
    expected = 0.0
    for lang in ("en", "de", "fr"):
        rows, valid = texts.tables[lang].rows(clips, cap)
        keep = np.flatnonzero(valid)
        assert len(keep) == (8 if lang == "fr" else 10)
        s = cosine_sims(model.encode_text(texts.inputs(lang, rows[keep])), video[keep])
        t = t_full[keep][:, keep]
        expected += 0.3 * nce_loss(s, 0.05) + 0.7 * c2kd_kd_loss(s, t, 0.2)
    torch.testing.assert_close(got, expected)
    # without a teacher: translate-train is the plain sum of NCE
    plain = batch_loss(model, texts, frames, mask, clips, cap, recipe, None)
    total = 0.0
    for lang in ("en", "de", "fr"):
        rows, valid = texts.tables[lang].rows(clips, cap)
        keep = np.flatnonzero(valid)
        s = cosine_sims(model.encode_text(texts.inputs(lang, rows[keep])), video[keep])
        total += nce_loss(s, 0.05)
    torch.testing.assert_close(plain, total)


def test_pooled_targets():
    a_t, a_v = torch.randn(6, 4), torch.randn(3, 4)
    b_t, b_v = torch.randn(6, 5), torch.randn(3, 5)
    rows, clips = np.array([0, 2, 4]), np.array([0, 1, 2])
    ta = a_t[rows] @ a_v.T
    tb = b_t[rows] @ b_v.T
    got = TeacherTargets((a_t, b_t), (a_v, b_v), pool="max").sims(rows, clips)
    torch.testing.assert_close(got, torch.maximum(ta, tb))
    got = TeacherTargets((a_t, b_t), (a_v, b_v), pool="min").sims(rows, clips)
    torch.testing.assert_close(got, torch.minimum(ta, tb))


def test_training_learns_and_is_deterministic():
    ds = tiny_dataset(n_train=160, n_test=40)
    texts = _frozen(ds.train, ds.languages)
    test_texts = _frozen(ds.test, ds.languages)
    frames, mask = split_tensors(ds.train, 30)
    test_frames, test_mask = split_tensors(ds.test, 30)

    def once():
        model = _model(ds.feature_dim, seed=3)
        history = train_model(model, texts, frames, mask, _recipe())
        emb = embed_test(model, test_texts, test_frames, test_mask, ds.languages)
        return model, history, evaluate(emb, ds.test.n_queries, ("t2v",))

    model_a, hist_a, res_a = once()
    model_b, hist_b, _ = once()
    assert [s.loss for s in hist_a] == [s.loss for s in hist_b]
    for (name, p), q in zip(
        model_a.state_dict().items(), model_b.state_dict().values(), strict=True
    ):
        assert torch.equal(p, q), name
    assert len(hist_a) == 8 * (160 // 16)
    assert hist_a[-1].lr == pytest.approx(3e-3 * 0.9**7)
    first, last = np.mean([s.loss for s in hist_a[:10]]), np.mean([s.loss for s in hist_a[-10:]])
    assert last < 0.7 * first
    # well above chance (1/40) in every language
    for r in res_a:
        assert r.metrics.recall[5] > 0.3, (r.lang, r.metrics.recall)


def test_fine_tuned_encoder_gets_its_own_lr():
    from c2kd_analyze.distill.models import FineTunedTextTower
    from c2kd_analyze.distill.train import param_groups

    encoder = torch.nn.Linear(4, 4)  # stands in for the HF model: only its parameters matter here
    model = RetrievalModel(FineTunedTextTower(encoder, 4, 8), VideoTower(6, 8, width=8))
    groups = param_groups(model, _recipe(lr=1e-3, encoder_lr=2e-5))
    assert [g["lr"] for g in groups] == [1e-3, 2e-5]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in encoder.parameters()}
    n_all = sum(1 for _ in model.parameters())
    assert len(groups[0]["params"]) + len(groups[1]["params"]) == n_all
    frozen = RetrievalModel(TextHead(4, 8), VideoTower(6, 8, width=8))
    (only,) = param_groups(frozen, _recipe(encoder_lr=2e-5))
    assert only["lr"] == 3e-3 and len(only["params"]) == sum(1 for _ in frozen.parameters())
