"""Section 6, teacher diagnostics: what each teacher brings (its own English R@k, translation
R@1, agreement with its student), and how that relates to its student's gain (the per-language
diagnostics are in the appendix)."""

from __future__ import annotations

from ..diagnostics import (
    MIN_POINTS,
    diagnostics_by_language,
    gain_correlations,
    teacher_diagnostics,
)
from ..formatting import fixed_expr, p_expr, pct_expr, wide
from ..plots import plot_diagnostics, render
from .blocks import Block, Figure, Heading, Para, Table
from .view import DatasetView

INTRO = (
    "Each teacher's own English R@k (its trained teacher model), its encoder's English→language "
    "translation R@1 on the parallel test captions (mean over languages), the mean KL between "
    "the teacher's and the student's similarity distributions on the test set (nats; lower = "
    "closer), its student's R@1 outside English (mean over the other languages: the teacher's "
    "English R@1 above it is the advantage it can pass on), and the student's gain in "
    "language-average R@1 over translate-train."
)


def diagnostic_blocks(view: DatasetView) -> list[Block]:
    """Teacher diagnostics, their rank correlation with the student's gain, and the scatter."""
    import polars as pl

    heading = Heading("Teacher diagnostics", 3)
    table = teacher_diagnostics(view.summary, view.diagnostics, view.dataset, view.direction)
    if table.is_empty():
        return [heading, Para("No single-teacher C2KD students in this run, so no diagnostics.")]
    percent = ("teacher_en_r1", "teacher_en_r5", "teacher_en_r10", "translation_r1")
    recipes = table["teacher_recipe"].drop_nulls().n_unique() > 1
    shown = table.select(
        "teacher",
        *(["teacher_recipe"] if recipes else []),
        *[pct_expr(pl.col(c)).alias(c) for c in percent],
        fixed_expr(pl.col("agreement_kl"), 3).alias("agreement_kl"),
        pct_expr(pl.col("student_r1")).alias("student_r1"),
        pct_expr(pl.col("student_other_r1")).alias("student_other_r1"),
        pct_expr(pl.col("gain_r1"), signed=True).alias("gain_r1"),
    ).with_columns(pl.all().fill_null("–"))
    name = f"{view.dataset}_teacher_diagnostics"
    caption = f"{view.dataset}: teacher diagnostics (%, KL in nats)"
    blocks: list[Block] = [
        heading,
        Para(INTRO),
        Table(name, caption, shown, table),
        _cards(view, table["teacher"].unique(maintain_order=True).to_list()),
    ]
    if table.height < MIN_POINTS:
        return [
            *blocks,
            Para(
                f"A rank correlation with the student's gain needs at least {MIN_POINTS} "
                f"teachers; this run has {table.height}."
            ),
        ]
    return blocks + _correlation_blocks(view, table)


def _cards(view: DatasetView, teachers: list[str]) -> Block:
    """Each teacher's card line (pinned model and revision, parameters) and the model that ran."""
    import polars as pl

    from ...errors import UserError
    from ...teachers import get_spec

    ran = (
        view.results.filter(pl.col("stage") == "teacher")
        .group_by("teacher")
        .agg(pl.col("teacher_model").drop_nulls().unique().sort().str.join(", "))
    )
    models = dict(zip(ran["teacher"].to_list(), ran["teacher_model"].to_list(), strict=True))
    rows = []
    for name in teachers:
        try:
            card = get_spec(name).card_line()
        except UserError:  # a teacher from a plugin that is not installed here
            card = "not in this installation's registry"
        rows.append({"teacher": name, "card": card, "model that ran": models.get(name, "–")})
    return Table(
        f"{view.dataset}_teacher_cards",
        f"{view.dataset}: the teachers' cards (the registry's pinned model) and what ran",
        pl.DataFrame(rows),
    )


def _correlation_blocks(view: DatasetView, table) -> list[Block]:
    import polars as pl

    corr = gain_correlations(table)
    corr_shown = corr.select(
        "diagnostic",
        pl.col("n_teachers").cast(pl.String).alias("teachers"),
        fixed_expr(pl.col("rho"), 2, signed=True).fill_null("–").alias("Spearman ρ"),
        p_expr(pl.col("p")).fill_null("–").alias("p"),
    )
    # one point per student system, named as everywhere else ("muse [english]" when the report
    # merges teacher recipes)
    points = table.with_columns(
        pl.col("method").replace_strict(view.names, return_dtype=pl.String).alias("teacher")
    )
    colours = {t: view.colours[m] for t, m in points.select("teacher", "method").rows()}
    fig = plot_diagnostics(
        points, corr, f"{view.dataset}: teacher diagnostics against the student's gain", colours
    )
    png, svg = render(fig)
    caveat = (
        f"With {table.height} teachers, a rank correlation can take only a few values and its "
        "p-value means little: read it as a hint, not a finding."
    )
    caption = (
        f"{view.dataset}: Spearman rank correlation of each diagnostic with the student's gain"
    )
    figure_caption = "Teacher diagnostics against the student's gain"
    return [
        Table(f"{view.dataset}_diagnostic_correlations", caption, corr_shown, corr),
        Para(caveat),
        Figure(f"{view.dataset}_diagnostics", figure_caption, png, svg),
    ]


def per_language_tables(view: DatasetView) -> list[Block]:
    """Translation R@1 and student-teacher KL per teacher and language (for the appendix)."""
    import polars as pl

    blocks: list[Block] = []
    teachers = [view.teacher_of(m) for m in view.methods if view.stages[m] == "c2kd"]
    for metric, what, fmt in (
        ("translation_recall", "translation R@1 en→language (%)", pct_expr(pl.col("value"))),
        ("teacher_agreement_kl", "student-teacher KL (nats)", fixed_expr(pl.col("value"), 3)),
    ):
        long = diagnostics_by_language(view.diagnostics, view.dataset, metric)
        if long.is_empty():
            continue
        if long["teacher_recipe"].drop_nulls().n_unique() > 1:  # "muse [english]", as the rows
            recipe = pl.concat_str(pl.col("teacher"), pl.lit(" ["), "teacher_recipe", pl.lit("]"))
            long = long.with_columns(recipe.fill_null(pl.col("teacher")).alias("teacher"))
        langs = [x for x in view.langs if x in set(long["lang"].to_list())]
        rows = [t for t in teachers if t in set(long["teacher"].to_list())]
        rows += [t for t in long["teacher"].unique(maintain_order=True).to_list() if t not in rows]
        display = wide(long.with_columns(fmt.alias("text")), "teacher", "lang", "text", langs, rows)
        caption = f"{view.dataset}: {what} per language, mean over seeds"
        blocks.append(Table(f"{view.dataset}_{metric}", caption, display, long))
    return blocks
