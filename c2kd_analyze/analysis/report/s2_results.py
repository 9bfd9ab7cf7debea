"""Section 2, results: R@k per system and language (the paper's layout, with significance and
tie marks), and median and mean rank. The headline direction's R@1 leads; its other k and the
other direction go to the appendix (:mod:`.s8_appendix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plots import DIRECTION_NAMES
from ..tables import rank_grid, recall_grid, recall_numeric
from .blocks import Block, Heading, Para, Table
from .s0_warnings import MARK_TIES, tie_directions, tie_marks
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl

MARK_TT, MARK_ZS = "*", "†"
#: the micro-average column of the recall tables (the macro average is ``avg``)
MICRO = "micro"
#: the one name of the test, in every caption and in the methods section
TEST_NAME = "paired sign-flip test over queries"
MARK_LEGEND = (
    f"{MARK_TT} differs significantly from translate-train, {MARK_ZS} from zero-shot "
    f"({TEST_NAME}, Holm-corrected, α = 0.05)"
)


def marks(view: DatasetView, direction: str, k: int) -> pl.DataFrame:
    """``method, lang, mark``: significance against each baseline, then ``‡`` for ties."""
    import polars as pl

    versus = view.family(view.stats.versus, direction, k)
    parts = [tie_marks(view, direction)]
    if not versus.is_empty():
        stage = pl.col("baseline").replace_strict(view.stages, return_dtype=pl.String)
        sig = versus.filter(pl.col("significant")).select(
            "method",
            "lang",
            pl.when(stage == "translate-train").then(pl.lit(MARK_TT)).otherwise(pl.lit(MARK_ZS))
            .alias("mark"),
        )  # fmt: skip
        parts.insert(0, sig)
    both = pl.concat(parts)
    order = pl.col("mark").replace_strict({MARK_TT: 0, MARK_ZS: 1, MARK_TIES: 2}, default=3)
    return (
        both.sort(order)
        .group_by("method", "lang")
        .agg(pl.col("mark").unique(maintain_order=True).str.join(""))
    )


def recall_table(view: DatasetView, direction: str, k: int) -> Table:
    """Systems x languages + avg (macro) + micro of R@k, mean ± std over seeds, with marks."""
    n = len(view.seeds)
    spread = f"mean ± std over {n} seeds" if n > 1 else "one seed"
    langs = list(view.langs)
    display = recall_grid(
        view.summary, view.dataset, direction, k, langs, marks(view, direction, k)
    )
    numeric = recall_numeric(view.summary, view.dataset, direction, k, langs)
    display, numeric = _with_micro(view, direction, k, display, numeric)
    tied = direction in tie_directions(view)
    ties = f"; {MARK_TIES} tied scores (see the warning at the top)" if tied else ""
    selected = (
        " Each model is its epoch with the best validation R@1 (--select-on-val; the epochs "
        "are named below the tables), not its last."
        if not view.selected.is_empty() else ""
    )  # fmt: skip
    caption = (
        f"{view.dataset}: {DIRECTION_NAMES[direction]} R@{k} (%), {spread}; avg = macro average "
        f"(the mean of the languages' recalls), {MICRO} = micro average (over every query of "
        f"every language).{selected} {MARK_LEGEND}{ties}"
    )
    return Table(f"{view.dataset}_{direction}_r{k}", caption, display, numeric)


def _with_micro(view: DatasetView, direction: str, k: int, display, numeric):
    """The recall grid and its numbers with the micro average as their last column."""
    import polars as pl

    from ..formatting import MISSING, mean_std_expr

    micro = view.micro.filter((pl.col("direction") == direction) & (pl.col("k") == k))
    tied = set(tie_marks(view, direction)["method"].to_list())  # its queries tie: ‡ as avg
    mark = pl.when(pl.col("method").is_in(list(tied))).then(pl.lit(MARK_TIES)).otherwise(pl.lit(""))
    value = mean_std_expr(pl.col("mean"), pl.col("std"), pl.col("n_seeds"))
    text = micro.select("method", pl.concat_str(value, mark).alias(MICRO))
    display = display.join(text, on="method", how="left").with_columns(
        pl.col(MICRO).fill_null(MISSING)
    )
    values = micro.select(
        "method",
        (pl.col("mean") * 100).alias(f"{MICRO}_mean"),
        (pl.col("std") * 100).alias(f"{MICRO}_std"),
    )
    return display, numeric.join(values, on="method", how="left")


def consistency_table(view: DatasetView) -> Table | None:
    """Mean rank variance over languages per system and direction (lower: more consistent)."""
    import polars as pl

    from ..formatting import fixed_expr, wide

    frame = view.consistency
    if frame.is_empty():
        return None
    text = (
        pl.when(pl.col("n_seeds") > 1)
        .then(
            pl.concat_str(
                fixed_expr(pl.col("mean"), 1), pl.lit(" ± "), fixed_expr(pl.col("std"), 1)
            )
        )
        .otherwise(fixed_expr(pl.col("mean"), 1))
    )
    long = frame.with_columns(
        pl.col("direction").replace_strict(DIRECTION_NAMES, return_dtype=pl.String).alias("dir"),
        text.alias("text"),
    )
    columns = [DIRECTION_NAMES[d] for d in view.directions]
    rows = [m for m in view.methods if m in set(frame["method"].to_list())]
    display = wide(long, "method", "dir", "text", columns, rows)
    clips = int(frame["n_clips"].max())  # type: ignore[arg-type]
    caption = (
        f"{view.dataset}: cross-language consistency, the mean over {clips} clips of the variance "
        "of a clip's rank across languages (lower: a clip is found as well whatever the "
        "language it is asked in; 0 = the same rank in every language), means over seeds"
    )
    numeric = frame.select("method", "direction", "mean", "std", "n_seeds", "n_clips")
    return Table(f"{view.dataset}_rank_consistency", caption, display, numeric)


def rank_table(view: DatasetView, direction: str) -> Table:
    """Median rank (mean rank) per system and language."""
    display, numeric = rank_grid(view.summary, view.dataset, direction, list(view.langs))
    caption = (
        f"{view.dataset}: {DIRECTION_NAMES[direction]} median rank (mean rank) of the true item, "
        "means over seeds (lower is better; queries missing from the data are left out)"
    )
    stack = len(view.langs) > 5  # mean rank on a second line: nine languages fit at 1400 px
    return Table(f"{view.dataset}_{direction}_ranks", caption, display, numeric, stack=stack)


def results_blocks(view: DatasetView) -> list[Block]:
    d = DIRECTION_NAMES[view.direction]
    blocks: list[Block] = [
        Heading(f"Results: {d}", 3),
        recall_table(view, view.direction, view.k1),
        rank_table(view, view.direction),
    ]
    consistency = consistency_table(view)
    blocks += [selection_para(view)] if not view.selected.is_empty() else []
    return blocks + ([consistency] if consistency is not None else [])


def selection_para(view: DatasetView) -> Para:
    """One sentence naming the epoch each cell reports on test under ``--select-on-val``."""
    n_seeds = len(set(view.selected["seed"].to_list()))
    order = {m: i for i, m in enumerate(view.methods)}  # the tables' row order
    rows = sorted(view.selected.select("method", "seed", "epoch", "epochs").iter_rows(),
                  key=lambda r: (order.get(r[0], len(order)), r[1]))  # fmt: skip
    parts = [
        f"{method}{f' (seed {seed})' if n_seeds > 1 else ''}: epoch {epoch} of {epochs}"
        for method, seed, epoch, epochs in rows
    ]
    return Para(
        "Selected on validation (--select-on-val): the test numbers of each model are of its "
        "epoch with the best mean validation R@1 over languages, not its last one; "
        + "; ".join(parts)
        + "."
    )
