"""Numerical faults: a loss that becomes NaN or infinite stops its cell with a UserError naming
the step and the values to try, and no NaN ever reaches a results table.

The faults are real: an absurd learning rate that makes Adam blow the weights up, and a
temperature so small (denormal) that the logits overflow; nothing is patched to return NaN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch

from c2kd_analyze import io
from c2kd_analyze.data import load_dataset
from c2kd_analyze.distill.captions import caption_tables
from c2kd_analyze.distill.evaluate import EvalEmbeddings, evaluate
from c2kd_analyze.distill.inputs import FrozenTexts
from c2kd_analyze.distill.models import RetrievalModel, TextHead, VideoTower
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import TrainRecipe, train_model
from c2kd_analyze.errors import UserError
from c2kd_analyze.numerics import NonFiniteError, check_loss

from .helpers import assert_one_line_error, cli, run_args, write_generic


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A generic-format dataset through the real loader, random frozen text features."""
    folder = write_generic(tmp_path_factory.mktemp("data") / "generic", n_train=32, n_test=8)
    ds = load_dataset("generic", data_dir=folder)
    tables = caption_tables(ds.train, ds.languages)
    rng = np.random.default_rng(0)
    feats = {
        lang: torch.from_numpy(rng.standard_normal((len(t.texts), 12)).astype(np.float32))
        for lang, t in tables.items()
    }
    return ds, FrozenTexts(tables, feats), split_tensors(ds.train, 3)


def _train(tiny, **recipe):
    ds, texts, (frames, mask) = tiny
    torch.manual_seed(0)
    model = RetrievalModel(TextHead(12, 8), VideoTower(ds.feature_dim, 8, width=8))
    base = dict(languages=ds.languages, epochs=3, lr=1e-3, lr_decay=0.9, batch_size=8,
                temperature=0.05, seed=0)  # fmt: skip
    return train_model(model, texts, frames, mask, TrainRecipe(**{**base, **recipe}))


def test_sane_recipe_trains_with_finite_losses(tiny):
    history = _train(tiny)
    assert len(history) == 3 * 4 and all(np.isfinite(s.loss) for s in history)


@pytest.mark.parametrize(
    "recipe, step, hint",
    [
        (dict(lr=1e6), 2, "--lr (e.g. 0.001)"),  # Adam's first step wrecks the weights
        (dict(temperature=1e-39), 1, "--temperature (e.g. 0.05)"),  # logits overflow
    ],
    ids=["absurd-lr", "denormal-temperature"],
)
def test_diverging_training_stops_with_step_and_advice(tiny, recipe, step, hint):
    with pytest.raises(NonFiniteError) as info:
        _train(tiny, **recipe)
    message = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in message
    assert f"epoch 1, step {step} " in message and "loss is nan" in message
    assert hint in message


def test_check_loss_names_inf_and_passes_finite():
    assert check_loss(1.5, epoch=0, step=0, lr=1e-3, temperature=0.05) == 1.5
    with pytest.raises(NonFiniteError, match=r"loss is inf at epoch 3, step 8 \(lr 0.1"):
        check_loss(float("inf"), epoch=2, step=7, lr=0.1, temperature=0.05)


def test_evaluation_refuses_non_finite_embeddings():
    video = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    text = video.clone()
    text[2, 3] = float("nan")
    emb = EvalEmbeddings(video, {"en": text}, {"en": np.ones(4, bool)})
    assert evaluate(EvalEmbeddings(video, {"en": video}, emb.valid), 4)  # finite: fine
    with pytest.raises(NonFiniteError, match="en text embeddings are not finite"):
        evaluate(emb, 4)


@pytest.mark.slow
def test_cli_divergence_is_one_line_and_writes_no_nan(tmp_path):
    """The real CLI with lr 1e6: exit 2, one line; no cell, checkpoint or table holds a NaN."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    done = cli([*run_args(tmp_path, out), "--lr", "1e6"], cache)
    line = assert_one_line_error(done, "diverged", "epoch", "step", "--lr", "--temperature")
    assert "teacher-muse-s0" in line  # the stage that diverged
    assert not list(out.glob("cells/*/done.json")) and not (out / "results.parquet").exists()
    assert not [p for p in cache.glob("checkpoints/*/checkpoint.json") if io.is_valid(p)]
    for path in [*out.rglob("*.parquet"), *cache.rglob("*.parquet")]:
        if io.is_valid(path):
            frame = io.read_parquet(path)
            floats = [c for c, t in frame.schema.items() if t in (pl.Float32, pl.Float64)]
            assert not any(frame[c].is_nan().any() for c in floats), path


@pytest.mark.slow
def test_no_nan_in_reference_results(reference):
    """The uninterrupted tiny run: every value of every table is finite."""
    _, out, _ = reference
    for name in ("results.parquet", "history.parquet"):
        frame = io.read_parquet(Path(out) / name)
        value = frame["value" if name == "results.parquet" else "loss"]
        assert value.is_finite().all(), name
