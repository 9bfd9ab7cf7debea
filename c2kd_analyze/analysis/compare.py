"""The statistics of one report: intervals, student-vs-baseline tests, teacher ranking.

A *family* is one dataset, direction and k. Within it every method shares the same bootstrap
resamples and sign flips (:mod:`stats`), and Holm's correction runs over

- all tests of C2KD students (single teacher or pool) against translate-train and zero-shot, per
  language and for the average, and, separately,
- all pairwise tests between C2KD students, per language and for the average (for the ranking).

A teacher's rank in a language is 1 + the number of students significantly better than its
student there (Holm-adjusted p < ALPHA), so students that do not differ significantly tie.
Languages share one set of resamples only when their queries are the same clips
(:attr:`hits.QueryHits.parallel`); a language with captions missing for some clips is resampled on
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from . import stats
from .hits import QueryHits, query_hits
from .systems import BASELINES, STUDENT_STAGES
from .tables import AVG

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Statistics:
    """Frames of one report (all families stacked); recall values in [0, 1].

    ``intervals``: dataset, direction, k, method, lang, recall, low, high.
    ``versus``: dataset, direction, k, method, baseline, lang, diff, low, high, p, exact, p_holm,
    significant (``exact``: the p-value is exact, else Monte Carlo).
    ``pairs``: dataset, direction, k, a, b, lang, and the same columns.
    ``ranks``: dataset, direction, k, method, lang, recall, rank.
    """

    intervals: pl.DataFrame
    versus: pl.DataFrame
    pairs: pl.DataFrame
    ranks: pl.DataFrame
    n_resamples: int
    seed: int
    parallel: dict[str, bool]  # dataset -> whether its test queries were resampled jointly


def compute_statistics(
    results: pl.DataFrame,
    ranks: pl.DataFrame,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    languages: dict[str, tuple[str, ...]] | None = None,
) -> Statistics:
    """Every family of the runs (frames carry ``method``: :func:`systems.add_methods`).

    ``languages``: dataset -> its declared language order (English is put first regardless).
    """
    import polars as pl

    from .systems import ordered_langs, ordered_methods

    languages = languages or {}
    recall = results.filter(pl.col("metric") == "recall")
    parts: dict[str, list[pl.DataFrame]] = {"intervals": [], "versus": [], "pairs": [], "ranks": []}
    parallel: dict[str, bool] = {}
    families = recall.select("dataset", "direction", "k").unique().sort("dataset", "direction", "k")
    for dataset, direction, k in families.iter_rows():
        sel = recall.filter((pl.col("dataset") == dataset) & (pl.col("direction") == direction))
        langs = ordered_langs(sel["lang"].to_list(), languages.get(dataset, ()))
        hits = query_hits(ranks, results, dataset, direction, int(k), ordered_methods(sel), langs)
        if not hits.methods:
            continue
        rng = stats.family_rng(seed, dataset, direction, k)
        rs = stats.make_resampler(list(hits.n_queries), n_resamples, rng, parallel=hits.parallel)
        parallel[dataset] = parallel.get(dataset, True) and rs.parallel
        systems = {
            m: (st, md) for m, st, md in sel.select("method", "stage", "mode").unique().rows()
        }
        for name, frame in _family(hits, rs, systems).items():
            parts[name].append(frame)
    if not parts["intervals"]:
        from ..errors import UserError

        raise UserError(
            "no per-query ranks in the given runs; statistics need ranks.parquet in each cell"
        )
    out = {name: pl.concat(frames, how="diagonal_relaxed") for name, frames in parts.items()}
    return Statistics(**out, n_resamples=n_resamples, seed=seed, parallel=parallel)


def _family(
    hits: QueryHits, rs: stats.Resampler, systems: dict[str, tuple[str, str]]
) -> dict[str, pl.DataFrame]:
    """``systems``: method -> (stage, mode). Students are tested against the baselines of their
    own mode."""
    import polars as pl

    cols = [*hits.langs, AVG]
    key = {"dataset": hits.dataset, "direction": hits.direction, "k": hits.k}
    point = stats.point_means(list(hits.hits))
    low, high = stats.percentile_interval(stats.bootstrap_means(list(hits.hits), rs))
    methods = {"method": list(hits.methods)}
    intervals = _long(key, methods, cols, recall=point, low=low, high=high)
    students = [m for m in hits.methods if systems[m][0] in STUDENT_STAGES]
    baselines = [m for m in hits.methods if systems[m][0] in BASELINES]
    against = [(s, b) for s in students for b in baselines if systems[s][1] == systems[b][1]]
    versus = _tests(hits, rs, against, ("method", "baseline"), key, cols)
    pairs = _tests(hits, rs, list(combinations(students, 2)), ("a", "b"), key, cols)
    ranks = _rank(students, hits, point, pairs, key, cols)
    empty = pl.DataFrame()
    return {
        "intervals": intervals,
        "versus": versus if versus is not None else empty,
        "pairs": pairs if pairs is not None else empty,
        "ranks": ranks,
    }


def _tests(hits, rs, pairs, names, key, cols) -> pl.DataFrame | None:
    if not pairs:
        return None
    a_rows = hits.rows([a for a, _ in pairs])
    b_rows = hits.rows([b for _, b in pairs])
    import polars as pl

    res = stats.paired_test([a - b for a, b in zip(a_rows, b_rows, strict=True)], rs)
    p_holm = stats.holm(res.p)
    ids = {names[0]: [a for a, _ in pairs], names[1]: [b for _, b in pairs]}
    values = dict(diff=res.diff, low=res.low, high=res.high, p=res.p, p_holm=p_holm)
    frame = _long(key, ids, cols, **values, exact=res.exact.astype(float))
    return frame.with_columns(
        pl.col("exact").cast(pl.Boolean), (pl.col("p_holm") < stats.ALPHA).alias("significant")
    )


def _rank(students, hits, point, pairs, key, cols) -> pl.DataFrame:
    import polars as pl

    if not students:
        return pl.DataFrame()
    idx = [hits.methods.index(s) for s in students]
    frame = _long(key, {"method": students}, cols, recall=point[idx])
    return rank_students(frame, pairs if pairs is not None else pl.DataFrame())


def rank_students(
    students: pl.DataFrame, pairs: pl.DataFrame, leave_out: frozenset[str] = frozenset()
) -> pl.DataFrame:
    """Rank = 1 + the number of students significantly better (Holm) in that column.

    ``students``: one row per (dataset, direction, k, method, lang) (a ``rank`` column is
    replaced); ``pairs``: the pairwise tests. Students in ``leave_out`` are dropped and do not
    count as better than anyone (e.g. a system whose scores are constant).
    """
    import polars as pl

    keys = ["dataset", "direction", "k", "lang"]
    kept = students.filter(~pl.col("method").is_in(list(leave_out)))
    kept = kept.drop("rank") if "rank" in kept.columns else kept
    if pairs.is_empty():
        return kept.with_columns(pl.lit(1, pl.Int64).alias("rank"))
    gone = pl.col("a").is_in(list(leave_out)) | pl.col("b").is_in(list(leave_out))
    loser = pl.when(pl.col("diff") > 0).then(pl.col("b")).otherwise(pl.col("a")).alias("method")
    beaten = pairs.filter(pl.col("significant") & ~gone).group_by(*keys, loser).len("better")
    return kept.join(beaten, on=[*keys, "method"], how="left").select(
        *kept.columns, (1 + pl.col("better").fill_null(0)).cast(pl.Int64).alias("rank")
    )


def _long(
    key: dict, ids: dict[str, list[str]], cols: list[str], **values: np.ndarray
) -> pl.DataFrame:
    """``(P, C)`` arrays -> one row per (id, column)."""
    import polars as pl

    n_rows, n_cols = next(iter(values.values())).shape
    data: dict[str, object] = {k: [v] * (n_rows * n_cols) for k, v in key.items()}
    for name, labels in ids.items():
        data[name] = [label for label in labels for _ in cols]
    data["lang"] = list(cols) * n_rows
    for name, arr in values.items():
        data[name] = np.asarray(arr, dtype=float).ravel().tolist()
    return pl.DataFrame(data).with_columns(pl.col("k").cast(pl.Int64))
