"""Section 4, teachers ranked: each teacher's student per language, tied where the pairwise
tests find no significant difference, and the heatmap of R@1 by system and language."""

from __future__ import annotations

from ..formatting import pct_expr, wide
from ..plots import DIRECTION_NAMES, plot_recall_heatmap, render
from ..tables import AVG
from .blocks import Block, Figure, Heading, Table
from .s0_warnings import tie_marks
from .s2_results import TEST_NAME
from .view import DatasetView


def ranking_blocks(view: DatasetView) -> list[Block]:
    heatmap = [_heatmap(view)] if view.compared() else []
    return [Heading("Teachers ranked", 3), *_ranking_table(view), *heatmap]


def _ranking_table(view: DatasetView) -> list[Block]:
    import polars as pl

    ranks = view.family(view.stats.ranks)
    if ranks.is_empty():
        return []
    text = pl.concat_str(
        pl.col("rank").cast(pl.String), pl.lit(" ("), pct_expr(pl.col("recall")), pl.lit(")")
    )
    marks = tie_marks(view, view.direction)
    long = ranks.join(marks, on=["method", "lang"], how="left").select(
        pl.col("method").replace_strict(view.names, return_dtype=pl.String).alias("teacher"),
        "lang",
        pl.concat_str(text, pl.col("mark").fill_null("")).alias("text"),
    )
    rows = [view.teacher_of(m) for m in view.students()]
    n_pairs = view.family(view.stats.pairs).height
    caption = (
        f"{view.dataset}: rank of each teacher's student by {DIRECTION_NAMES[view.direction]} "
        f"R@{view.k1} (R@{view.k1} % in brackets); rank = 1 + the number of students "
        f"significantly better ({TEST_NAME}, Holm over all {n_pairs} student pairs), so "
        "students that do not differ significantly share a rank"
    )
    return [
        Table(
            f"{view.dataset}_{view.direction}_teacher_ranks",
            caption,
            wide(long, "teacher", "lang", "text", [*view.langs, AVG], rows),
            ranks.select("method", "lang", "recall", "rank"),
        )
    ]


def _heatmap(view: DatasetView) -> Figure:
    import polars as pl

    methods = view.compared()
    d, k = DIRECTION_NAMES[view.direction], view.k1
    rec = view.recall(view.direction, k).filter(pl.col("method").is_in(methods))
    fig = plot_recall_heatmap(
        rec.select("method", "lang", pl.col("mean").alias("recall")),
        methods,
        [*view.langs, AVG],
        f"{view.dataset}: {d} R@{k} (%)",
    )
    png, svg = render(fig)
    return Figure(f"{view.dataset}_r{k}_heatmap", f"{d} R@{k} (%) by method and language", png, svg)
