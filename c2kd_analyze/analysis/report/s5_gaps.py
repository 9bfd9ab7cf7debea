"""Section 5, gap to English: the gap of every system per language (heatmap), and the share of
translate-train's gap each student closes, always beside the student's own change in English
(the gap-by-language table is in the appendix)."""

from __future__ import annotations

from ..formatting import pct_expr, wide
from ..plots import DIRECTION_NAMES, plot_gap_closed, plot_gap_heatmap, render
from ..tables import AVG
from .blocks import Block, Figure, Heading, Para, Table
from .view import DatasetView

GAP_CLOSED_DOC = (
    "Gap to English = R@1 in English minus R@1 in the language, each system against its own "
    "English result. Gap closed = (gap of translate-train - gap of the student) / gap of "
    "translate-train = (the student's change in the language - its change in English) / gap of "
    "translate-train, each change against translate-train: 100% = English parity, 0% = no "
    "better than translate-train, negative = a wider gap; undefined (–) where translate-train's "
    "gap is under one query's worth (1 / n_queries). A student whose English falls closes gap "
    "without gaining anything, so read each share beside the student's **Δ en**; the avg column "
    "uses the mean gap over the non-English languages."
)
EN_CHANGE = "Δ en (points)"
LANG_CHANGE = "Δ other languages (points)"


def gap_blocks(view: DatasetView) -> list[Block]:
    """The gap heatmap, the gap-closed table beside the English change, and its chart."""
    gaps = view.family(view.gaps)
    if gaps.is_empty() or not view.compared():
        return [
            Heading("Gap to English", 3),
            Para("No gap to English: English or the other languages are missing."),
        ]
    blocks: list[Block] = [Heading("Gap to English", 3), Para(GAP_CLOSED_DOC), _gap_heatmap(view)]
    closed = view.family(view.closed)
    if closed.is_empty():
        return blocks
    return [*blocks, _closed_table(view, closed), _closed_figure(view, closed)]


def _others(view: DatasetView) -> list[str]:
    return [x for x in view.langs if x != "en"] + [AVG]


def _gap_heatmap(view: DatasetView) -> Figure:
    import polars as pl

    methods = view.compared()
    d, k = DIRECTION_NAMES[view.direction], view.k1
    gaps = view.family(view.gaps).filter(pl.col("method").is_in(methods))
    fig = plot_gap_heatmap(
        gaps, methods, _others(view), f"{view.dataset}: gap to English, {d} R@{k}"
    )
    png, svg = render(fig)
    return Figure(f"{view.dataset}_gap_heatmap", f"Gap to English in {d} R@{k} (points)", png, svg)


def _closed_table(view: DatasetView, closed) -> Table:
    import polars as pl

    students = [m for m in view.students() if m in set(closed["method"].to_list())]
    share = closed.select("method", "lang", pct_expr(pl.col("gap_closed")).alias("text"))
    avg = closed.filter(pl.col("lang") == AVG)
    changes = pl.concat(
        [
            avg.select(
                "method",
                pl.lit(EN_CHANGE).alias("lang"),
                pct_expr(pl.col("en_change"), signed=True).alias("text"),
            ),
            avg.select(
                "method",
                pl.lit(LANG_CHANGE).alias("lang"),
                pct_expr(pl.col("lang_change"), signed=True).alias("text"),
            ),
        ]
    )
    columns = [EN_CHANGE, LANG_CHANGE, *_others(view)]
    display = wide(pl.concat([changes, share]), "method", "lang", "text", columns, students)
    display = display.with_columns(
        pl.col("method").replace_strict(view.names, return_dtype=pl.String)
    ).rename({"method": "teacher"})
    caption = (
        f"{view.dataset}: share of translate-train's gap to English that each student closes, per "
        f"language (%), beside the student's own change against translate-train in English and "
        f"in the other languages (R@{view.k1}, points)"
    )
    numeric = closed.select(
        "method", "lang", "gap_translate_train", "gap", "gap_closed", "en_change", "lang_change"
    )
    return Table(f"{view.dataset}_{view.direction}_gap_closed", caption, display, numeric)


def _closed_figure(view: DatasetView, closed) -> Figure:
    students = [m for m in view.students() if m in set(closed["method"].to_list())]
    fig = plot_gap_closed(
        closed,
        students,
        _others(view),
        f"{view.dataset}: gap closed vs translate-train, R@{view.k1}",
        view.colours,
    )
    png, svg = render(fig)
    caption = "Share of translate-train's gap to English closed (%); see Δ en in the table"
    return Figure(f"{view.dataset}_gap_closed", caption, png, svg)


def gap_table(view: DatasetView) -> Table | None:
    """The gap to English of every system per language (points), for the appendix."""
    import polars as pl

    gaps = view.family(view.gaps)
    if gaps.is_empty():
        return None
    methods = [m for m in view.compared() if m in set(gaps["method"].to_list())]
    long = gaps.select("method", "lang", pct_expr(pl.col("gap")).alias("text"))
    return Table(
        f"{view.dataset}_{view.direction}_gap",
        f"{view.dataset}: gap to English, R@{view.k1} (points)",
        wide(long, "method", "lang", "text", _others(view), methods),
        gaps.select("method", "lang", "gap"),
    )
