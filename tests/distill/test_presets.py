"""Presets: the demo's fast frozen recipe, its full-mode learning rates, options win."""

from __future__ import annotations

import pytest

from c2kd_analyze.config import PRESETS, build_config
from c2kd_analyze.errors import UserError


def test_demo_frozen_and_full_learning_rates(tmp_path):
    frozen = build_config("demo")
    assert (frozen.lr, frozen.encoder_lr, frozen.epochs, frozen.video_width) == (1e-3, None, 5, 128)
    full = build_config("demo", mode="full")
    assert (full.lr, full.encoder_lr) == (1e-4, 2e-5)
    assert build_config("demo", mode="full", lr=3e-4, encoder_lr=1e-5).lr == 3e-4
    toml = tmp_path / "c.toml"
    toml.write_text('mode = "full"\n')
    assert build_config("demo", toml).lr == 1e-4  # the mode may come from the file
    assert build_config("demo", toml, mode="frozen").lr == 1e-3


@pytest.mark.parametrize("name", [p for p in PRESETS if p.startswith("paper-")])
def test_paper_presets_use_the_papers_recipe(name):
    cfg = build_config(name)
    assert cfg.lr in (1e-4, 5e-5) and cfg.distill_temp == 0.1 and cfg.pool in ("max", "min", "mean")
    assert cfg.video_width == 512 and cfg.batch_size == 64
    assert build_config(name, mode="full").lr == cfg.lr  # no demo-only full-mode override


def test_bad_encoder_lr():
    with pytest.raises(UserError, match="--encoder-lr must be > 0"):
        build_config("demo", encoder_lr=0.0)
