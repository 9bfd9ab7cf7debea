"""Training curves: the histories of a run's cells, smoothed as documented, against a plain-Python
reference; what the report draws is those numbers."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_runs import RunSpec, write_run

from c2kd_analyze import io
from c2kd_analyze.analysis.curves import SPAN_SHARE, load_history, loss_panel, smoothed_losses
from c2kd_analyze.analysis.load import load_runs
from c2kd_analyze.analysis.systems import add_methods


def _ema(values: list[float]) -> list[float]:
    """The debiased exponential moving average, written out: y_t = sum_i w^(t-i) x_i / sum_i
    w^(t-i), w = 1 - alpha, alpha = 2 / (span + 1), span = max(1, SPAN_SHARE * n)."""
    span = max(1.0, SPAN_SHARE * len(values))
    w = 1 - 2 / (span + 1)
    out = []
    for t in range(len(values)):
        weights = [w ** (t - i) for i in range(t + 1)]
        out.append(
            sum(wi * x for wi, x in zip(weights, values[: t + 1], strict=True)) / sum(weights)
        )
    return out


def _history(cells: dict[tuple[str, int], list[float]]) -> pl.DataFrame:
    """(method, seed) -> losses by step, as load_history returns them (steps shuffled)."""
    rows = [
        {"run_id": "r", "cell": f"{m}-s{seed}", "dataset": "demo", "method": m, "seed": seed,
         "step": step, "loss": loss}
        for (m, seed), losses in cells.items()
        for step, loss in enumerate(losses)
    ]  # fmt: skip
    return pl.DataFrame(rows).sample(fraction=1.0, shuffle=True, seed=1)


def test_smoothing_is_the_documented_moving_average_then_the_mean_over_seeds():
    a0 = [9.0, 7.0, 8.0, 5.0, 6.0, 4.0, 4.5, 3.0, 3.5, 2.0] * 3  # 30 steps: span 3
    a1 = [x + 1.0 for x in reversed(a0)]
    b0 = [1.0, 3.0, 2.0]  # 3 steps: span 1, raw
    out = smoothed_losses(_history({("a", 0): a0, ("a", 1): a1, ("b", 0): b0}))
    a = out.filter(pl.col("method") == "a")
    mean = [(x + y) / 2 for x, y in zip(_ema(a0), _ema(a1), strict=True)]
    assert a["step"].to_list() == list(range(30))
    assert a["loss"].to_list() == pytest.approx(mean)
    assert set(a["n_seeds"].to_list()) == {2}
    assert out.filter(pl.col("method") == "b")["loss"].to_list() == pytest.approx(b0)
    assert _ema(a0) != pytest.approx(a0)  # it does smooth


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.01, 100.0), min_size=1, max_size=60),
    st.floats(0.01, 100.0),
)
def test_smoothing_keeps_a_constant_and_starts_at_the_first_loss(losses, constant):
    flat = smoothed_losses(_history({("m", 0): [constant] * len(losses)}))
    assert flat["loss"].to_list() == pytest.approx([constant] * len(losses))
    curve = smoothed_losses(_history({("m", 0): losses}))["loss"].to_list()
    assert curve[0] == pytest.approx(losses[0])  # debiased: not pulled towards zero
    assert min(losses) - 1e-9 <= min(curve) and max(curve) <= max(losses) + 1e-9


def test_load_history_reads_every_done_cell_with_its_system(tmp_path):
    spec = RunSpec(seeds=(0, 1), directions=("t2v",), n_queries=20, history_steps=12)
    run = write_run(tmp_path, spec)
    results, _, _, meta = load_runs([run])
    results = add_methods(results, spec.teachers)
    history = load_history(meta, results)
    cells = sorted(p.name for p in (run / "cells").iterdir())
    assert history.height == len(cells) * 12
    for name in cells:
        own = io.read_parquet(run / "cells" / name / "history.parquet")
        mine = history.filter(pl.col("cell") == name).sort("step")
        assert mine["loss"].to_list() == own["loss"].to_list()
        (method,) = set(mine["method"].to_list())
        expected = results.filter(pl.col("cell") == name)["method"].unique().to_list()
        assert [method] == expected
    # a cell whose results were not kept (a merged run's duplicate) adds no curve
    kept = results.filter(pl.col("cell") != cells[0])
    assert cells[0] not in set(load_history(meta, kept)["cell"].to_list())


def test_loss_panel_is_the_smoothed_loss_of_each_system(tmp_path):
    run = write_run(tmp_path, RunSpec(seeds=(0, 1), directions=("t2v",), n_queries=20))
    results, _, _, meta = load_runs([run])
    results = add_methods(results, RunSpec().teachers)
    panel = loss_panel(load_history(meta, results))
    assert panel is not None and panel.log_y and panel.xlabel == "training step"
    line = panel.frame.filter(pl.col("method") == "c2kd labse").sort("x")
    seeds = [
        io.read_parquet(run / "cells" / f"c2kd-labse-s{s}" / "history.parquet")["loss"].to_list()
        for s in (0, 1)
    ]
    expected = [(x + y) / 2 for x, y in zip(_ema(seeds[0]), _ema(seeds[1]), strict=True)]
    assert line["y"].to_list() == pytest.approx(expected)
    assert all(math.isfinite(v) for v in panel.frame["y"].to_list())


def test_no_history_no_panel():
    empty = pl.DataFrame(
        schema={"run_id": pl.String, "cell": pl.String, "dataset": pl.String,
                "method": pl.String, "seed": pl.Int64, "step": pl.Int64, "loss": pl.Float64}
    )  # fmt: skip
    assert loss_panel(empty) is None


def test_val_panel_is_the_mean_r1_over_languages_then_seeds_per_epoch(tmp_path):
    from c2kd_analyze.analysis.curves import load_validation, val_panel

    spec = RunSpec(seeds=(0, 1), directions=("t2v",), n_queries=20, val_epochs=4)
    run = write_run(tmp_path, spec)
    results, _, _, meta = load_runs([run])
    results = add_methods(results, spec.teachers)
    validation = load_validation(meta, results)
    assert set(validation["split"]) == {"val"} and set(validation["epoch"]) == {1, 2, 3, 4}
    panel = val_panel(validation)
    assert panel is not None and panel.name == "val" and not panel.log_y
    line = panel.frame.filter(pl.col("method") == "c2kd labse").sort("x")
    expected = []
    for epoch in (1, 2, 3, 4):  # by hand from the cells' files
        means = []
        for seed in (0, 1):
            rows = io.read_parquet(run / "cells" / f"c2kd-labse-s{seed}" / "validation.parquet")
            r1 = rows.filter((pl.col("epoch") == epoch) & (pl.col("k") == 1))["value"].to_list()
            assert len(r1) == len(spec.langs)
            means.append(sum(r1) / len(r1))
        expected.append(100 * sum(means) / 2)
    assert line["x"].to_list() == [1, 2, 3, 4]
    assert line["y"].to_list() == pytest.approx(expected)


def test_no_validation_no_val_panel_and_the_figure_draws_it_when_there(tmp_path):
    from c2kd_analyze.analysis.report import write_report

    plain = write_run(tmp_path / "a", RunSpec(seeds=(0,), directions=("t2v",), n_queries=20))
    write_report([plain], n_resamples=100)
    svg = (plain / "figures" / "demo_training_curves.svg").read_text()
    assert ":loss" in svg and ":val" not in svg
    spec = RunSpec(seeds=(0,), directions=("t2v",), n_queries=20, val_epochs=3)
    run = write_run(tmp_path / "b", spec)
    write_report([run], n_resamples=100)
    svg = (run / "figures" / "demo_training_curves.svg").read_text()
    results = add_methods(load_runs([run])[0], spec.teachers)
    for method in set(results["method"].to_list()):  # one validation line per system
        assert f'id="curve:{method}:val"' in svg and f'id="curve:{method}:loss"' in svg
    assert "validation clips" in (run / "report.md").read_text()
