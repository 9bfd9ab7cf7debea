"""``run --val-fraction`` end to end, as real processes on the TINY run: the held-out clips in
config.json, per-epoch validation rows in every cell, the selected epoch on test, the same rows
from checkpoints and after a kill, and the report's validation panel."""

from __future__ import annotations

import json
import signal

import polars as pl
import pytest

from c2kd_analyze import io
from c2kd_analyze.distill.holdout import held_out_ids
from c2kd_analyze.distill.validation import best_epoch

from .helpers import TINY_CELLS, cli, paused_after_first_cell, run_args

pytestmark = pytest.mark.slow  # real runs of the bundled mUSE teacher

VAL = ["--val-fraction", "0.25", "--select-on-val"]
DEMO_LANGS = {"en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja"}


def _validation(out) -> dict[str, pl.DataFrame]:
    return {c: io.read_parquet(out / "cells" / c / "validation.parquet") for c in TINY_CELLS}


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """One TINY run with validation and selection: (tmp, out, cache)."""
    tmp = tmp_path_factory.mktemp("val")
    out, cache = tmp / "out", tmp / "cache"
    done = cli([*run_args(tmp, out), *VAL], cache)
    assert done.returncode == 0, done.stderr[-2000:]
    return tmp, out, cache


def test_held_out_clips_are_recorded_and_come_from_training_only(validated):
    from c2kd_analyze.data import load_dataset

    _, out, _ = validated
    record = json.loads((out / "config.json").read_text())
    val = record["validation"]
    assert record["config"]["val_fraction"] == 0.25 and record["config"]["select_on_val"]
    data = load_dataset("demo", n_train=48, n_test=16)
    assert val["fraction"] == 0.25 and val["n_clips"] == 12 and val["n_train_clips"] == 36
    assert set(val["clip_ids"]) == held_out_ids(data.train.clip_ids, 0.25)
    assert set(val["clip_ids"]) <= set(data.train.clip_ids)
    assert set(val["clip_ids"]).isdisjoint(data.test.clip_ids)


def test_every_cell_has_validation_rows_per_epoch_and_test_reports_the_selected_epoch(validated):
    _, out, _ = validated
    results = io.read_parquet(out / "results.parquet")
    assert set(results["split"]) == {"test"}  # validation rows stay in the cells
    for cell, rows in _validation(out).items():
        recall1 = rows.filter((pl.col("metric") == "recall") & (pl.col("k") == 1))
        assert set(rows["split"]) == {"val"} and set(rows["direction"]) == {"t2v"}
        assert recall1.group_by("epoch").len().sort("epoch").rows() == [(1, 9), (2, 9)]
        assert set(recall1["lang"]) == DEMO_LANGS and set(rows["cell"]) == {cell}
        assert set(rows.filter(pl.col("metric") == "recall")["k"]) == {1, 5, 10}
        done = io.read_json(out / "cells" / cell / "done.json")
        picked = best_epoch(list(rows.iter_rows(named=True)))
        assert done["selected_epoch"] == picked == done["epoch"]
        assert set(results.filter(pl.col("cell") == cell)["epoch"]) == {picked}


def test_cells_loaded_from_checkpoints_give_the_same_validation_rows(validated):
    tmp, out, cache = validated
    again = tmp / "again"  # another folder, the same cache: every model comes from its checkpoint
    done = cli([*run_args(tmp, again), *VAL], cache)
    assert done.returncode == 0, done.stderr[-2000:]
    for cell, rows in _validation(again).items():
        assert rows.equals(_validation(out)[cell]), cell
    results = io.read_parquet(out / "results.parquet")
    assert io.read_parquet(again / "results.parquet").equals(results)


def test_a_run_killed_after_its_first_cell_resumes_to_the_same_validation_rows(validated, tmp_path):
    _, ref, _ = validated
    out, cache = tmp_path / "out", tmp_path / "cache"  # a fresh cache: trained again
    proc, _go = paused_after_first_cell([*run_args(tmp_path, out), *VAL], cache, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not io.is_valid(out / "cells" / TINY_CELLS[1] / "done.json")
    done = cli([*run_args(tmp_path, out), *VAL], cache)
    assert done.returncode == 0, done.stderr[-2000:]
    for cell, rows in _validation(out).items():
        assert rows.equals(_validation(ref)[cell]), cell


def test_without_validation_no_cell_has_a_validation_file(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    done = cli(run_args(tmp_path, out), cache)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(out.glob("cells/*/validation.parquet"))
    assert json.loads((out / "config.json").read_text())["validation"] == {"fraction": 0.0}
    results = io.read_parquet(out / "results.parquet")
    assert set(results["epoch"]) == {2}  # the last of the TINY run's 2 epochs


def test_too_few_clips_held_out_is_one_line_before_any_training(tmp_path):
    from .helpers import assert_one_line_error

    out, cache = tmp_path / "out", tmp_path / "cache"
    done = cli([*run_args(tmp_path, out), "--val-fraction", "0.01"], cache)
    assert_one_line_error(done, "--val-fraction 0.01", "holds out 0", "at least 2")
    assert not (out / "config.json").exists() and not (out / "cells").exists()
    done = cli([*run_args(tmp_path, out), "--val-fraction", "0.9"], cache)
    assert_one_line_error(done, "leaves 5 training clips", "--batch-size 16")


def test_the_report_names_the_selected_epochs_and_draws_the_validation_panel(validated):
    _, out, cache = validated
    done = cli(["report", str(out)], cache)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (out / "report.md").read_text()
    sentence = next(line for line in text.splitlines() if line.startswith("Selected on valid"))
    for cell in TINY_CELLS:  # every model, with the epoch its done.json says
        epoch = io.read_json(out / "cells" / cell / "done.json")["selected_epoch"]
        stage = "teacher muse" if cell.startswith("teacher") else cell.rsplit("-s", 1)[0]
        assert f"{stage.replace('c2kd-muse', 'c2kd muse')}: epoch {epoch} of 2" in sentence
    assert "best validation R@1 (--select-on-val" in text  # the tables' captions
    svg = (out / "figures" / "demo_training_curves.svg").read_text()
    assert 'id="curve:c2kd muse:val"' in svg and 'id="curve:zero-shot:val"' in svg
