"""Section 0, before anything else: what the reader must know to trust the numbers at all.

Synthetic data, and tied scores: when a system's true item scores exactly as other items, its
recall depends on how ties are broken. The run's policy made the reported numbers; the range
between the pessimistic and the optimistic recall is stated per system and language, and a system
that ties on every query (constant features: optimistic R@1 = 100 %, pessimistic 0 %) is named in
a red warning at the top of the page, and its cells carry ``‡`` in every results table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formatting import pct, pct_expr, wide
from .blocks import Block, Note, Table
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl

    from ..load import RunMeta

MARK_TIES = "‡"
POLICY_DOC = {
    "optimistic": "a tie is won: the true item ranks first among the items it ties with",
    "pessimistic": "a tie is lost: the true item ranks last among the items it ties with",
    "mean": "the expected recall over a random order of the tied items",
}


def partial_notes(meta: dict[str, RunMeta]) -> list[Block]:
    """A red note per run that lacks some of its cells: the report is not the whole run."""
    notes: list[Block] = []
    for m in meta.values():
        line = m.partial_line()
        if line:
            notes.append(
                Note(
                    f"**This report is partial**: {line.removeprefix('partial: ')}. Systems of "
                    "the missing cells are absent from every table below.",
                    warning=True,
                )
            )
    return notes


def synthetic_note(view: DatasetView) -> list[Block]:
    if not view.synthetic:
        return []
    return [
        Note(
            f"Dataset **{view.dataset}** is **synthetic** (generated, not recorded): its numbers "
            "show that the pipeline works, not how these models compare on real video."
        )
    ]


def tie_marks(view: DatasetView, direction: str) -> pl.DataFrame:
    """``method, lang, mark`` for the cells whose queries tie (and those systems' ``avg``)."""
    import polars as pl

    from ..tables import AVG

    if view.ties.is_empty():
        return pl.DataFrame(schema={"method": pl.String, "lang": pl.String, "mark": pl.String})
    tied = view.ties.filter(pl.col("direction") == direction).select("method", "lang").unique()
    avg = tied.select("method").unique().with_columns(pl.lit(AVG).alias("lang"))
    return pl.concat([tied, avg]).with_columns(pl.lit(MARK_TIES).alias("mark"))


def tie_directions(view: DatasetView) -> list[str]:
    """The directions the report shows in which some system's queries tie (headline first)."""
    import polars as pl

    if view.ties.is_empty():
        return []
    tied = set(view.ties.filter(pl.col("k") == view.k1)["direction"].to_list())
    return [d for d in view.directions if d in tied]


def tie_blocks(view: DatasetView) -> list[Block]:
    """The tie warnings of one dataset, one per direction the report shows with tied scores
    (the headline first): a red note and the range table each."""
    blocks: list[Block] = []
    for direction in tie_directions(view):
        blocks += _direction_ties(view, direction)
    return blocks


def _direction_ties(view: DatasetView, direction: str) -> list[Block]:
    import polars as pl

    from ..plots import DIRECTION_NAMES

    ties = view.ties.filter(pl.col("direction") == direction)
    headline = ties.filter(pl.col("k") == view.k1)
    policy = headline["policy"][0]
    pairs = headline.height
    text = (
        f"**Tied scores in {view.dataset}, {DIRECTION_NAMES[direction]}** ({MARK_TIES} in its "
        f"tables): in {pairs} system and language pair(s) the true item of some queries scores "
        "exactly as other items, so recall depends on how ties are broken. The reported numbers "
        f"count ties **{policy}** ({POLICY_DOC.get(policy, policy)}); the table below gives "
        "each affected R@k between the pessimistic (every tie lost) and the optimistic (every "
        "tie won) count."
    )
    blocks: list[Block] = [Note(text + _degenerate(view, headline), warning=True)]
    return [*blocks, _range_table(view, ties, direction)]


def _degenerate(view: DatasetView, headline: pl.DataFrame) -> str:
    """One sentence per system whose every query ties in some language."""
    import polars as pl

    every = headline.filter(pl.col("all_tied"))
    if every.is_empty():
        return ""
    k = view.k1
    parts = []
    for (method,), part in every.partition_by("method", as_dict=True, maintain_order=True).items():
        langs = ", ".join(x for x in view.langs if x in set(part["lang"].to_list()))
        low, high = float(part["pessimistic"].min()), float(part["optimistic"].max())  # type: ignore[arg-type]
        parts.append(
            f" **{method} ties on every query in {langs}**: its scores are constant (constant "
            f"features or a collapsed model), so its R@{k} there is anything from {pct(low)} % "
            f"to {pct(high)} %: its numbers mean nothing."
        )
    return "".join(parts)


def _range_table(view: DatasetView, ties: pl.DataFrame, direction: str) -> Table:
    import polars as pl

    text = pl.concat_str(
        pct_expr(pl.col("pessimistic")), pl.lit(" – "), pct_expr(pl.col("optimistic"))
    )
    header = {k: f"R@{k} (%)" for k in view.ks}
    rows = ties.with_columns(
        pl.concat_str("method", pl.lit("\x00"), "lang").alias("row"),
        pl.col("k").replace_strict(header, return_dtype=pl.String).alias("column"),
        text.alias("text"),
    )
    lang_pos = {lang: i for i, lang in enumerate(view.langs)}
    first = rows.filter(pl.col("k") == view.k1).with_columns(
        pl.col("lang").replace_strict(lang_pos, default=len(lang_pos)).alias("lang_pos")
    )
    first = first.sort("order", "lang_pos")
    table = wide(rows, "row", "column", "text", list(header.values()), first["row"].to_list())
    shown = first.select(
        "method",
        pl.col("lang").alias("language"),
        pct_expr(pl.col("tied")).alias("tied queries (%)"),
        pl.col("policy").alias("reported as"),
    )
    display = pl.concat([shown, table.drop("row")], how="horizontal")
    return Table(
        f"{view.dataset}_{direction}_ties",
        f"{view.dataset}: systems whose scores tie, per language: the share of queries that tie "
        "and R@k from pessimistic (every tie lost) to optimistic (every tie won), means over "
        "seeds",
        display,
        ties.select("method", "lang", "k", "policy", "tied", "pessimistic", "optimistic"),
    )
