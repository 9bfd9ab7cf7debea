"""Per-query hit indicators, built from the stored ranks (nothing is re-evaluated).

A query is a hit at k when its 1-based rank is at most k. A query with a null rank, or with no rank
row at all, is a miss: the recall denominator is the split's ``n_queries``, as in the results.
With several seeds, the hit of a query is the share of seeds in which it was a hit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryHits:
    """Seed-averaged hits of every method in every language for one dataset, direction and k.

    ``hits[l]`` is ``(len(methods), n_queries[l])`` in [0, 1]; row order follows ``methods``.
    """

    dataset: str
    direction: str
    k: int
    methods: tuple[str, ...]
    langs: tuple[str, ...]
    n_queries: tuple[int, ...]
    hits: tuple[np.ndarray, ...]

    def rows(self, methods: list[str]) -> list[np.ndarray]:
        """Per language, the ``(len(methods), n_l)`` rows of the given methods."""
        idx = [self.methods.index(m) for m in methods]
        return [h[idx] for h in self.hits]


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

    sel = ranks.filter((pl.col("dataset") == dataset) & (pl.col("direction") == direction))
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
    per_query = (
        sel.filter(pl.col("method").is_in(kept))
        .with_columns(
            (pl.col("rank").is_not_null() & (pl.col("rank") <= k)).cast(pl.Float64).alias("hit")
        )
        .with_columns(pl.col("seed").n_unique().over("method", "lang").alias("n_seeds"))
        .group_by("method", "lang", "query")
        .agg((pl.col("hit").sum() / pl.col("n_seeds").first()).alias("hit"))
    )
    arrays = []
    for lang in langs:
        n = n_by_lang[lang]
        arr = np.zeros((len(kept), n))
        part = per_query.filter(pl.col("lang") == lang)
        q = part["query"].to_numpy()
        if q.size and (q.min() < 0 or q.max() >= n):
            raise UserError(
                f"{dataset}: a rank row's query index lies outside 0..{n - 1} ({lang}); the run "
                "folder is damaged"
            )
        rows = np.array([kept.index(m) for m in part["method"].to_list()], dtype=np.int64)
        arr[rows, q] = part["hit"].to_numpy()
        arrays.append(arr)
    return QueryHits(
        dataset,
        direction,
        k,
        tuple(kept),
        tuple(langs),
        tuple(n_by_lang[lang] for lang in langs),
        tuple(arrays),
    )


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
