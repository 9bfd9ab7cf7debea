"""The report's opening: the best teacher per language and overall, and what is significant."""

from __future__ import annotations

from .plots import DIRECTION_NAMES
from .render import Block, Bullets, Heading, Para, Table
from .sections import fmt_p, pct, string_frame
from .tables import AVG
from .view import DatasetView


def answer_blocks(view: DatasetView) -> list[Block]:
    """Best teacher overall and per language, and each student's significant differences."""
    import polars as pl

    d, k = DIRECTION_NAMES[view.direction], view.k1
    title = f"The answer: {view.dataset}" + (" (synthetic data)" if view.synthetic else "")
    ranks = view.family(view.stats.ranks)
    if ranks.is_empty():
        return [
            Heading(title),
            Para("This run has no C2KD students, so there is no teacher to compare."),
        ]
    versus = view.family(view.stats.versus)
    iv = view.family(view.stats.intervals)
    items = [_overall(view, ranks, iv, versus, d, k)]
    items += _significance(view, versus)
    rows = []
    for lang in [*view.langs, AVG]:
        top = ranks.filter((pl.col("lang") == lang) & (pl.col("rank") == 1)).sort(
            "recall", descending=True
        )
        if top.is_empty():
            continue
        best = top["method"][0]
        row = {
            "language": lang,
            "best teacher(s)": ", ".join(view.teacher_of(m) for m in top["method"]),
            f"R@{k} (%)": pct(top["recall"][0]),
        }
        tt = _vs(versus, best, "translate-train", lang)
        if tt is not None:
            row["Δ vs translate-train (points)"] = (
                f"{pct(tt['diff'], True)} [{pct(tt['low'], True)}, {pct(tt['high'], True)}]"
            )
            row["p (Holm)"] = fmt_p(tt["p_holm"]) + (" *" if tt["significant"] else "")
        rows.append(row)
    cols = [
        "language",
        "best teacher(s)",
        f"R@{k} (%)",
        "Δ vs translate-train (points)",
        "p (Holm)",
    ]
    caption = (
        f"{view.dataset}: best teacher per language by {d} R@{k}; several names = no significant "
        "difference between them; Δ and p for the first-named (* = significant at α = 0.05)"
    )
    return [
        Heading(title),
        Bullets(tuple(items)),
        Table(f"{view.dataset}_{view.direction}_best_teacher", caption, string_frame(rows, cols)),
    ]


def _vs(versus, method: str, baseline: str, lang: str) -> dict | None:
    import polars as pl

    if versus.is_empty():
        return None
    sel = versus.filter(
        (pl.col("method") == method) & (pl.col("baseline") == baseline) & (pl.col("lang") == lang)
    )
    return sel.row(0, named=True) if sel.height else None


def _overall(view, ranks, iv, versus, d: str, k: int) -> str:
    import polars as pl

    avg = ranks.filter(pl.col("lang") == AVG).sort(["rank", "recall"], descending=[False, True])
    top = avg.filter(pl.col("rank") == 1)["method"].to_list()
    best = top[0]
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
        text += (
            "; tied with "
            + ", ".join(f"**{view.teacher_of(m)}**" for m in top[1:])
            + " (no significant difference)"
        )
    elif len(top) == 1 and avg.height > 1:
        text += "; significantly ahead of every other teacher"
    tt = _vs(versus, best, "translate-train", AVG)
    if tt is not None:
        verdict = "significant" if tt["significant"] else "not significant"
        text += (
            f". Against translate-train its student gains {pct(tt['diff'], True)} points "
            f"[{pct(tt['low'], True)}, {pct(tt['high'], True)}], Holm p {fmt_p(tt['p_holm'])} "
            f"({verdict})"
        )
    return text + "."


def _significance(view: DatasetView, versus) -> list[str]:
    """One line per student and baseline: where it is significantly better, worse, or neither."""
    import polars as pl

    if versus.is_empty():
        return ["No baseline in the run, so no significance tests against baselines."]
    lines = []
    for method in view.students():
        for baseline in view.baselines():
            sel = versus.filter((pl.col("method") == method) & (pl.col("baseline") == baseline))
            better = sel.filter(pl.col("significant") & (pl.col("diff") > 0))["lang"].to_list()
            worse = sel.filter(pl.col("significant") & (pl.col("diff") < 0))["lang"].to_list()
            same = sel.filter(~pl.col("significant"))["lang"].to_list()
            parts = [
                f"better in {', '.join(better)}" if better else "",
                f"worse in {', '.join(worse)}" if worse else "",
                f"no significant difference in {', '.join(same)}" if same else "",
            ]
            lines.append(
                f"{view.teacher_of(method)} student vs {baseline}: "
                + "; ".join(p for p in parts if p)
                + "."
            )
    return lines
