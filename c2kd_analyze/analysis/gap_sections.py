"""Report sections for one dataset: language gaps, gap closed and teacher diagnostics."""

from __future__ import annotations

from .diagnostics import (
    DIAGNOSTICS,
    MIN_POINTS,
    diagnostics_by_language,
    gain_correlations,
    teacher_diagnostics,
)
from .plots import (
    DIRECTION_NAMES,
    plot_diagnostics,
    plot_gap_closed,
    plot_gap_heatmap,
    plot_recall_heatmap,
    render,
)
from .render import Block, Figure, Para, Table
from .sections import fmt_p, pct, recall_matrix, string_frame
from .tables import AVG
from .view import DatasetView

GAP_CLOSED_DOC = (
    "Gap to English = R@1 in English minus R@1 in the language, each method against its own "
    "English "
    "result. Gap closed = (gap of translate-train - gap of the student) / gap of translate-train: "
    "100% = English parity, 0% = no better than translate-train, negative = a wider gap; undefined "
    "(–) where translate-train's gap is under one query's worth (1 / n_queries). The avg "
    "column uses "
    "the mean gap over the non-English languages."
)


def heatmap_blocks(view: DatasetView) -> list[Block]:
    """Heatmaps of R@1 and of the gap to English: methods (baselines, then students) x languages."""
    import polars as pl

    methods = view.baselines() + view.students()
    d, k = DIRECTION_NAMES[view.direction], view.k1
    fig = plot_recall_heatmap(
        recall_matrix(view, methods),
        methods,
        [*view.plot_langs, AVG],
        f"{view.dataset}: {d} R@{k} (%)",
    )
    png, svg = render(fig)
    blocks: list[Block] = [
        Figure(f"{view.dataset}_r{k}_heatmap", f"{d} R@{k} (%) by method and language", png, svg)
    ]
    gaps = view.family(view.gaps).filter(pl.col("method").is_in(methods))
    if not gaps.is_empty():
        langs = [x for x in view.plot_langs if x != "en"] + [AVG]
        fig = plot_gap_heatmap(gaps, methods, langs, f"{view.dataset}: gap to English, {d} R@{k}")
        png, svg = render(fig)
        blocks.append(
            Figure(f"{view.dataset}_gap_heatmap", f"Gap to English in {d} R@{k} (points)", png, svg)
        )
    return blocks


def gap_blocks(view: DatasetView) -> list[Block]:
    """Tables of the gap and of gap closed, and the gap-closed chart."""
    import polars as pl

    gaps = view.family(view.gaps)
    if gaps.is_empty():
        return [Para("No gap to English: English or the other languages are missing.")]
    langs = [x for x in view.langs if x != "en"] + [AVG]
    methods = view.baselines() + view.students()
    gap_rows = [
        {
            "method": m,
            **{
                lang: pct(v)
                for lang, v in gaps.filter(pl.col("method") == m).select("lang", "gap").iter_rows()
            },
        }
        for m in methods
    ]
    blocks: list[Block] = [
        Para(GAP_CLOSED_DOC),
        Table(
            f"{view.dataset}_{view.direction}_gap",
            f"{view.dataset}: gap to English, R@{view.k1} (points)",
            string_frame(gap_rows, ["method", *langs]),
            gaps.select("method", "lang", "gap"),
        ),
    ]
    closed = view.family(view.closed)
    if closed.is_empty():
        return blocks
    students = view.students()
    rows = [
        {
            "teacher": view.teacher_of(m),
            **{
                lang: pct(v)
                for lang, v in closed.filter(pl.col("method") == m)
                .select("lang", "gap_closed")
                .iter_rows()
            },
        }
        for m in students
    ]
    blocks.append(
        Table(
            f"{view.dataset}_{view.direction}_gap_closed",
            f"{view.dataset}: share of translate-train's gap to English closed by each student (%)",
            string_frame(rows, ["teacher", *langs]),
            closed.select("method", "lang", "gap_translate_train", "gap", "gap_closed"),
        )
    )
    fig = plot_gap_closed(
        closed,
        students,
        [x for x in view.plot_langs if x != "en"] + [AVG],
        f"{view.dataset}: gap closed vs translate-train, R@{view.k1}",
    )
    png, svg = render(fig)
    blocks.append(
        Figure(
            f"{view.dataset}_gap_closed",
            "Share of translate-train's gap to English closed (%)",
            png,
            svg,
        )
    )
    return blocks


def diagnostic_blocks(view: DatasetView) -> list[Block]:
    """Teacher diagnostics, their rank correlation with the student's gain, and the scatter."""
    import polars as pl

    table = teacher_diagnostics(view.summary, view.diagnostics, view.dataset, view.direction)
    if table.is_empty():
        return [Para("No single-teacher C2KD students in this run, so no teacher diagnostics.")]
    corr = gain_correlations(table)
    shown = table.select(
        "teacher",
        *[
            pl.col(c).map_elements(pct, return_dtype=pl.String)
            for c in ("teacher_en_r1", "teacher_en_r5", "teacher_en_r10", "translation_r1")
        ],
        pl.col("agreement_kl").map_elements(lambda v: f"{v:.3f}", return_dtype=pl.String),
        pl.col("student_r1").map_elements(pct, return_dtype=pl.String),
        pl.col("gain_r1").map_elements(lambda v: pct(v, True), return_dtype=pl.String),
    )
    corr_rows = [
        {
            "diagnostic": n,
            "teachers": t,
            "Spearman ρ": "–" if r is None else f"{r:+.2f}",
            "p": "–" if p is None else fmt_p(p),
        }
        for n, t, r, p in corr.iter_rows()
    ]
    intro = Para(
        "Each teacher's own English R@k (its trained teacher model), its encoder's "
        "English→language translation R@1 on the parallel test captions (mean over languages), "
        "the mean KL between the teacher's and the student's similarity distributions on the "
        "test set (nats; lower = closer), and the student's gain in language-average R@1 "
        "over translate-train."
    )
    name = f"{view.dataset}_teacher_diagnostics"
    blocks: list[Block] = [
        intro,
        Table(name, f"{view.dataset}: teacher diagnostics (%, KL in nats)", shown, table),
    ]
    if table.height < MIN_POINTS:
        blocks.append(
            Para(
                f"A rank correlation with the student's gain needs at least {MIN_POINTS} "
                f"teachers; this run has {table.height}."
            )
        )
        return blocks + _per_language(view)
    caveat = (
        f"With {table.height} teachers, a rank correlation can take only a few values and its "
        "p-value means little: read it as a hint, not a finding."
    )
    fig = plot_diagnostics(
        table, corr, f"{view.dataset}: teacher diagnostics against the student's gain"
    )
    png, svg = render(fig)
    caption = (
        f"{view.dataset}: Spearman rank correlation of each diagnostic with the student's gain"
    )
    return [
        *blocks,
        Table(f"{view.dataset}_diagnostic_correlations", caption, pl.DataFrame(corr_rows), corr),
        Para(caveat),
        Figure(
            f"{view.dataset}_diagnostics",
            "Teacher diagnostics against the student's gain",
            png,
            svg,
        ),
        *_per_language(view),
    ]


def _per_language(view: DatasetView) -> list[Block]:
    import polars as pl

    blocks: list[Block] = []
    for metric, what, fmt in (
        ("translation_recall", "translation R@1 en→language (%)", pct),
        ("teacher_agreement_kl", "student-teacher KL (nats)", lambda v: f"{v:.3f}"),
    ):
        long = diagnostics_by_language(view.diagnostics, view.dataset, metric)
        if long.is_empty():
            continue
        langs = [x for x in view.langs if x in set(long["lang"].to_list())]
        value = {(t, lang): v for t, lang, v in long.select("teacher", "lang", "value").iter_rows()}
        teachers = sorted(set(long["teacher"].to_list()))
        display = pl.DataFrame(
            [
                {
                    "teacher": t,
                    **{lang: fmt(value[t, lang]) if (t, lang) in value else "–" for lang in langs},
                }
                for t in teachers
            ],
            schema={c: pl.String for c in ["teacher", *langs]},
        )
        blocks.append(
            Table(
                f"{view.dataset}_{metric}",
                f"{view.dataset}: {what} per language, mean over seeds",
                display,
                long,
            )
        )
    return blocks


__all__ = ["DIAGNOSTICS", "diagnostic_blocks", "gap_blocks", "heatmap_blocks"]
