"""Section 8, the appendix: per dataset, the training curves (shown), then everything a reader
may want but need not scroll past, collapsed (``<details>``) in the HTML page: the other k and
direction, the full test table, the gap by language and the per-language teacher diagnostics."""

from __future__ import annotations

from ..plots import DIRECTION_NAMES
from .blocks import Block, Details, Figure, Heading
from .s2_results import rank_table, recall_table
from .s3_significance import test_table
from .s5_gaps import gap_table
from .s6_diagnostics import per_language_tables
from .view import DatasetView


def appendix_blocks(views: tuple[DatasetView, ...]) -> list[Block]:
    parts = [b for view in views for b in curves_blocks(view) + _dataset_appendix(view)]
    return [Heading("Appendix", 2), *parts] if parts else []


def curves_blocks(view: DatasetView) -> list[Block]:
    """The training-curves figure: the smoothed loss per step of every system and, in a run
    with ``--val-fraction``, its validation R@1 per epoch beside it."""
    from ..curves import SMOOTHING, loss_panel, val_panel
    from ..plots import render
    from ..plots_curves import plot_curves

    loss, val = loss_panel(view.history), val_panel(view.validation)
    panels = [p for p in (loss, val) if p is not None]
    if not panels:
        return []
    teachers = frozenset(m for m in view.methods if view.stages[m] == "teacher")
    title = f"{view.dataset}: training loss per step" + (
        " and validation R@1 per epoch" if val is not None else ""
    )
    fig = plot_curves(panels, list(view.methods), view.colours, teachers, title)
    png, svg = render(fig)
    n = len(view.seeds)
    seeds = f"the mean over {n} seeds" if n > 1 else "one seed"
    caption = (
        f"Training loss per step of every system: {SMOOTHING}, {seeds}; log scale. Dashed: the "
        "teachers' own training, solid: the baselines and students, in the colours of every "
        "other figure. The stages' losses are different sums (translate-train and the teachers "
        "sum over every language, zero-shot has English alone, C2KD mixes NCE and KL), so "
        "compare their shapes, not their heights"
    )
    if val is not None:
        caption += (
            ". Right: text-to-video R@1 on the validation clips (held out of the training "
            "clips, never test clips) after every epoch, the mean over languages"
        )
    return [
        Heading(f"Training curves: {view.dataset}", 3),
        Figure(f"{view.dataset}_training_curves", caption, png, svg),
    ]


def _dataset_appendix(view: DatasetView) -> list[Block]:
    out: list[Block] = []
    more = [
        recall_table(view, d, k)
        for d in view.directions
        for k in view.ks
        if (d, k) != (view.direction, view.k1)
    ] + [rank_table(view, d) for d in view.directions if d != view.direction]
    if more:
        others = ", ".join(DIRECTION_NAMES[d] for d in view.directions if d != view.direction)
        ks = ", ".join(f"R@{k}" for k in view.ks)
        what = f"{ks} in {DIRECTION_NAMES[view.direction]}" + (f"; also {others}" if others else "")
        out.append(Details(f"{view.dataset}: all results tables ({what})", tuple(more)))
    tests = test_table(view)
    if tests is not None:
        out.append(
            Details(
                f"{view.dataset}: all {tests.display.height} student-vs-baseline tests "
                "(differences, intervals, p-values)",
                (tests,),
            )
        )
    gaps = gap_table(view)
    if gaps is not None:
        out.append(Details(f"{view.dataset}: gap to English per language", (gaps,)))
    per_lang = per_language_tables(view)
    if per_lang:
        out.append(Details(f"{view.dataset}: teacher diagnostics per language", tuple(per_lang)))
    return out
