"""The fused training step (one text forward over every language, losses batched over
languages) against the per-language computation it replaced, written out here as the reference.

Same seed, same batch, fp32: the loss agrees to rtol 1e-5, and every parameter's gradient to
1e-5 of its largest entry (plus 1e-9: the attention key biases' gradient is exactly zero in exact
arithmetic, softmax ignores a constant shift, so both sides hold rounding noise of ~1e-11). The
two differ only in float summation order: one (L*B, T) forward padded to the batch's longest
caption vs one (B_l, T_l) forward per language, batched vs looped reductions. Models run in
eval mode so that dropout draws no random masks (which would differ between one forward and
nine); the losses do not depend on the mode otherwise.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tiny_data import tiny_dataset
from tiny_towers import full_model, tokenized

from c2kd_analyze.distill.captions import caption_tables
from c2kd_analyze.distill.inputs import FrozenTexts
from c2kd_analyze.distill.losses import c2kd_kd_loss, cosine_sims, nce_loss, pool_teacher_sims
from c2kd_analyze.distill.models import RetrievalModel, Standardize, TextHead, VideoTower
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import TeacherTargets, TrainRecipe, batch_loss

LANGS = ("en", "de", "fr")
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-9
#: clips 5, 10, 15 and 20 lack French; caption 1 of clip 7 is empty in German
CLIPS, CAPS = np.arange(5, 21), np.arange(16) % 2


def reference_loss(model, texts, frames, mask, clips, cap, recipe, targets) -> torch.Tensor:
    """Today's per-language step: one text forward per language over its valid captions, NCE
    (and KD against the pooled teacher matrix) on that language's sub-matrix, summed."""
    video = model.encode_video(frames[clips], mask[clips])
    teacher = en_valid = None
    if targets is not None:
        en_rows, en_valid = texts.tables["en"].rows(clips, cap)
        if targets.en_ok is not None:
            en_valid = en_valid & targets.en_ok[en_rows]
        per = [t[en_rows] @ v[clips].T for t, v in zip(targets.text_en, targets.video, strict=True)]
        teacher = per[0] if len(per) == 1 else pool_teacher_sims(per, targets.pool)
    total = torch.zeros(())
    for lang in recipe.languages:
        rows, ok = texts.tables[lang].rows(clips, cap)
        if ok.sum() < 2:
            continue
        keep = np.flatnonzero(ok)
        sims = cosine_sims(model.encode_text(texts.inputs(lang, rows[keep])), video[keep])
        nce = nce_loss(sims, recipe.temperature)
        if teacher is None:
            total = total + nce
            continue
        both = np.flatnonzero(en_valid[keep])
        kd = torch.zeros(())
        if both.size >= 2:
            t_sub = teacher[keep[both]][:, keep[both]]
            kd = c2kd_kd_loss(sims[both][:, both], t_sub, recipe.distill_temp)
        total = total + recipe.balance * nce + (1 - recipe.balance) * kd
    return total


def _dataset():
    ds = tiny_dataset(n_train=40, n_test=4, missing_lang="fr")
    captions = {lang: [None if c is None else list(c) for c in caps]
                for lang, caps in ds.train.captions.items()}  # fmt: skip
    captions["de"][7][1] = ""
    return replace(ds, train=replace(ds.train, captions=captions))


def _targets(tables, n_clips: int, n_teachers: int, pool: str, seed: int = 7) -> TeacherTargets:
    g = torch.Generator().manual_seed(seed)
    n_en = len(tables["en"].texts)
    en_ok = np.ones(n_en, bool)
    en_ok[tables["en"].start[9]] = False  # clip 9's teacher English (caption 0) is blank
    return TeacherTargets(
        tuple(F.normalize(torch.randn(n_en, 6, generator=g), dim=-1) for _ in range(n_teachers)),
        tuple(F.normalize(torch.randn(n_clips, 6, generator=g), dim=-1)
              for _ in range(n_teachers)),
        pool=pool, en_ok=en_ok,
    )  # fmt: skip


def _frozen_setup(ds):
    tables = caption_tables(ds.train, LANGS)
    g = torch.Generator().manual_seed(0)
    feats = {lang: torch.rand(len(t.texts), 12, generator=g) for lang, t in tables.items()}
    torch.manual_seed(0)
    standardize = Standardize(torch.full((12,), 0.5), torch.full((12,), 0.3))
    model = RetrievalModel(TextHead(12, 16, standardize), VideoTower(ds.feature_dim, 16, width=16))
    return model, FrozenTexts(tables, feats)


def _recipe(teacher: bool) -> TrainRecipe:
    return TrainRecipe(languages=LANGS, epochs=1, lr=1e-3, lr_decay=0.9, batch_size=16,
                  temperature=0.05, seed=0, balance=0.3 if teacher else 1.0,
                  distill_temp=0.2)  # fmt: skip


def _loss_and_grads(fn, model) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    model.zero_grad(set_to_none=True)
    loss = fn()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


def _compare(model, texts, frames, mask, recipe, targets, clips=CLIPS, caps=CAPS) -> None:
    model.eval()  # no dropout: one forward and nine would draw different masks
    args = (texts, frames, mask, clips, caps, recipe, targets)
    want, want_grads = _loss_and_grads(lambda: reference_loss(model, *args), model)
    got, got_grads = _loss_and_grads(lambda: batch_loss(model, *args), model)
    assert float(want) > 0
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert got_grads.keys() == want_grads.keys()
    for name, grad in want_grads.items():
        # a tensor's largest error against its largest entry: a single entry near zero carries
        # the rounding of its big neighbours (measured: <= 2e-6 of the largest entry)
        scale = float(grad.abs().max())
        err = float((got_grads[name] - grad).abs().max())
        assert err <= GRAD_RTOL * scale + GRAD_ATOL, (name, err, scale)


@pytest.mark.parametrize(
    ("n_teachers", "pool"), [(0, "mean"), (1, "mean"), (2, "max"), (2, "min"), (2, "mean")]
)
def test_frozen_step_equals_the_per_language_reference(n_teachers, pool):
    ds = _dataset()
    model, texts = _frozen_setup(ds)
    frames, mask = split_tensors(ds.train, 30)
    targets = _targets(texts.tables, 40, n_teachers, pool) if n_teachers else None
    _compare(model, texts, frames, mask, _recipe(n_teachers > 0), targets)


def test_a_language_with_fewer_than_two_captions_is_left_out():
    """French is present only for clip 1 of this batch: no in-batch negative, no French loss."""
    ds = _dataset()
    model, texts = _frozen_setup(ds)
    frames, mask = split_tensors(ds.train, 30)
    clips, caps = np.array([0, 5, 10, 15, 1]), np.zeros(5, np.int64)
    assert texts.tables["fr"].rows(clips, caps)[1].sum() == 1
    targets = _targets(texts.tables, 40, 2, "max")
    _compare(model, texts, frames, mask, _recipe(True), targets, clips, caps)


def test_no_language_with_two_captions_gives_zero():
    ds = _dataset()
    model, texts = _frozen_setup(ds)
    frames, mask = split_tensors(ds.train, 30)
    recipe = replace(_recipe(False), languages=("fr",))
    clips, caps = np.array([0, 5, 1]), np.zeros(3, np.int64)
    loss = batch_loss(model, texts, frames, mask, clips, caps, recipe, None)
    assert float(loss) == 0.0 and not loss.requires_grad


@pytest.mark.parametrize("tower", ["bert", "xlmr"])
@pytest.mark.parametrize("n_teachers", [0, 2])
def test_full_step_equals_the_per_language_reference(tower, n_teachers, request):
    """Fine-tuned HF towers with real tokenizers (BERT WordPiece, XLM-R SentencePiece): the
    fused forward pads every language to the batch's longest caption and hands the model a
    ready 4-D mask; the reference pads each language to its own longest with the 2-D mask."""
    folder = request.getfixturevalue(f"tiny_{tower}_dir")
    ds = _dataset()
    tables = caption_tables(ds.train, LANGS)
    texts = tokenized(folder, tables)
    lengths = [texts.lengths[lang][texts.tables[lang].rows(CLIPS, CAPS)[0]] for lang in LANGS]
    assert len({int(length.max()) for length in lengths}) > 1  # the paddings really differ
    model = full_model(folder, ds.feature_dim)
    frames, mask = split_tensors(ds.train, 30)
    targets = _targets(tables, 40, n_teachers, "max") if n_teachers else None
    _compare(model, texts, frames, mask, _recipe(n_teachers > 0), targets)
