"""Section 8, the appendix: everything a reader may want but need not scroll past, collapsed
(``<details>``) in the HTML page: the other k and direction, the full test table, the gap by
language and the per-language teacher diagnostics."""

from __future__ import annotations

from ..plots import DIRECTION_NAMES
from .blocks import Block, Details, Heading
from .s2_results import rank_table, recall_table
from .s3_significance import test_table
from .s5_gaps import gap_table
from .s6_diagnostics import per_language_tables
from .view import DatasetView


def appendix_blocks(views: tuple[DatasetView, ...]) -> list[Block]:
    parts = [b for view in views for b in _dataset_appendix(view)]
    return [Heading("Appendix", 2), *parts] if parts else []


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
