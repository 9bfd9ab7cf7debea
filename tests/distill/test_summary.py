"""The printed R@1 table: means over seeds, the per-seed language mean, method order."""

from __future__ import annotations

import polars as pl
import pytest

from c2kd_analyze.distill.summary import format_r1_table, r1_table
from c2kd_analyze.results import RESULT_COLUMNS, polars_schema


def _rows():
    rows = []
    values = {  # (stage, teacher) -> seed -> lang -> R@1
        ("c2kd", "muse"): {0: {"en": 0.30, "de": 0.20}, 1: {"en": 0.40, "de": 0.10}},
        ("zero-shot", None): {0: {"en": 0.50, "de": 0.00}, 1: {"en": 0.30, "de": 0.00}},
    }
    for (stage, teacher), seeds in values.items():
        for seed, langs in seeds.items():
            for lang, v in langs.items():
                for direction, value in (("t2v", v), ("v2t", 0.99)):
                    rows.append(dict(run_id="r", cell=f"{stage}-s{seed}", stage=stage,
                                     teacher=teacher, teacher_model=None, student_model="m",
                                     dataset="d", split="test", lang=lang, direction=direction,
                                     metric="recall", k=1, value=value, n_queries=10, seed=seed,
                                     mode="frozen"))  # fmt: skip
    return pl.DataFrame(rows, schema=polars_schema(RESULT_COLUMNS))


def test_r1_table_means_and_order():
    table = r1_table(_rows())
    assert table["method"].unique(maintain_order=True).to_list() == ["zero-shot", "c2kd muse"]
    got = {(r["method"], r["lang"]): (r["mean"], r["std"]) for r in table.iter_rows(named=True)}
    assert got[("c2kd muse", "en")][0] == pytest.approx(0.35)
    assert got[("c2kd muse", "en")][1] == pytest.approx(0.0707106, rel=1e-5)
    # language mean within each seed (0.25, 0.25), then over seeds
    assert got[("c2kd muse", "mean")] == (pytest.approx(0.25), pytest.approx(0.0))
    assert got[("zero-shot", "mean")][0] == pytest.approx(0.20)


def test_format_prints_percent_with_std():
    header, rows = format_r1_table(_rows())
    assert header == ["method", "en", "de", "mean"]
    assert rows[1] == ["c2kd muse", "35.0 ± 7.1", "15.0 ± 7.1", "25.0 ± 0.0"]
    one_seed = format_r1_table(_rows().filter(pl.col("seed") == 0))[1]
    assert one_seed[0] == ["zero-shot", "50.0", "0.0", "25.0"]
