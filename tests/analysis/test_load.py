"""Loading run folders: validation errors, and hits from ranks agreeing with the stored metrics."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from synthetic_runs import RunSpec, write_run

from c2kd_analyze import io
from c2kd_analyze.analysis.compare import compute_statistics
from c2kd_analyze.analysis.hits import query_hits
from c2kd_analyze.analysis.load import load_runs
from c2kd_analyze.analysis.systems import add_methods, ordered_methods
from c2kd_analyze.errors import UserError


def test_load_shapes_and_meta(demo_run):
    results, ranks, diagnostics, meta = load_runs([demo_run])
    spec = RunSpec()
    n_cells = len(spec.seeds) * (2 * len(spec.teachers) + 2)
    assert results.select("cell").n_unique() == n_cells
    assert results.height == n_cells * len(spec.directions) * len(spec.langs) * 5
    assert set(ranks.columns) >= {"query", "rank", "stage", "teacher", "seed", "dataset"}
    assert set(diagnostics["metric"]) == {"translation_recall", "teacher_agreement_kl"}
    (m,) = meta.values()
    assert m.dataset == "demo" and m.synthetic and m.config["seeds"] == [0, 1]


def test_hits_from_ranks_reproduce_stored_recall(demo_run):
    """Null ranks and absent rank rows count as misses, the denominator is n_queries."""
    results, ranks, _, _ = load_runs([demo_run])
    results, ranks = add_methods(results), add_methods(ranks)
    langs = list(RunSpec().langs)
    for k in (1, 5, 10):
        hits = query_hits(ranks, results, "demo", "t2v", k, ordered_methods(results), langs)
        for li, lang in enumerate(langs):
            stored = (
                results.filter(
                    (pl.col("lang") == lang) & (pl.col("direction") == "t2v")
                    & (pl.col("metric") == "recall") & (pl.col("k") == k)
                )
                .group_by("method").agg(pl.col("value").mean())
            )  # fmt: skip
            expected = dict(stored.iter_rows())
            got = dict(zip(hits.methods, hits.hits[li].mean(axis=1), strict=True))
            assert got == pytest.approx(expected, abs=1e-12)


def test_statistics_intervals_contain_the_point(demo_run):
    results, ranks, _, _ = load_runs([demo_run])
    st = compute_statistics(add_methods(results), add_methods(ranks), n_resamples=300, seed=0)
    iv = st.intervals
    outside = (pl.col("low") > pl.col("recall")) | (pl.col("high") < pl.col("recall"))
    assert iv.filter(outside).is_empty()
    assert st.parallel == {"demo": True}
    # labse's student is far better than translate-train outside English (by construction)
    row = st.versus.filter(
        (pl.col("method") == "c2kd labse") & (pl.col("baseline") == "translate-train")
        & (pl.col("lang") == "avg") & (pl.col("direction") == "t2v") & (pl.col("k") == 1)
    )  # fmt: skip
    assert row["significant"].item() and row["diff"].item() > 0
    headline = (pl.col("lang") == "avg") & (pl.col("direction") == "t2v") & (pl.col("k") == 1)
    ranks1 = st.ranks.filter(headline)
    assert dict(ranks1.select("method", "rank").iter_rows())["c2kd labse"] == 1


def test_not_a_folder_and_not_a_run(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        load_runs([tmp_path / "nope"])
    with pytest.raises(UserError, match="not a run folder"):
        load_runs([tmp_path])
    with pytest.raises(UserError, match="no run folder"):
        load_runs([])


def test_run_without_finished_cells(demo_run):
    for done in (demo_run / "cells").glob("*/done.json"):
        io.remove(done)
    with pytest.raises(UserError, match="no finished cells"):
        load_runs([demo_run])


def test_unfinished_cell_is_skipped(demo_run):
    io.remove(demo_run / "cells" / "c2kd-muse-s1" / "done.json")
    results, *_ = load_runs([demo_run])
    assert "c2kd-muse-s1" not in set(results["cell"])
    assert "c2kd-muse-s0" in set(results["cell"])


def test_schema_mismatch_is_a_user_error(demo_run):
    path = demo_run / "cells" / "zero-shot-none-s0" / "metrics.parquet"
    frame = io.read_parquet(path)
    io.write_parquet(path, frame.with_columns(pl.col("value").cast(pl.String)))
    with pytest.raises(UserError, match="column value is String"):
        load_runs([demo_run])
    io.write_parquet(path, frame.drop("n_queries"))
    with pytest.raises(UserError, match=r"missing column\(s\) \['n_queries'\]"):
        load_runs([demo_run])


def test_recall_out_of_range_is_rejected(demo_run):
    path = demo_run / "cells" / "zero-shot-none-s0" / "metrics.parquet"
    frame = io.read_parquet(path)
    io.write_parquet(path, frame.with_columns(pl.col("value") * 100))  # a percentage by mistake
    with pytest.raises(UserError, match="invalid recall value"):
        load_runs([demo_run])


def test_two_runs_with_the_same_seed_conflict(tmp_path):
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-b")
    with pytest.raises(UserError, match="pass only one of them"):
        load_runs([a, b])


def test_two_runs_with_different_seeds_merge(tmp_path):
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, dataclasses.replace(RunSpec(), seeds=(1,)), run_id="demo-b")
    results, ranks, _, meta = load_runs([a, b])
    assert set(meta) == {"demo-a", "demo-b"}
    assert sorted(results["seed"].unique().to_list()) == [0, 1]
    assert np.all(ranks.group_by("run_id").len()["len"].to_numpy() > 0)
