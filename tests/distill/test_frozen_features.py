"""What a run encodes before training: each encoder only the captions its cells read, each
language once; the encoders' weights released afterwards; how features are held per device."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset

from c2kd_analyze.config import build_config
from c2kd_analyze.distill.context import RunContext
from c2kd_analyze.distill.encoders import feature_dtype
from c2kd_analyze.distill.plan import plan_cells
from c2kd_analyze.distill.runner import _warm_features

SMALL = dict(teachers="muse,minilm-en", student="muse", epochs=1, batch_size=16,
             projection_dim=8, video_width=8)  # fmt: skip


def _context(monkeypatch, tmp_path, dataset):
    """A run context on an empty cache whose encoders record every text they encode."""
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "cache"))
    cfg = build_config("demo", **SMALL).replace(precision="fp32")
    ctx = RunContext(cfg, dataset, progress=False)
    seen: dict[str, list[str]] = {}
    for name in ("muse", "minilm-en"):
        encoder = ctx.encoders.encoder(name)
        inner = encoder.encode

        def recording(texts, *, batch_size=None, progress=True, name=name, inner=inner):
            seen.setdefault(name, []).extend(texts)
            return inner(texts, batch_size=batch_size, progress=progress)

        encoder.encode = recording
    return ctx, cfg, seen


def _captions(split, langs) -> list[str]:
    return [c for lang in langs for clip in split.captions[lang] if clip for c in clip]


def test_an_english_only_teacher_encodes_english_train_captions_only(monkeypatch, tmp_path):
    dataset = tiny_dataset(n_train=40, n_test=8)
    ctx, cfg, seen = _context(monkeypatch, tmp_path, dataset)
    _warm_features(ctx, plan_cells(cfg))
    everything = set(_captions(dataset.train, dataset.languages))
    test = set(_captions(dataset.test, dataset.languages))
    # muse: teacher (translate-train) and student, every language; once each
    assert set(seen["muse"]) == everything | test and len(seen["muse"]) == len(set(seen["muse"]))
    # minilm-en reads English only: its train captions in English, its test split in full (the
    # teacher cell evaluates every language and the translation diagnostic needs them)
    assert set(seen["minilm-en"]) == set(_captions(dataset.train, ["en"])) | test
    # the features of a language are on the device once, whichever subset asked for them
    english = ctx.encoders.outputs("minilm-en", "train", "teacher", ("en",)).features["en"]
    assert ctx.encoders.standardize("minilm-en", "teacher").mean.shape == (english.shape[1],)
    # once everything is in memory the models are released; a later miss loads one again
    assert all(e._loaded is None for e in ctx.encoders._encoders.values())
    ctx.encoders.outputs("minilm-en", "train", "student")  # now every language
    assert ctx.encoders.encoder("minilm-en")._loaded is not None
    assert set(seen["minilm-en"]) == everything | test


def test_a_subset_that_would_change_caption_sampling_reads_every_language(monkeypatch, tmp_path):
    """Training samples a clip's caption index from its largest caption count over the tables
    it reads; where English has fewer captions than another language (here it is missing for
    every fifth clip) an English-only table would sample differently, so all are read."""
    dataset = tiny_dataset(n_train=40, n_test=8, missing_lang="en")
    ctx, _, _ = _context(monkeypatch, tmp_path, dataset)
    frozen = ctx.encoders.outputs("minilm-en", "train", "teacher", ("en",))
    assert set(frozen.tables) == set(dataset.languages)
    complete = tiny_dataset(n_train=40, n_test=8)
    ctx, _, _ = _context(monkeypatch, tmp_path / "b", complete)
    assert set(ctx.encoders.outputs("minilm-en", "train", "teacher", ("en",)).tables) == {"en"}


@pytest.mark.parametrize(
    "device,precision,dtype",
    [("cpu", "fp32", torch.float32), ("cpu", "bf16", torch.float32),
     ("cuda", "fp32", torch.float32), ("cuda", "bf16", torch.float16),
     ("cuda", "fp16", torch.float16), ("mps", "bf16", torch.float16)],
)  # fmt: skip
def test_features_are_fp16_on_an_accelerator_in_reduced_precision_only(device, precision, dtype):
    assert feature_dtype(torch.device(device), precision) == dtype


def test_a_head_reads_fp16_features_as_it_reads_fp32(monkeypatch):
    """The frozen head's first step is its float64 standardisation: fp16 features change its
    output by their rounding only."""
    from c2kd_analyze.distill.models import Standardize, TextHead

    g = torch.Generator().manual_seed(0)
    features = torch.nn.functional.normalize(torch.randn(64, 32, generator=g) + 3, dim=-1)
    torch.manual_seed(0)
    head = TextHead(32, 16, Standardize(features.mean(0), features.std(0)))
    full, half = head(features), head(features.half())
    assert half.dtype == torch.float32
    np.testing.assert_allclose(half.detach().numpy(), full.detach().numpy(), atol=5e-3)
