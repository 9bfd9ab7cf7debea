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
    assert set(ranks.columns) >= {
        "query", "clip", "rank", "ties", "tie_policy", "stage", "teacher", "pool", "seed",
        "dataset",
    }  # fmt: skip
    assert set(diagnostics["metric"]) == {"translation_recall", "teacher_agreement_kl"}
    (m,) = meta.values()
    assert m.dataset == "demo" and m.synthetic and m.config["seeds"] == [0, 1]


SMALL = dict(seeds=(0, 1), directions=("t2v",), n_queries=30, teachers=("labse", "muse"))
TIED = {("c2kd", "muse"): "all", ("c2kd", "labse"): "some", ("zero-shot", None): "some"}


@pytest.mark.parametrize(
    "spec",
    [
        RunSpec(**SMALL),
        RunSpec(**SMALL, masked={"de": (1, 3, 5), "zh": (2, 4)}),
        RunSpec(**SMALL, tied=TIED),
        RunSpec(**SMALL, tied=TIED, ties="pessimistic"),
        RunSpec(**SMALL, tied=TIED, ties="mean", masked={"fr": (0,)}),
    ],
    ids=["plain", "masked", "ties-optimistic", "ties-pessimistic", "ties-mean-masked"],
)
def test_hits_from_ranks_reproduce_stored_recall(tmp_path, spec):
    """Per-query hits (under the run's tie policy) average to the stored recall: null ranks are
    misses, the denominator is each language's n_queries, masked languages have fewer queries."""
    results, ranks, _, _ = load_runs([write_run(tmp_path, spec)])
    results, ranks = add_methods(results), add_methods(ranks)
    langs = list(spec.langs)
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
            assert hits.n_queries[li] == spec.n_queries + spec.absent - len(
                spec.masked.get(lang, ())
            )
    assert hits.parallel == (not spec.masked)


def test_constant_scores_read_as_the_policy_says(tmp_path):
    """Every query tied with every item: R@1 is 1 counted optimistically, 0 pessimistically,
    1 / n_items under the mean policy."""
    recall = {}
    for policy in ("optimistic", "pessimistic", "mean"):
        spec = RunSpec(**SMALL, tied={("c2kd", "muse"): "all"}, ties=policy, absent=0)
        results, ranks, _, _ = load_runs([write_run(tmp_path / policy, spec)])
        results, ranks = add_methods(results), add_methods(ranks)
        hits = query_hits(ranks, results, "demo", "t2v", 1, ["c2kd muse"], ["en"])
        recall[policy] = float(hits.hits[0].mean())
    assert recall == pytest.approx({"optimistic": 1.0, "pessimistic": 0.0, "mean": 1 / 30})


def test_old_rank_files_read_as_clip_query_and_no_ties(tmp_path):
    spec = RunSpec(**SMALL, ties=None)
    old = load_runs([write_run(tmp_path / "old", dataclasses.replace(spec, old_ranks=True))])
    new = load_runs([write_run(tmp_path / "new", spec)])
    assert old.ranks["tie_policy"].unique().to_list() == ["optimistic"]
    present = old.ranks.filter(pl.col("rank").is_not_null())
    assert (present["clip"] == present["query"]).all() and (present["ties"] == 0).all()
    key = ["cell", "lang", "direction", "query"]
    both = old.ranks.join(new.ranks, on=key, suffix="_new").filter(pl.col("rank").is_not_null())
    assert (both["rank"] == both["rank_new"]).all()


def test_languages_normalised_once_per_spelling(tmp_path, monkeypatch):
    from c2kd_analyze.analysis import load

    calls = []
    monkeypatch.setattr(load, "normalize_lang", lambda x: calls.append(x) or load_lang(x))
    results, ranks, diagnostics, _ = load_runs(
        [write_run(tmp_path, RunSpec(**{**SMALL, "seeds": (0,)}, langs=("en", "cz", "zh-CN")))]
    )
    assert set(results["lang"]) == set(ranks["lang"]) == {"en", "cs", "zh"}
    assert set(diagnostics["lang"]) == {"en", "cs", "zh"}
    # three spellings, three frames (results, ranks, diagnostics), and the declared languages
    assert len(calls) <= 3 * 3 + 3


def load_lang(code):
    from c2kd_analyze.lang import normalize_lang

    return normalize_lang(code)


def test_unknown_tie_policy_is_a_user_error(tmp_path):
    run = write_run(tmp_path, RunSpec(**SMALL))
    config = io.read_json(run / "config.json")
    io.write_json(run / "config.json", {**config, "config": {**config["config"], "ties": "random"}})
    with pytest.raises(UserError, match="unknown ties policy 'random'"):
        load_runs([run])


def test_pool_label_names_its_operation(tmp_path):
    spec = RunSpec(**{**SMALL, "seeds": (0,)}, pool=True, pool_op="mean")
    results, *_ = load_runs([write_run(tmp_path, spec)])
    labels = ordered_methods(add_methods(results, ["muse", "labse"]))
    assert labels == [
        "zero-shot", "translate-train", "teacher muse", "teacher labse", "c2kd muse",
        "c2kd labse", "c2kd pool mean(labse+muse)",
    ]  # fmt: skip


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
    path = demo_run / "cells" / "zero-shot-s0" / "metrics.parquet"
    frame = io.read_parquet(path)
    io.write_parquet(path, frame.with_columns(pl.col("value").cast(pl.String)))
    with pytest.raises(UserError, match="column value is String"):
        load_runs([demo_run])
    io.write_parquet(path, frame.drop("n_queries"))
    with pytest.raises(UserError, match=r"missing column\(s\) \['n_queries'\]"):
        load_runs([demo_run])


def test_recall_out_of_range_is_rejected(demo_run):
    path = demo_run / "cells" / "zero-shot-s0" / "metrics.parquet"
    frame = io.read_parquet(path)
    io.write_parquet(path, frame.with_columns(pl.col("value") * 100))  # a percentage by mistake
    with pytest.raises(UserError, match="invalid recall value"):
        load_runs([demo_run])


def test_two_runs_with_the_same_seed_and_other_numbers_conflict(tmp_path):
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, RunSpec(seeds=(0,), data_seed=8), run_id="demo-b")
    with pytest.raises(UserError, match="with different numbers; pass only one of them"):
        load_runs([a, b])


def test_a_cell_shared_by_two_runs_is_kept_once(tmp_path):
    """Two teacher recipes share their baselines: the same numbers in both runs, read once."""
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, RunSpec(seeds=(0,), teacher_recipe="english"), run_id="demo-b")
    results, ranks, _, _ = load_runs([a, b])
    baselines = results.filter(pl.col("teacher").is_null())
    assert baselines["run_id"].unique().to_list() == ["demo-a"]
    only_a = load_runs([a]).results
    assert baselines.height == only_a.filter(pl.col("teacher").is_null()).height
    students = results.filter(pl.col("stage") == "c2kd")
    assert sorted(students["teacher_recipe"].unique().to_list()) == ["english", "translate-train"]
    assert set(ranks.filter(pl.col("teacher").is_null())["run_id"].unique()) == {"demo-a"}
    from c2kd_analyze.analysis.systems import add_methods

    labels = set(add_methods(results)["method"].unique())
    assert {"c2kd labse [english]", "c2kd labse [translate-train]", "zero-shot"} <= labels


def test_two_runs_with_different_seeds_merge(tmp_path):
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, dataclasses.replace(RunSpec(), seeds=(1,)), run_id="demo-b")
    results, ranks, _, meta = load_runs([a, b])
    assert set(meta) == {"demo-a", "demo-b"}
    assert sorted(results["seed"].unique().to_list()) == [0, 1]
    assert np.all(ranks.group_by("run_id").len()["len"].to_numpy() > 0)


def test_rows_say_their_pool_and_tie_policy_and_older_rows_get_them_from_config(tmp_path):
    """Schema 2 rows carry ``pool`` and ``tie_policy``; a schema-1 run's rows lack them and get
    config.json's (compat), so both read the same."""
    new = write_run(tmp_path / "new", RunSpec(seeds=(0,), n_queries=12, pool=True, ties="mean"),
                    run_id="demo-new")  # fmt: skip
    old = write_run(tmp_path / "old", RunSpec(seeds=(0,), n_queries=12, pool=True, ties=None),
                    run_id="demo-old")  # fmt: skip
    pooled = io.read_parquet(next((new / "cells").glob("c2kd-pool-*")) / "metrics.parquet")
    assert set(pooled["pool"]) == {"max"} and set(pooled["tie_policy"]) == {"mean"}
    assert "pool" not in io.read_parquet(next((old / "cells").glob("c2kd-pool-*")) /
                                         "metrics.parquet").columns  # fmt: skip
    for run, policy in ((new, "mean"), (old, "optimistic")):
        results, ranks, _, _ = load_runs([run])
        pool_rows = results.filter(pl.col("stage") == "c2kd-pool")
        assert set(pool_rows["pool"]) == {"max"}
        assert results.filter(pl.col("stage") != "c2kd-pool")["pool"].null_count() == (
            results.filter(pl.col("stage") != "c2kd-pool").height
        )
        assert set(results["tie_policy"]) == {policy} == set(ranks["tie_policy"])
