"""Section 7, how the numbers are made (one description of each statistic, matching
:mod:`c2kd_analyze.analysis.stats`), and the run folders behind the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .blocks import Block, Bullets, Heading, Table
from .s0_warnings import POLICY_DOC
from .s2_results import TEST_NAME

if TYPE_CHECKING:
    from ..compare import Statistics
    from ..load import RunMeta


def method_blocks(stats: Statistics, meta: dict[str, RunMeta]) -> list[Block]:
    policies = sorted({m.tie_policy for m in meta.values()})
    ties = "; ".join(f"**{p}** ({POLICY_DOC[p]})" for p in policies)
    joint = ", ".join(
        f"{d}: jointly across languages (every language's queries are the same clips)"
        if p
        else f"{d}: per language (the languages' query sets differ: some captions are missing)"
        for d, p in sorted(stats.parallel.items())
    )
    return [
        Heading("How the numbers are made", 2),
        Bullets(
            (
                "Tables: mean ± sample std over seeds of each recall; the avg column is the mean "
                "over all evaluated languages (English included), averaged per seed first.",
                f"Per-query statistics use the stored ranks; ties between the true item and "
                f"others are counted as the run says: {ties}. A query missing from the data is a "
                "miss. With several seeds, a query's hit is its mean over the seeds.",
                f"Intervals: percentile bootstrap over queries, **{stats.n_resamples} resamples, "
                f"seed {stats.seed}**; queries resampled {joint}.",
                _test_text(stats),
                "Teacher rank = 1 + the number of students significantly better, so "
                "non-significant differences tie.",
            )
        ),
    ]


def _test_text(stats: Statistics) -> str:
    import polars as pl

    tests = pl.concat(
        [f.select("exact") for f in (stats.versus, stats.pairs) if not f.is_empty()]
        or [pl.DataFrame({"exact": []}, schema={"exact": pl.Boolean})]
    )
    n, n_exact = tests.height, int(tests["exact"].sum())
    if n_exact == n:
        how = f"all {n} p-values are exact (every sign pattern counted, by convolution)"
    else:
        how = (
            f"{n_exact} of {n} p-values are exact (every sign pattern counted, by convolution); "
            f"the other {n - n_exact} (language averages of languages with different query sets, "
            "or fractional hits under the mean tie policy) are Monte Carlo estimates over "
            f"{stats.n_resamples} random sign patterns (seed {stats.seed})"
        )
    return (
        f"Tests: the {TEST_NAME}. Under the null hypothesis the two systems are exchangeable on "
        "each query, so each per-query difference of hits is as likely negated; the two-sided p "
        "is the share of sign patterns whose |sum| reaches the observed one (for a language "
        f"average over parallel languages, one sign per clip); {how}. The interval of a "
        "difference is the paired bootstrap (same resamples for both systems). Holm's correction "
        "runs over all student-vs-baseline tests of one dataset, direction and k (languages and "
        "average together), and separately over all student pairs (for the ranking). α = 0.05."
    )


def _dataset_label(m: RunMeta) -> str:
    """``demo (synthetic; train_captions=5)``: the dataset, and the options that changed it."""
    notes = ["synthetic"] if m.synthetic else []
    notes += [f"{key}={value}" for key, value in m.config.get("dataset_options") or ()]
    return m.dataset + (f" ({'; '.join(notes)})" if notes else "")


def runs_blocks(meta: dict[str, RunMeta]) -> list[Block]:
    import polars as pl

    rows = [
        {
            "run": m.run_id,
            "dataset": _dataset_label(m),
            "seeds": ",".join(map(str, m.config.get("seeds", []))),
            "mode": str(m.config.get("mode", "")),
            "student": str(m.config.get("student") or "–"),
            "teachers": ",".join(m.teachers),
            "teacher recipe": str(m.config.get("teacher_recipe") or "translate-train"),
            "pool": m.pool or "–",
            "ties": m.tie_policy,
            "device": m.device_label,
            "git": str(m.git_sha or "")[:10],
            "folder": str(m.path),
        }
        for m in meta.values()
    ]
    return [Heading("Runs", 2), Table("runs", "Run folders in this report", pl.DataFrame(rows))]
