"""Two views across a system's languages: the micro average, and how consistently it ranks a clip.

- **Macro vs micro.** The tables' ``avg`` is the *macro* average: the mean of the per-language
  recalls (each language weighs the same, as the paper's averages). The *micro* average pools
  every query of every language: ``sum_l hits_l / sum_l n_l`` with ``hits_l = R@k_l * n_l``.
  They differ when languages have different numbers of queries (captions missing in some
  language); on parallel test sets they are equal.
- **Cross-language consistency** (mean rank variance, as CCRK reports it): for each clip, the
  variance over languages of the rank its query gets (text-to-video: the rank of the true clip
  for its caption in each language; video-to-text: the rank of its caption among that
  language's captions), population variance (ddof = 0) over the languages where the clip has a
  query, averaged over the clips that have a query in at least two languages. 0 means the system
  ranks every clip the same whatever the language; the higher, the more a clip's fate depends on
  the language it is asked in. Ranks are the optimistic ranks the run stored.

Both are computed per seed, then mean and std over seeds, like every other number of the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

#: a system within a dataset (the keys of :func:`systems.add_methods` frames)
_SYSTEM = ("dataset", "method", "order", "direction")


def micro_average(results: pl.DataFrame) -> pl.DataFrame:
    """Micro-averaged recall per system, direction and k: columns ``dataset, method, order,
    direction, k, mean, std, n_seeds, n_queries`` (``n_queries``: all languages' queries of a
    seed). ``results`` carries ``method``/``order`` (:func:`systems.add_methods`)."""
    import polars as pl

    recall = results.filter(pl.col("metric") == "recall")
    per_seed = recall.group_by(*_SYSTEM, "k", "seed").agg(
        ((pl.col("value") * pl.col("n_queries")).sum() / pl.col("n_queries").sum()).alias("micro"),
        pl.col("n_queries").sum(),
    )
    return (
        per_seed.group_by(*_SYSTEM, "k")
        .agg(
            pl.col("micro").mean().alias("mean"),
            pl.col("micro").std(ddof=1).alias("std"),
            pl.col("seed").n_unique().alias("n_seeds"),
            pl.col("n_queries").max(),
        )
        .sort("dataset", "order", "direction", "k")
    )


def rank_consistency(ranks: pl.DataFrame) -> pl.DataFrame:
    """Mean rank variance over languages per system and direction (see the module docstring):
    columns ``dataset, method, order, direction, mean, std, n_seeds, n_clips``. ``ranks`` is the
    report's rank frame with ``method``/``order``."""
    import polars as pl

    ranked = ranks.filter(pl.col("rank").is_not_null() & pl.col("clip").is_not_null())
    per_clip = (
        ranked.group_by(*_SYSTEM, "seed", "clip")
        .agg(pl.col("rank").cast(pl.Float64).var(ddof=0).alias("var"), pl.len().alias("n_langs"))
        .filter(pl.col("n_langs") >= 2)
    )
    per_seed = per_clip.group_by(*_SYSTEM, "seed").agg(
        pl.col("var").mean().alias("mrv"), pl.len().alias("n_clips")
    )
    return (
        per_seed.group_by(*_SYSTEM)
        .agg(
            pl.col("mrv").mean().alias("mean"),
            pl.col("mrv").std(ddof=1).alias("std"),
            pl.col("seed").n_unique().alias("n_seeds"),
            pl.col("n_clips").max(),
        )
        .sort("dataset", "order", "direction")
    )
