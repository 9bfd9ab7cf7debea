"""Aggregation of a hand-built results frame against a golden table; exporters."""

from __future__ import annotations

import polars as pl
import pytest

from c2kd_analyze.analysis.gaps import gap_closed, language_gaps
from c2kd_analyze.analysis.systems import add_methods
from c2kd_analyze.analysis.tables import (
    recall_table,
    recall_table_numeric,
    summarize,
    to_latex,
    to_markdown,
)
from c2kd_analyze.results import RESULT_COLUMNS, polars_schema

# (stage, teacher, seed, lang, R@1)
VALUES = [
    ("translate-train", None, 0, "en", 0.50),
    ("translate-train", None, 1, "en", 0.54),
    ("translate-train", None, 0, "de", 0.30),
    ("translate-train", None, 1, "de", 0.34),
    ("c2kd", "labse", 0, "en", 0.52),
    ("c2kd", "labse", 1, "en", 0.52),
    ("c2kd", "labse", 0, "de", 0.40),
    ("c2kd", "labse", 1, "de", 0.46),
]


def hand_built() -> pl.DataFrame:
    rows = [
        dict(run_id="r", cell=f"{s}-{t}-{seed}", stage=s, teacher=t, teacher_model=None,
             student_model="m", dataset="toy", split="test", lang=lang, direction="t2v",
             metric="recall", k=1, value=v, n_queries=100, seed=seed, mode="frozen")
        for s, t, seed, lang, v in VALUES
    ]  # fmt: skip
    return add_methods(pl.DataFrame(rows, schema=polars_schema(RESULT_COLUMNS)))


GOLDEN = """\
| method | en | de | avg |
|---|---:|---:|---:|
| translate-train | 52.0 ± 2.8 | 32.0 ± 2.8 | 42.0 ± 2.8 |
| c2kd labse | 52.0 ± 0.0 | 43.0 ± 4.2 | 47.5 ± 2.1 |
"""


def test_summary_matches_golden_table():
    summary = summarize(hand_built())
    table = recall_table(summary, "toy", "t2v", 1, ["de", "en"])  # English moves first
    assert to_markdown(table) == GOLDEN


def test_marks_are_appended_and_numeric_table_keeps_numbers():
    summary = summarize(hand_built())
    table = recall_table(summary, "toy", "t2v", 1, ["en", "de"], {("c2kd labse", "de"): "*"})
    assert table.filter(pl.col("method") == "c2kd labse")["de"].item() == "43.0 ± 4.2*"
    num = recall_table_numeric(summary, "toy", "t2v", 1, ["en", "de"])
    stats = ["en_mean", "en_std", "de_mean", "de_std", "avg_mean", "avg_std"]
    assert num.columns == ["method", *stats]
    row = num.row(1, named=True)
    assert row["method"] == "c2kd labse"
    assert row["de_mean"] == pytest.approx(43.0)
    # the per-seed averages are 46 and 49: std = 3 / sqrt(2)
    assert row["avg_std"] == pytest.approx(3 / 2**0.5)


def test_single_seed_has_no_std():
    one = hand_built().filter(pl.col("seed") == 0)
    table = recall_table(summarize(one), "toy", "t2v", 1, ["en", "de"])
    assert table.row(0) == ("translate-train", "50.0", "30.0", "40.0")


def test_gaps_and_gap_closed_by_hand():
    gaps = language_gaps(summarize(hand_built()))
    de = dict(gaps.filter(pl.col("lang") == "de").select("method", "gap").iter_rows())
    assert de == pytest.approx({"translate-train": 0.20, "c2kd labse": 0.09})
    closed = gap_closed(gaps).filter(pl.col("lang") == "de")["gap_closed"].item()
    assert closed == pytest.approx((0.20 - 0.09) / 0.20)


def test_gap_closed_is_undefined_without_a_gap():
    frame = hand_built().with_columns(
        pl.when((pl.col("stage") == "translate-train") & (pl.col("lang") == "de"))
        .then(pl.col("value") + 0.2)  # translate-train's German equals its English
        .otherwise(pl.col("value"))
        .alias("value")
    )
    closed = gap_closed(language_gaps(summarize(frame)))
    assert closed.filter(pl.col("lang") == "de")["gap_closed"].item() is None


def test_latex_escapes_and_has_booktabs():
    frame = pl.DataFrame({"method": ["c2kd a_b & c"], "de": ["43.0 ± 4.2*†"]})
    tex = to_latex(frame, "R@1 (%)")
    assert r"c2kd a\_b \& c" in tex and r"$\pm$" in tex and r"$^\dagger$" in tex
    assert r"\toprule" in tex and r"\caption{R@1 (\%)}" in tex
