"""Section 3, intervals and significance: R@1 with bootstrap intervals (table and bars), and a
one-screen summary of every student-vs-baseline test; the full test table (difference, interval,
raw and Holm p per language) is in the appendix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formatting import interval_expr, p_expr, pct_expr, wide
from ..plots import DIRECTION_NAMES, plot_recall_bars, render
from ..tables import AVG
from .blocks import Block, Figure, Heading, Para, Table
from .s2_results import TEST_NAME
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl

#: tables of intervals show them on a second line beyond this many languages (HTML)
STACK_ABOVE = 5


def significance_blocks(view: DatasetView) -> list[Block]:
    return [Heading("Intervals and significance", 3), *interval_blocks(view), *test_summary(view)]


def interval_blocks(view: DatasetView) -> list[Block]:
    """Bootstrap intervals of R@k (table and bar chart) in the headline direction."""
    import polars as pl

    k, d = view.k1, DIRECTION_NAMES[view.direction]
    iv = view.family(view.stats.intervals)
    methods = [m for m in view.compared() if m in set(iv["method"].to_list())]
    if not methods:
        return [Para("No baselines or students with per-query ranks, so no intervals.")]
    text = interval_expr(pl.col("recall"), pl.col("low"), pl.col("high"))
    long = iv.select("method", "lang", text.alias("text"))
    caption = (
        f"{view.dataset}: {d} R@{k} (%) with 95% bootstrap intervals over queries (per-query "
        f"hits averaged over seeds; {view.stats.n_resamples} resamples)"
    )
    table = Table(
        f"{view.dataset}_{view.direction}_r{k}_intervals",
        caption,
        wide(long, "method", "lang", "text", [*view.langs, AVG], methods),
        iv.select("method", "lang", "recall", "low", "high"),
        stack=len(view.langs) > STACK_ABOVE,
    )
    fig = plot_recall_bars(
        iv, methods, [*view.langs, AVG], f"{view.dataset}: {d} R@{k} per language", view.colours
    )
    png, svg = render(fig)
    caption = f"R@{k} per language with 95% bootstrap intervals"
    return [table, Figure(f"{view.dataset}_r{k}_bars", caption, png, svg)]


def _versus_rows(view: DatasetView, versus: pl.DataFrame) -> pl.DataFrame:
    """``versus`` with a ``row`` label (``"<teacher> vs <baseline>"``), in row order."""
    import polars as pl

    pairs = [(s, b) for s in view.students() for b in view.baselines()]
    order = {f"{s}\x00{b}": i for i, (s, b) in enumerate(pairs)}
    key = pl.concat_str("method", pl.lit("\x00"), "baseline")
    return (
        versus.with_columns(key.replace_strict(order, default=len(order)).alias("pair"))
        .sort("pair")
        .with_columns(
            pl.concat_str(
                pl.col("method").replace_strict(view.names, return_dtype=pl.String),
                pl.lit(" vs "),
                "baseline",
            ).alias("row")
        )
    )


def test_summary(view: DatasetView) -> list[Block]:
    """Student minus baseline in points per language; * where significant (Holm)."""
    import polars as pl

    versus = view.family(view.stats.versus)
    if versus.is_empty():
        return [Para("No student-vs-baseline tests: the runs lack C2KD students or baselines.")]
    rows = _versus_rows(view, versus)
    mark = pl.when(pl.col("significant")).then(pl.lit("*")).otherwise(pl.lit(""))
    text = pl.concat_str(pct_expr(pl.col("diff"), signed=True), mark).alias("text")
    long = rows.select("row", "lang", text)
    n_sig = int(versus["significant"].sum())
    d = DIRECTION_NAMES[view.direction]
    caption = (
        f"{view.dataset}: each teacher's student minus each baseline, {d} "
        f"R@{view.k1} (points); * = significant ({TEST_NAME}, Holm over all "
        f"{versus.height} tests, α = 0.05): {n_sig} of {versus.height}. Intervals and p-values: "
        "appendix"
    )
    display = wide(
        long,
        "row",
        "lang",
        "text",
        [*view.langs, AVG],
        rows["row"].unique(maintain_order=True).to_list(),
    )
    return [
        Table(
            f"{view.dataset}_{view.direction}_r{view.k1}_tests_summary",
            caption,
            display.rename({"row": "student vs"}),
        )
    ]


def test_table(view: DatasetView) -> Table | None:
    """Every student-vs-baseline test: difference, interval, p and Holm p (for the appendix)."""
    import polars as pl

    versus = view.family(view.stats.versus)
    if versus.is_empty():
        return None
    rows = _versus_rows(view, versus)
    display = rows.select(
        pl.col("row").alias("student vs"),
        pl.col("lang").alias("language"),
        interval_expr(pl.col("diff"), pl.col("low"), pl.col("high"), signed=True).alias(
            "Δ (points) [95% CI]"
        ),
        p_expr(pl.col("p")).alias("p"),
        p_expr(pl.col("p_holm")).alias("p (Holm)"),
        pl.when(pl.col("significant"))
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no"))
        .alias("significant"),
    )
    caption = (
        f"{view.dataset}: each teacher's student against each baseline in "
        f"{DIRECTION_NAMES[view.direction]} R@{view.k1}: difference (student minus baseline) with "
        f"its 95% paired-bootstrap interval, the {TEST_NAME} p and the Holm-adjusted p"
    )
    numeric = versus.select(
        "method", "baseline", "lang", "diff", "low", "high", "p", "exact", "p_holm", "significant"
    )
    return Table(f"{view.dataset}_{view.direction}_r{view.k1}_tests", caption, display, numeric)
