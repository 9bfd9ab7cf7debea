"""Presets: the demo's fast frozen recipe, its full-mode learning rates, options win."""

from __future__ import annotations

import pytest

from c2kd_analyze.config import build_config, presets
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


@pytest.mark.parametrize("name", [p for p in presets() if p.startswith("paper-")])
def test_paper_presets_use_the_papers_recipe(name):
    cfg = build_config(name)
    assert cfg.lr in (1e-4, 5e-5) and cfg.distill_temp == 0.1 and cfg.pool in ("max", "min", "mean")
    assert cfg.video_width == 512 and cfg.batch_size == 64
    assert build_config(name, mode="full").lr == cfg.lr  # no demo-only full-mode override


def test_bad_encoder_lr():
    with pytest.raises(UserError, match="--encoder-lr must be > 0"):
        build_config("demo", encoder_lr=0.0)


# the paper's setup per dataset (docs/method.md §5): dataset, token limits train/test/teacher,
# epochs, lr, NCE tau (student / baselines), pool, lambda, projection
PAPER = {
    "paper-msrvtt": ("multi-msrvtt", (35, 40, 40), 20, 1e-4, (0.1, 0.1), "max", 0.5, 512),
    "paper-youcook2": ("multi-youcook2", (35, 40, 35), 10, 1e-4, (0.05, 0.1), "max", 0.1, 1024),
    "paper-vatex": ("vatex", (40, 40, 40), 30, 1e-4, (0.05, 0.05), "min", 0.1, 512),
    "paper-rudder": ("rudder", (40, 40, 40), 20, 5e-5, (0.05, 0.05), "mean", 0.1, 512),
}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_a_paper_preset_sets_the_papers_whole_setup(name):
    dataset, tokens, epochs, lr, (tau, tau_base), pool, balance, dim = PAPER[name]
    cfg = build_config(name)
    assert (cfg.dataset, cfg.student, cfg.teachers, cfg.mode) == (
        dataset, "labse", ("xlmr", "mbert", "muse-distil"), "full"
    )  # fmt: skip
    m = cfg.max_tokens
    assert (m.train, m.test, m.teacher) == tokens
    assert (cfg.epochs, cfg.lr, cfg.temperature, cfg.baseline_temperature) == (
        epochs, lr, tau, tau_base
    )  # fmt: skip
    assert (cfg.teacher_temperature, cfg.pool, cfg.balance, cfg.projection_dim) == (
        0.05, pool, balance, dim
    )  # fmt: skip
    assert cfg.finetune_pooling == "mean"  # the original mean-pools every model
    # the RUDDER distil-mUSE teacher was trained at 1e-4, the others at the run's lr
    assert cfg.teacher_lr_of("muse-distil") == (1e-4 if name == "paper-rudder" else lr)
    assert cfg.teacher_lr_of("xlmr") == lr
    # options still win
    assert build_config(name, student="me5-small", mode="frozen", max_tokens="32").mode == "frozen"
    assert build_config(name, max_tokens="train=30,test=50").max_tokens.test == 50


def test_max_tokens_forms_and_errors():
    assert str(build_config("demo", max_tokens="35").max_tokens) == "train=35,test=35,teacher=35"
    assert build_config("demo", max_tokens={"test": 60}).max_tokens.train == 40
    for bad in ("train=0", "tran=35", "x", "35.5"):
        with pytest.raises(UserError, match="--max-tokens"):
            build_config("demo", max_tokens=bad)


def test_a_single_teacher_drops_the_presets_pool_but_not_the_users():
    assert build_config("paper-msrvtt", teachers="mbert").pool is None
    with pytest.raises(UserError, match="--pool needs at least two teachers"):
        build_config("demo", teachers="muse", pool="max")
    assert build_config("paper-msrvtt", pool="none").pool is None


def test_paper_dry_run_prints_the_papers_setup_and_runs_nothing(tmp_path, capsys):
    from c2kd_analyze.cli import main

    main(["run", "--preset", "paper-msrvtt", "--dry-run", "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert "student = labse" in out and "teachers = xlmr,mbert,muse-distil" in out
    assert "mode = full" in out and "max_tokens = train=35,test=40,teacher=40" in out
    assert "c2kd-pool-max-xlmr+mbert+muse-distil-s0" in out
    assert not (tmp_path / "r").exists()


def test_paper_preset_without_hub_weights_names_every_missing_model_in_one_line(
    tmp_path, monkeypatch, capsys
):
    from c2kd_analyze.cli import main

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.delenv("C2KD_TEACHER_DIRS", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--preset", "paper-msrvtt", "--dataset", "demo", "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no local weights for ")
    for name in ("xlmr", "mbert", "muse-distil", "labse"):
        assert f"{name} (" in err[0]
    assert not (tmp_path / "r").exists()  # stopped before the run folder
