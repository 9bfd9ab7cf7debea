"""Section 2, results: R@k per system and language (the paper's layout, with significance and
tie marks), and median and mean rank. The headline direction's R@1 leads; its other k and the
other direction go to the appendix (:mod:`.s8_appendix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plots import DIRECTION_NAMES
from ..tables import rank_grid, recall_grid, recall_numeric
from .blocks import Block, Heading, Table
from .s0_warnings import MARK_TIES, tie_directions, tie_marks
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl

MARK_TT, MARK_ZS = "*", "†"
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
    """Systems x languages + avg of R@k, mean ± std over seeds, with marks."""
    n = len(view.seeds)
    spread = f"mean ± std over {n} seeds" if n > 1 else "one seed"
    langs = list(view.langs)
    display = recall_grid(
        view.summary, view.dataset, direction, k, langs, marks(view, direction, k)
    )
    numeric = recall_numeric(view.summary, view.dataset, direction, k, langs)
    tied = direction in tie_directions(view)
    ties = f"; {MARK_TIES} tied scores (see the warning at the top)" if tied else ""
    caption = (
        f"{view.dataset}: {DIRECTION_NAMES[direction]} R@{k} (%), {spread}; avg = mean over all "
        f"languages. {MARK_LEGEND}{ties}"
    )
    return Table(f"{view.dataset}_{direction}_r{k}", caption, display, numeric)


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
    return [
        Heading(f"Results: {d}", 3),
        recall_table(view, view.direction, view.k1),
        rank_table(view, view.direction),
    ]
