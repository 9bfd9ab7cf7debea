"""Per-query hits, built from the stored ranks (nothing is re-evaluated).

A rank row holds the optimistic rank of the query's true item and its ``ties`` (other items
scoring exactly as it). Whether the query is a hit at k follows the run's tie policy
(``config.ties``) through :func:`c2kd_analyze.distill.metrics.hit_fraction`, the function the
evaluation itself uses: ``optimistic`` (rank <= k), ``pessimistic`` (rank + ties <= k) or ``mean``
(the probability that a random order of the tied items puts the true one within k). A query with
a null rank, or with no rank row at all, is a miss: the recall denominator is the language's
``n_queries``, as in the results. With several seeds, a query's hit is its mean over the seeds.

Query ``q`` of a language is its ``q``-th query (the clips with a caption in that language, in
clip order, then the ones the benchmark counts but the data lacks); ``clip`` says which clip it
is. Languages are *parallel* when every query position is the same clip in all of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..distill.metrics import check_ties, hit_fraction
from ..errors import UserError

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)

#: the clip of a query position that has no rank row, or whose clip is missing from the data
NO_CLIP = -1


@dataclass(frozen=True)
class QueryHits:
    """Seed-averaged hits of every method in every language for one dataset, direction and k.

    ``hits[l]`` is ``(len(methods), n_queries[l])`` in [0, 1]; row order follows ``methods``.
    ``clips[l]`` is ``(n_queries[l],)``: the clip of each query position (``NO_CLIP`` if none).
    """

    dataset: str
    direction: str
    k: int
    methods: tuple[str, ...]
    langs: tuple[str, ...]
    n_queries: tuple[int, ...]
    hits: tuple[np.ndarray, ...]
    clips: tuple[np.ndarray, ...]

    @property
    def parallel(self) -> bool:
        """True when query ``q`` is the same clip in every language (same query sets)."""
        first = self.clips[0]
        return all(np.array_equal(first, c) for c in self.clips[1:])

    def rows(self, methods: list[str]) -> list[np.ndarray]:
        """Per language, the ``(len(methods), n_l)`` rows of the given methods."""
        idx = [self.methods.index(m) for m in methods]
        return [h[idx] for h in self.hits]


def policy_hits(ranks: pl.DataFrame, k: int, policy: str | None = None) -> np.ndarray:
    """Per rank row, its hit at ``k`` under ``policy``, by default the row's ``tie_policy``
    (optimistic when the frame has no such column): ``(height,)`` float64, 0 for a null rank."""

    rank = ranks["rank"].to_numpy().astype(np.float64)  # null -> NaN
    tied = ranks["ties"].fill_null(0).to_numpy().astype(np.float64)
    present = ~np.isnan(rank)
    if policy is None and "tie_policy" in ranks.columns:
        column = ranks["tie_policy"]  # one mask per policy (polars: no object-array sort)
        masks = {str(p): (column == p).to_numpy() for p in column.unique().drop_nulls()}
    else:
        masks = {policy or "optimistic": np.ones(ranks.height, dtype=bool)}
    out = np.zeros(ranks.height)
    for name, mask in masks.items():
        rows = present & mask
        out[rows] = hit_fraction(rank[rows] - 1, tied[rows], k, check_ties(name))
    return out


def query_hits(
    ranks: pl.DataFrame,
    results: pl.DataFrame,
    dataset: str,
    direction: str,
    k: int,
    methods: list[str],
    langs: list[str],
) -> QueryHits:
    """Hits for ``methods`` x ``langs``; methods without ranks in every language are left out.

    ``ranks`` and ``results`` carry the ``method`` column of :func:`systems.add_methods`.
    """
    import polars as pl

    sel = ranks.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & pl.col("lang").is_in(langs)
    )
    n_by_lang = _n_queries(results, dataset, direction, langs)
    have = sel.group_by("method").agg(pl.col("lang").n_unique().alias("n"))
    complete = set(have.filter(pl.col("n") >= len(langs))["method"].to_list())
    kept = [m for m in methods if m in complete]
    if len(kept) < len(methods):
        log.warning(
            "no per-query ranks for %s on %s in every language; left out of the tests",
            sorted(set(methods) - complete),
            dataset,
        )
    sel = sel.filter(pl.col("method").is_in(kept))
    _check_queries(sel, n_by_lang, dataset)
    arrays = _hit_arrays(sel, k, kept, [(lang, n_by_lang[lang]) for lang in langs])
    clips = _clips(sel, n_by_lang, dataset)
    return QueryHits(
        dataset,
        direction,
        k,
        tuple(kept),
        tuple(langs),
        tuple(n_by_lang[lang] for lang in langs),
        tuple(arrays),
        tuple(clips[lang] for lang in langs),
    )


def _hit_arrays(
    sel: pl.DataFrame, k: int, methods: list[str], langs: list[tuple[str, int]]
) -> list[np.ndarray]:
    """Per (language, n_queries): the ``(len(methods), n)`` seed-averaged hits; 0 where a query
    has no rank row."""
    import polars as pl

    per_query = (
        sel.with_columns(
            pl.Series("hit", policy_hits(sel, k)),
            pl.col("method").replace_strict(methods, list(range(len(methods)))).alias("row"),
            pl.col("seed").n_unique().over("method", "lang").alias("n_seeds"),
        )
        .group_by("lang", "row", "query")
        .agg((pl.col("hit").sum() / pl.col("n_seeds").first()).alias("hit"))
    )
    by_lang = per_query.partition_by("lang", as_dict=True)
    arrays = []
    for lang, n in langs:
        arr = np.zeros((len(methods), n))
        part = by_lang.get((lang,))
        if part is not None:
            arr[part["row"].to_numpy(), part["query"].to_numpy()] = part["hit"].to_numpy()
        arrays.append(arr)
    return arrays


def _check_queries(sel: pl.DataFrame, n_by_lang: dict[str, int], dataset: str) -> None:
    import polars as pl

    bounds = sel.group_by("lang").agg(pl.col("query").min().alias("lo"), pl.col("query").max())
    for lang, lo, hi in bounds.iter_rows():
        n = n_by_lang[lang]
        if lo < 0 or hi >= n:
            raise UserError(
                f"{dataset}: a rank row's query index lies outside 0..{n - 1} ({lang}); the run "
                "folder is damaged"
            )


def _clips(sel: pl.DataFrame, n_by_lang: dict[str, int], dataset: str) -> dict[str, np.ndarray]:
    """The clip of each query position per language; every cell must agree on it."""
    import polars as pl

    pairs = sel.group_by("lang", "query").agg(
        pl.col("clip").first(), pl.col("clip").n_unique().alias("n_clips")
    )
    clash = pairs.filter(pl.col("n_clips") > 1)
    if clash.height:
        lang, query = clash.row(0)[:2]
        raise UserError(
            f"{dataset}: cells disagree on which clip query {query} of {lang} is; these runs "
            "used different test data, report them separately"
        )
    out = {lang: np.full(n, NO_CLIP, dtype=np.int64) for lang, n in n_by_lang.items()}
    for (lang,), part in pairs.partition_by("lang", as_dict=True).items():
        out[lang][part["query"].to_numpy()] = part["clip"].fill_null(NO_CLIP).to_numpy()
    return out


def _n_queries(
    results: pl.DataFrame, dataset: str, direction: str, langs: list[str]
) -> dict[str, int]:
    """The recall denominator per language (the largest one recorded, should methods disagree)."""
    import polars as pl

    sel = results.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == "recall")
    )
    agg = sel.group_by("lang").agg(
        pl.col("n_queries").max().alias("n"), pl.col("n_queries").n_unique().alias("distinct")
    )
    out = dict(zip(agg["lang"].to_list(), agg["n"].to_list(), strict=True))
    for lang in agg.filter(pl.col("distinct") > 1)["lang"].to_list():
        log.warning("%s %s: methods disagree on n_queries; using the largest", dataset, lang)
    missing = [lang for lang in langs if not out.get(lang)]
    if missing:
        raise UserError(
            f"{dataset}: no recall rows with n_queries for {missing}; the run folder is damaged"
        )
    return {lang: int(out[lang]) for lang in langs}
