"""Aggregation over seeds and the paper's table layout: one row per system (in the one row order
of :mod:`systems`), one column per language (English first) and their average, ``avg``.

The language average of a seed is the mean over the system's evaluated languages, English
included (as the paper's per-epoch averages); its mean and std over seeds are taken after
averaging. Std is the sample std (ddof=1), null with one seed. Recall is stored in [0, 1] and
shown x100. :func:`results_table` is the table ``c2kd-analyze run`` prints; the report's tables are
built by the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .formatting import fixed_expr, mean_std_expr, wide
from .systems import add_methods, ordered_langs, ordered_methods

if TYPE_CHECKING:
    import polars as pl

#: the language-average column, everywhere
AVG = "avg"
_GROUP = (
    "dataset", "method", "order", "stage", "teacher", "pool", "teacher_recipe", "mode",
    "direction", "metric", "k",
)  # fmt: skip


def summarize(results: pl.DataFrame) -> pl.DataFrame:
    """Mean and std over seeds per system, language, direction, metric, k (plus ``lang = "avg"``).

    ``results`` carries the ``method``/``order`` columns of :func:`systems.add_methods`. Columns of
    the answer: the group keys, ``lang``, ``mean``, ``std``, ``n_seeds``, ``n_queries``.
    """
    import polars as pl

    avg = (
        results.group_by(*_GROUP, "seed")
        .agg(pl.col("value").mean(), pl.col("n_queries").max())
        .with_columns(pl.lit(AVG).alias("lang"))
    )
    per_lang = results.select(*_GROUP, "seed", "value", "n_queries", "lang")
    both = pl.concat([per_lang, avg.select(per_lang.columns)])
    return (
        both.group_by(*_GROUP, "lang")
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.col("seed").n_unique().alias("n_seeds"),
            pl.col("n_queries").max().alias("n_queries"),
        )
        .sort(["dataset", "order", "direction", "metric", "k", "lang"], nulls_last=False)
    )


def results_table(
    results: pl.DataFrame,
    languages: list[str] | None = None,
    teachers: list[str] | None = None,
    direction: str = "t2v",
    k: int = 1,
    pool: str | None = None,
) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of strings: R@k x100 per language and ``avg``, ``mean ± std`` over seeds
    when there are several; one dataset's rows in the result schema.

    ``languages``: the dataset's declared order (English moves first; default: first appearance).
    ``teachers``: the ``--teachers`` order of the rows. ``pool``: the run's pooling operation,
    named in the pool's label (``c2kd pool max(a+b)``). A system lacking a language reads "–".
    """
    import polars as pl

    if results.select("dataset").n_unique() > 1:
        raise ValueError("results_table takes one dataset's results")
    frame = results if "pool" in results.columns else results.with_columns(pool=pl.lit(None))
    if pool is not None:  # rows of a run written before they named their pool
        unnamed = (pl.col("stage") == "c2kd-pool") & pl.col("pool").is_null()
        frame = frame.with_columns(
            pl.when(unnamed).then(pl.lit(pool, pl.String)).otherwise(pl.col("pool")).alias("pool")
        )
    frame = add_methods(frame, teachers or ())
    chosen = frame.filter((pl.col("direction") == direction) & (pl.col("metric") == "recall"))
    summary = summarize(chosen.filter(pl.col("k") == k))
    langs = ordered_langs(chosen["lang"].unique(maintain_order=True).to_list(), languages or ())
    if summary.is_empty():
        return ["method", *langs, AVG], []
    table = recall_grid(summary, str(summary["dataset"][0]), direction, k, langs)
    return table.columns, [list(row) for row in table.iter_rows()]


def _select(summary: pl.DataFrame, dataset: str, direction: str, metric: str, k: int | None):
    import polars as pl

    keep = (
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == metric)
    )
    return summary.filter(keep & (pl.col("k") == k) if k is not None else keep)


def recall_grid(
    summary: pl.DataFrame,
    dataset: str,
    direction: str,
    k: int,
    langs: list[str],
    marks: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The paper's layout as strings: ``method``, one column per language, ``avg``.

    A cell reads ``"45.2 ± 1.1"`` (x100; ``± std`` only over several seeds) followed by its mark
    from ``marks`` (columns method, lang, mark), e.g. significance ``*†`` or ties ``‡``.
    """
    import polars as pl

    sel = _select(summary, dataset, direction, "recall", k)
    text = mean_std_expr(pl.col("mean"), pl.col("std"), pl.col("n_seeds"))
    long = sel.select("method", "lang", text.alias("text"))
    if marks is not None and not marks.is_empty():
        long = long.join(marks.select("method", "lang", "mark"), on=["method", "lang"], how="left")
        long = long.with_columns(pl.concat_str("text", pl.col("mark").fill_null("")).alias("text"))
    return wide(long, "method", "lang", "text", [*langs, AVG], ordered_methods(sel))


def recall_numeric(
    summary: pl.DataFrame, dataset: str, direction: str, k: int, langs: list[str]
) -> pl.DataFrame:
    """The same layout as numbers (recall x100) for CSV: ``<lang>_mean`` and ``<lang>_std``."""
    import polars as pl

    sel = _select(summary, dataset, direction, "recall", k)
    wide_num = sel.with_columns(pl.col("mean") * 100, pl.col("std") * 100).pivot(
        on="lang", index=["order", "method"], values=["mean", "std"]
    )
    names = [
        f"{stat}_{lang}"
        for lang in [*langs, AVG]
        for stat in ("mean", "std")
        if f"{stat}_{lang}" in wide_num.columns
    ]
    wide_num = wide_num.sort("order", "method").select("method", *names)
    return wide_num.rename({n: f"{n.split('_', 1)[1]}_{n.split('_', 1)[0]}" for n in names})


def rank_grid(summary: pl.DataFrame, dataset: str, direction: str, langs: list[str]):
    """Median rank (mean rank) per system and language, means over seeds: ``"2.0 (7.3)"``.

    Returns ``(display, numeric)``; numeric has method, lang, median_rank, mean_rank.
    """
    import polars as pl

    median = _select(summary, dataset, direction, "median_rank", None)
    mean = _select(summary, dataset, direction, "mean_rank", None)
    both = median.select("order", "method", "lang", pl.col("mean").alias("median_rank")).join(
        mean.select("method", "lang", pl.col("mean").alias("mean_rank")),
        on=["method", "lang"],
        how="full",
        coalesce=True,
    )
    text = pl.concat_str(
        fixed_expr(pl.col("median_rank"), 1), pl.lit(" ("), fixed_expr(pl.col("mean_rank"), 1),
        pl.lit(")"),
    )  # fmt: skip
    long = both.select("method", "lang", text.alias("text"))
    display = wide(long, "method", "lang", "text", [*langs, AVG], ordered_methods(median))
    numeric = both.sort("order").select("method", "lang", "median_rank", "mean_rank")
    return display, numeric
