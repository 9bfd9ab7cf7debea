"""Sections per dataset: result tables, intervals, tests, ranking (:mod:`render` blocks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .plots import DIRECTION_NAMES, plot_recall_bars, render
from .render import Block, Figure, Heading, Para, Table
from .tables import AVG, recall_table, recall_table_numeric
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl

MARK_TT, MARK_ZS = "*", "†"
MARK_LEGEND = (
    f"{MARK_TT} differs significantly from translate-train, {MARK_ZS} from zero-shot "
    "(paired sign-flip test over queries, Holm-corrected, α = 0.05)"
)


def pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "–"
    return f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def string_frame(rows: list[dict[str, str]], columns: list[str]) -> pl.DataFrame:
    """A table of strings with the given columns; a cell a row lacks reads "–"."""
    import polars as pl

    return pl.DataFrame(
        [{c: row.get(c, "–") for c in columns} for row in rows],
        schema={c: pl.String for c in columns},
    )


def _marks(view: DatasetView, direction: str, k: int) -> dict[tuple[str, str], str]:
    import polars as pl

    out: dict[tuple[str, str], str] = {}
    versus = view.family(view.stats.versus, direction, k)
    if versus.is_empty():
        return out
    for method, baseline, lang in (
        versus.filter(pl.col("significant")).select("method", "baseline", "lang").iter_rows()
    ):
        mark = MARK_TT if baseline == "translate-train" else MARK_ZS
        out[(method, lang)] = "".join(
            sorted(out.get((method, lang), "") + mark, key=(MARK_TT + MARK_ZS).index)
        )
    return out


def result_tables(view: DatasetView, direction: str) -> list[Block]:
    """One table per k: methods x languages + average, mean ± std over seeds, with marks."""
    blocks: list[Block] = []
    n = len(view.seeds)
    spread = f"mean ± std over {n} seeds" if n > 1 else "one seed"
    for k in view.ks:
        langs = list(view.langs)
        table = recall_table(
            view.summary, view.dataset, direction, k, langs, _marks(view, direction, k)
        )
        numeric = recall_table_numeric(view.summary, view.dataset, direction, k, langs)
        caption = (
            f"{view.dataset}: {DIRECTION_NAMES[direction]} R@{k} (%), {spread}; avg = mean over "
            "all "
            f"languages. {MARK_LEGEND}"
        )
        blocks.append(Table(f"{view.dataset}_{direction}_r{k}", caption, table, numeric))
    return blocks


def interval_blocks(view: DatasetView) -> list[Block]:
    """Bootstrap intervals of R@1 (table and bar chart) in the headline direction."""
    import polars as pl

    k = view.k1
    iv = view.family(view.stats.intervals)
    methods = view.baselines() + view.students()
    rows = []
    for method in methods:
        row = {"method": method}
        for lang in [*view.langs, AVG]:
            hit = iv.filter((pl.col("method") == method) & (pl.col("lang") == lang))
            row[lang] = (
                "–"
                if hit.is_empty()
                else "{} [{}, {}]".format(*(pct(hit[c].item()) for c in ("recall", "low", "high")))
            )
        rows.append(row)
    caption = (
        f"{view.dataset}: {DIRECTION_NAMES[view.direction]} R@{k} (%) with 95% bootstrap "
        "intervals over "
        f"queries (per-query hits averaged over seeds; {view.stats.n_resamples} resamples)"
    )
    table = Table(
        f"{view.dataset}_{view.direction}_r{k}_intervals",
        caption,
        string_frame(rows, ["method", *view.langs, AVG]),
        iv.select("method", "lang", "recall", "low", "high"),
    )
    fig = plot_recall_bars(
        iv,
        methods,
        [*view.plot_langs, AVG],
        f"{view.dataset}: {DIRECTION_NAMES[view.direction]} R@{k} per language",
    )
    png, svg = render(fig)
    return [
        table,
        Figure(
            f"{view.dataset}_r{k}_bars",
            f"R@{k} per language with 95% bootstrap intervals",
            png,
            svg,
        ),
    ]


def test_blocks(view: DatasetView) -> list[Block]:
    """Each student against each baseline: difference, interval, Holm p, per language."""
    import polars as pl

    versus = view.family(view.stats.versus)
    if versus.is_empty():
        return [Para("No student-vs-baseline tests: the runs lack C2KD students or baselines.")]
    rows = []
    for method in view.students():
        for baseline in view.baselines():
            sel = versus.filter((pl.col("method") == method) & (pl.col("baseline") == baseline))
            for lang, d, lo, hi, p, ph, sig in sel.select(
                "lang", "diff", "low", "high", "p", "p_holm", "significant"
            ).iter_rows():
                rows.append(
                    {
                        "student": view.teacher_of(method),
                        "vs": baseline,
                        "language": lang,
                        "Δ (points)": pct(d, True),
                        "95% CI": f"[{pct(lo, True)}, {pct(hi, True)}]",
                        "p": fmt_p(p),
                        "p (Holm)": fmt_p(ph),
                        "significant": "yes" if sig else "no",
                    }
                )
    caption = (
        f"{view.dataset}: each teacher's student against each baseline in "
        f"{DIRECTION_NAMES[view.direction]} "
        f"R@{view.k1}: difference (student minus baseline), 95% paired-bootstrap interval, "
        "exact sign-flip p "
        "and Holm-adjusted p (significant at α = 0.05)"
    )
    numeric = versus.select(
        "method", "baseline", "lang", "diff", "low", "high", "p", "p_holm", "significant"
    )
    cols = ["student", "vs", "language", "Δ (points)", "95% CI", "p", "p (Holm)", "significant"]
    return [
        Table(
            f"{view.dataset}_{view.direction}_r{view.k1}_tests",
            caption,
            string_frame(rows, cols),
            numeric,
        )
    ]


def ranking_blocks(view: DatasetView) -> list[Block]:
    """Teachers (their students) ranked per language, tied where not significantly different."""
    import polars as pl

    ranks = view.family(view.stats.ranks)
    if ranks.is_empty():
        return []
    rows = []
    for method in view.students():
        sel = ranks.filter(pl.col("method") == method)
        row = {"teacher": view.teacher_of(method)}
        row.update(
            {
                lang: f"{r} ({pct(v)})"
                for lang, r, v in sel.select("lang", "rank", "recall").iter_rows()
            }
        )
        rows.append(row)
    caption = (
        f"{view.dataset}: rank of each teacher's student by {DIRECTION_NAMES[view.direction]} "
        f"R@{view.k1} "
        "(R@1 % in brackets); rank = 1 + the number of students significantly better (Holm "
        "over all "
        "pairs), so students that do not differ significantly share a rank"
    )
    table = string_frame(rows, ["teacher", *view.langs, AVG])
    return [
        Table(
            f"{view.dataset}_{view.direction}_teacher_ranks",
            caption,
            table,
            ranks.select("method", "lang", "recall", "rank"),
        )
    ]


def direction_section(view: DatasetView, direction: str) -> list[Block]:
    return [Heading(f"Results: {DIRECTION_NAMES[direction]}", 3), *result_tables(view, direction)]


def recall_matrix(view: DatasetView, methods: list[str]) -> pl.DataFrame:
    """method, lang, recall (R@1 means) of the headline direction, for the heatmap."""
    import polars as pl

    rec = view.recall(view.direction, view.k1).filter(pl.col("method").is_in(methods))
    return rec.select("method", "lang", pl.col("mean").alias("recall"))
