"""Micro averages and cross-language rank consistency against plain-Python references."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_runs import RunSpec, write_run

from c2kd_analyze.analysis.crosslingual import micro_average, rank_consistency
from c2kd_analyze.analysis.load import load_runs
from c2kd_analyze.analysis.systems import add_methods


@pytest.fixture(scope="module")
def masked(tmp_path_factory):
    """Two seeds; German lacks four captions, so its queries are fewer than English's."""
    spec = RunSpec(seeds=(0, 1), n_queries=30, masked={"de": (2, 4, 6, 8)})
    results, ranks, _, meta = load_runs([write_run(tmp_path_factory.mktemp("m"), spec)])
    teachers = list(next(iter(meta.values())).teachers)
    return add_methods(results, teachers), add_methods(ranks, teachers)


def test_micro_average_pools_every_query(masked):
    results, _ = masked
    micro = micro_average(results)
    recall = results.filter(pl.col("metric") == "recall")
    by_seed = defaultdict(lambda: [0.0, 0])
    for r in recall.iter_rows(named=True):
        key = (r["method"], r["direction"], r["k"], r["seed"])
        by_seed[key][0] += r["value"] * r["n_queries"]  # the hits
        by_seed[key][1] += r["n_queries"]
    expected = defaultdict(list)
    for (method, direction, k, _), (hits, n) in by_seed.items():
        expected[(method, direction, k)].append(hits / n)
    assert micro.height == len(expected)
    for row in micro.iter_rows(named=True):
        values = expected[(row["method"], row["direction"], row["k"])]
        assert row["mean"] == pytest.approx(np.mean(values), abs=1e-12)
        assert row["std"] == pytest.approx(np.std(values, ddof=1), abs=1e-12)
    # languages with fewer queries weigh less: micro and macro differ here
    macro = recall.group_by("method", "direction", "k", "seed").agg(pl.col("value").mean())
    assert not np.allclose(
        sorted(macro["value"].to_list()), sorted(v for vs in expected.values() for v in vs)
    )


def test_rank_consistency_is_the_mean_variance_of_a_clips_rank(masked):
    _, ranks = masked
    got = rank_consistency(ranks)
    per_clip = defaultdict(list)
    for r in ranks.iter_rows(named=True):
        if r["rank"] is not None and r["clip"] is not None:
            per_clip[(r["method"], r["direction"], r["seed"], r["clip"])].append(r["rank"])
    per_seed = defaultdict(list)
    for (method, direction, seed, _), values in per_clip.items():
        if len(values) >= 2:
            per_seed[(method, direction, seed)].append(np.var(values))  # ddof 0
    expected = defaultdict(list)
    for (method, direction, _), variances in per_seed.items():
        expected[(method, direction)].append(np.mean(variances))
    assert got.height == len(expected)
    for row in got.iter_rows(named=True):
        values = expected[(row["method"], row["direction"])]
        assert row["mean"] == pytest.approx(np.mean(values), rel=1e-12)
        assert row["n_clips"] == 30  # a clip counts once it is ranked in two languages


@settings(max_examples=50, deadline=None)
@given(
    ranks=st.lists(st.integers(1, 50), min_size=2, max_size=6),
    shift=st.integers(0, 20),
)
def test_consistency_is_zero_for_equal_ranks_and_shift_invariant(ranks, shift):
    """Property: a clip ranked alike in every language has variance 0; adding a constant to
    every rank changes nothing."""

    def frame(values):
        n = len(values)
        return pl.DataFrame({
            "dataset": ["d"] * n, "method": ["m"] * n, "order": [0] * n,
            "direction": ["t2v"] * n, "seed": [0] * n, "clip": [7] * n,
            "lang": [f"l{i}" for i in range(n)], "rank": values,
        })  # fmt: skip

    same = rank_consistency(frame([ranks[0]] * len(ranks)))
    assert same["mean"][0] == 0
    base = rank_consistency(frame(ranks))["mean"][0]
    assert rank_consistency(frame([r + shift for r in ranks]))["mean"][0] == pytest.approx(base)
    assert base == pytest.approx(np.var(ranks))


def test_the_report_shows_both_averages_and_the_consistency_table(tmp_path):
    from bs4 import BeautifulSoup

    from c2kd_analyze.analysis.report import write_report

    spec = RunSpec(seeds=(0,), n_queries=30, masked={"de": (2, 4, 6, 8)})
    html = write_report([write_run(tmp_path, spec, run_id="demo-x")], n_resamples=100)
    soup = BeautifulSoup(html.read_text(), "html.parser")
    captions = [c.get_text() for c in soup.find_all("caption")]
    r1 = next(c for c in captions if "text→video R@1 (%)" in c)
    assert "avg = macro average" in r1 and "micro = micro average" in r1
    assert any("cross-language consistency" in c for c in captions)
