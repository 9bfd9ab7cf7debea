"""--report-to's names, and the one line for a tracker whose package is missing."""

from __future__ import annotations

import importlib.util

import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.tracking import check_installed, flat_config, metric_name, parse_report_to


def test_names_parse_and_a_typo_is_named():
    assert parse_report_to(None) == () and parse_report_to("none") == ()
    assert parse_report_to(" TensorBoard, wandb,wandb ") == ("tensorboard", "wandb")
    assert parse_report_to(["trackio"]) == ("trackio",)
    with pytest.raises(UserError, match="'tensorbord' is no tracker; choose from tensorboard"):
        parse_report_to("tensorbord")


def test_a_missing_package_names_its_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "wandb" else real(name, *a))  # fmt: skip
    check_installed(["tensorboard"])
    with pytest.raises(UserError) as info:
        check_installed(["tensorboard", "wandb"])
    assert str(info.value) == (
        "--report-to wandb needs the wandb package; install it with pip install "
        "'c2kd-analyze[wandb]'"
    )


def test_metric_names_and_flat_hyperparameters():
    assert metric_name("t2v", "recall", 5, "de") == "test/t2v/R@5/de"
    assert metric_name("v2t", "median_rank", None, "en") == "test/v2t/median_rank/en"
    flat = flat_config({
        "teachers": ["muse", "labse"], "max_tokens": {"train": 35},
        "dataset_options": [["n_train", 300]], "pool": None, "epochs": 5,
    })  # fmt: skip
    assert flat == {"teachers": "muse,labse", "max_tokens.train": 35,
                    "dataset_options.n_train": 300, "pool": "none", "epochs": 5}  # fmt: skip
