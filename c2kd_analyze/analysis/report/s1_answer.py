"""Section 1, the answer: the best teacher overall and per language, where each student differs
significantly from the baselines, and the gap to English each closes *beside* its own English
change (a share of the gap closed is never a ranking on its own: a student whose English falls
closes "gap" without gaining anything). Under the bullets, the same comparison as a picture:
each student minus translate-train per language and on average, with its interval and whether
it is significant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formatting import fmt_p, interval_expr, p_expr, pct, pct_expr, wide
from ..plots import DIRECTION_NAMES
from ..tables import AVG
from .blocks import Block, Bullets, Figure, Heading, Para, Table
from .s2_results import TEST_NAME
from .view import DatasetView

if TYPE_CHECKING:
    import polars as pl


def answer_blocks(view: DatasetView) -> list[Block]:
    """Best teacher overall and per language, each student's significant differences, gaps."""
    from ..compare import rank_students

    title = f"The answer: {view.dataset}" + (" (synthetic data)" if view.synthetic else "")
    ranks = view.family(view.stats.ranks)
    left_out = [m for m in view.degenerate() if m in view.students()]
    if left_out and not ranks.is_empty():
        ranks = rank_students(ranks, view.family(view.stats.pairs), frozenset(left_out))
    if ranks.is_empty():
        why = "all its students tie on every query" if left_out else "it has no C2KD students"
        return [Heading(title), Para(f"No teacher to compare: {why}.")]
    versus = view.family(view.stats.versus)
    students = [m for m in view.students() if m not in left_out]
    items = [_overall(view, ranks, versus), *_left_out(view, left_out)]
    items += [*_significance(view, versus, students), *_gap_lines(view, students)]
    figure = _gains_figure(view, _against_tt(view, versus), students)
    return [Heading(title), Bullets(tuple(items)), *figure, _best_table(view, ranks, versus)]


def _gains_figure(view: DatasetView, tt: pl.DataFrame, students: list[str]) -> list[Block]:
    """Each student minus translate-train (its own mode's) per language and the average."""
    import polars as pl

    from ..plots import render
    from ..plots_gains import plot_student_gains

    tt = tt.filter(pl.col("method").is_in(students)) if not tt.is_empty() else tt
    if tt.is_empty():
        return []
    drawn = [m for m in students if m in set(tt["method"].to_list())]
    d, k = DIRECTION_NAMES[view.direction], view.k1
    fig = plot_student_gains(
        tt,
        drawn,
        [*view.langs, AVG],
        f"{view.dataset}: each teacher's C2KD student minus translate-train, {d} R@{k}",
        view.colours,
        f"Δ R@{k} vs translate-train (points)",
    )
    png, svg = render(fig)
    caption = (
        f"Each teacher's C2KD student minus translate-train in {d} R@{k} (points), per language "
        "and on average, with 95% paired-bootstrap intervals over queries; filled points are "
        f"significant ({TEST_NAME}, Holm-corrected, α = 0.05), open points are not"
    )
    return [Figure(f"{view.dataset}_r{k}_student_gains", caption, png, svg)]


def _left_out(view: DatasetView, methods: list[str]) -> list[str]:
    if not methods:
        return []
    names = ", ".join(f"**{view.teacher_of(m)}**" for m in methods)
    return [
        f"Left out of this answer: the student of {names}, whose scores tie on every query in "
        "some language (see the warning at the top): its recall there says nothing."
    ]


def _against_tt(view: DatasetView, versus: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    tt = [b for b in view.baselines() if view.stages[b] == "translate-train"]
    if versus.is_empty():
        return versus
    return versus.filter(pl.col("baseline").is_in(tt))


def _best_table(view: DatasetView, ranks: pl.DataFrame, versus: pl.DataFrame) -> Table:
    import polars as pl

    d, k = DIRECTION_NAMES[view.direction], view.k1
    names = pl.col("method").replace_strict(view.names, return_dtype=pl.String)
    best = (
        ranks.filter(pl.col("rank") == 1)
        .sort("recall", descending=True)
        .group_by("lang", maintain_order=True)
        .agg(
            names.str.join(", ").alias("best teacher(s)"),
            pl.col("method").first(),
            pct_expr(pl.col("recall").first()).alias(f"R@{k} (%)"),
        )
    )
    tt = _against_tt(view, versus)
    columns = ["best teacher(s)", f"R@{k} (%)"]
    if not tt.is_empty():
        delta = "Δ vs translate-train (points)"
        mark = pl.when(pl.col("significant")).then(pl.lit(" *")).otherwise(pl.lit(""))
        best = best.join(tt, on=["method", "lang"], how="left").with_columns(
            interval_expr(pl.col("diff"), pl.col("low"), pl.col("high"), signed=True).alias(delta),
            pl.concat_str(p_expr(pl.col("p_holm")), mark).alias("p (Holm)"),
        )
        columns += [delta, "p (Holm)"]
    long = best.unpivot(index="lang", on=columns, variable_name="column", value_name="text")
    rows = [x for x in [*view.langs, AVG] if x in set(best["lang"].to_list())]
    frame = wide(long.rename({"lang": "language"}), "language", "column", "text", columns, rows)
    caption = (
        f"{view.dataset}: best teacher per language by {d} R@{k}; several names = no significant "
        "difference between them (highest R@k first); Δ and p for the first-named (* = "
        "significant at α = 0.05)"
    )
    return Table(f"{view.dataset}_{view.direction}_best_teacher", caption, frame)


def _overall(view: DatasetView, ranks: pl.DataFrame, versus: pl.DataFrame) -> str:
    import polars as pl

    d, k = DIRECTION_NAMES[view.direction], view.k1
    avg = ranks.filter(pl.col("lang") == AVG).sort(["rank", "recall"], descending=[False, True])
    top = avg.filter(pl.col("rank") == 1)["method"].to_list()
    best = top[0]
    iv = view.family(view.stats.intervals)
    ci = iv.filter((pl.col("method") == best) & (pl.col("lang") == AVG)).row(0, named=True)
    score = f"{pct(ci['recall'])}% (95% CI {pct(ci['low'])}–{pct(ci['high'])})"
    if len(top) > 1 and len(top) == avg.height:  # nobody stands out: say so first
        names = ", ".join(f"**{view.teacher_of(m)}**" for m in top)
        text = (
            f"No teacher is significantly better than another ({d} R@{k}, mean over languages): "
            f"{names} tie; the highest mean is {view.teacher_of(best)}'s, {score}"
        )
    else:
        text = (
            f"Best teacher overall ({d} R@{k}, mean over languages): "
            f"**{view.teacher_of(best)}**, {score}"
        )
    if 1 < len(top) < avg.height:
        others = ", ".join(f"**{view.teacher_of(m)}**" for m in top[1:])
        text += f"; tied with {others} (no significant difference)"
    elif len(top) == 1 and avg.height > 1:
        text += "; significantly ahead of every other teacher"
    tt = _against_tt(view, versus)
    row = tt.filter((pl.col("method") == best) & (pl.col("lang") == AVG)) if tt.height else tt
    if row.height:
        r = row.row(0, named=True)
        verdict = "significant" if r["significant"] else "not significant"
        text += (
            f". Against translate-train its student gains {pct(r['diff'], True)} points "
            f"[{pct(r['low'], True)}, {pct(r['high'], True)}], Holm p {fmt_p(r['p_holm'])} "
            f"({verdict})"
        )
    return text + "."


def _significance(view: DatasetView, versus: pl.DataFrame, students: list[str]) -> list[str]:
    """One line per student: against each baseline, where it is significantly better, worse, or
    neither."""
    import polars as pl

    if versus.is_empty():
        return ["No baseline in the run, so no significance tests against baselines."]
    kind = (
        pl.when(pl.col("significant") & (pl.col("diff") > 0))
        .then(pl.lit(0))
        .when(pl.col("significant") & (pl.col("diff") < 0))
        .then(pl.lit(1))
        .otherwise(pl.lit(2))
    )
    words = {0: "better in ", 1: "worse in ", 2: "no significant difference in "}
    pairs = [(m, b) for m in students for b in view.baselines()]
    pair = pl.concat_str("method", pl.lit("\x00"), "baseline")
    order = {f"{m}\x00{b}": i for i, (m, b) in enumerate(pairs)}
    lines = (
        versus.filter(pl.col("method").is_in(students))
        .with_columns(kind.alias("kind"), pair.replace_strict(order).alias("pair"))
        .group_by("pair", "method", "baseline", "kind")
        .agg(pl.col("lang").str.join(", "))  # languages keep their table order
        .sort("pair", "kind")
        .with_columns(
            pl.concat_str(
                pl.col("kind").replace_strict(words, return_dtype=pl.String), "lang"
            ).alias("said")
        )
        .group_by("pair", "method", "baseline", maintain_order=True)
        .agg(pl.col("said").str.join("; "))
        .with_columns(pl.concat_str("baseline", pl.lit(": "), "said").alias("said"))
        .group_by("method", maintain_order=True)
        .agg(pl.col("said").str.join(". Against "))
    )
    said = dict(lines.rows())
    return [f"**{view.teacher_of(m)}** student against {said[m]}." for m in students if m in said]


def _gap_lines(view: DatasetView, students: list[str]) -> list[str]:
    """Gap to English closed (language average), beside each student's own English change."""
    import polars as pl

    closed = view.family(view.closed)
    if closed.is_empty():
        return []
    avg = closed.filter((pl.col("lang") == AVG) & pl.col("gap_closed").is_not_null())
    by_method = {r["method"]: r for r in avg.iter_rows(named=True)}
    parts = []
    for method in [m for m in students if m in by_method]:
        r = by_method[method]
        text = (
            f"{view.teacher_of(method)} {pct(r['gap_closed'])} % (English "
            f"{pct(r['en_change'], True)}, other languages {pct(r['lang_change'], True)} points)"
        )
        if r["en_change"] < 0 and -r["en_change"] >= abs(r["lang_change"]):
            text += ", **mostly by losing English**"
        parts.append(text)
    if not parts:
        return []
    return [
        f"Share of translate-train's gap to English closed in R@{view.k1} (mean over languages), "
        "each beside the student's own change vs translate-train, which decides what it means: "
        + "; ".join(parts)
        + "."
    ]
