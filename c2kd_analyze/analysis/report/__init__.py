"""``write_report``: run folders in; ``report.md``, a self-contained ``report.html``, figures and
tables out. :func:`analyse` computes every number once; the page is built from numbered sections,
one module each, in the order they appear:

- :mod:`.s0_warnings`: synthetic data, tied scores (before anything else);
- :mod:`.s1_answer`: the best teacher, what is significant, gap closed beside English change;
- per dataset: :mod:`.s2_results` (R@k, median/mean rank), :mod:`.s3_significance` (intervals,
  test summary), :mod:`.s4_ranking` (teachers ranked, heatmap), :mod:`.s5_gaps` (gap to English),
  :mod:`.s6_diagnostics` (teacher diagnostics);
- :mod:`.s7_methods`: how the numbers are made, the runs;
- :mod:`.s8_appendix`: the training curves, then collapsed details (other k and direction,
  every test, per language).

:mod:`.blocks` is the page as data, :mod:`.render` turns it into Markdown and HTML,
:mod:`.files` writes the files (and removes the ones an earlier report left behind).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UserError
from ...layout import RunFolder
from .blocks import Block, Heading

if TYPE_CHECKING:
    import polars as pl

    from ..compare import Statistics
    from ..load import LoadedRuns, RunMeta
    from .view import DatasetView

log = logging.getLogger(__name__)
TITLE = "C2KD teacher report"
MIN_RESAMPLES = 100


@dataclass(frozen=True)
class Analysis:
    """Every number the report shows; ``colours``: system label -> colour of every figure."""

    meta: dict[str, RunMeta]
    results: pl.DataFrame
    summary: pl.DataFrame
    stats: Statistics
    views: tuple[DatasetView, ...]
    colours: dict[str, str]


def analyse(
    run_dirs: list[Path],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    loaded: LoadedRuns | None = None,
) -> Analysis:
    """Load the runs and compute tables, statistics, gaps, ties and diagnostics per dataset, and
    read the training histories."""
    from ..compare import compute_statistics
    from ..crosslingual import micro_average, rank_consistency
    from ..curves import load_history, load_validation, selected_epochs
    from ..gaps import gap_closed, language_gaps
    from ..load import load_runs
    from ..systems import add_methods, system_colours
    from ..tables import summarize
    from ..ties import tie_ranges
    from .view import build_view

    if n_resamples < MIN_RESAMPLES:
        raise UserError(
            f"--resamples must be at least {MIN_RESAMPLES} (p-values down to 0.01), got "
            f"{n_resamples}"
        )
    results, ranks, diagnostics, meta = loaded if loaded is not None else load_runs(run_dirs)
    teachers = list(dict.fromkeys(t for m in meta.values() for t in m.teachers))
    results, ranks = add_methods(results, teachers), add_methods(ranks, teachers)
    datasets = sorted(set(results["dataset"].to_list()))
    declared = {
        d: next((m.languages for m in meta.values() if m.dataset == d), ()) for d in datasets
    }
    summary = summarize(results)
    stats = compute_statistics(
        results, ranks, n_resamples=n_resamples, seed=seed, languages=declared
    )
    gaps = language_gaps(summary)
    frames = {
        "results": results,
        "summary": summary,
        "gaps": gaps,
        "closed": gap_closed(gaps),
        "diagnostics": diagnostics,
        "ties": tie_ranges(ranks, results),
        "micro": micro_average(results),
        "consistency": rank_consistency(ranks),
        "history": load_history(meta, results),
        "validation": load_validation(meta, results),
        "selected": selected_epochs(meta, results),
    }
    colours = system_colours(results)
    views = tuple(
        build_view(
            d,
            any(m.synthetic for m in meta.values() if m.dataset == d),
            declared[d],
            frames,
            stats,
            colours,
        )
        for d in datasets
    )
    return Analysis(meta, results, summary, stats, views, colours)


def report_blocks(analysis: Analysis) -> list[Block]:
    """The whole page, sections in order (see the module docstring)."""
    from .s0_warnings import partial_notes, synthetic_note, tie_blocks
    from .s1_answer import answer_blocks
    from .s2_results import results_blocks
    from .s3_significance import significance_blocks
    from .s4_ranking import ranking_blocks
    from .s5_gaps import gap_blocks
    from .s6_diagnostics import diagnostic_blocks
    from .s7_methods import method_blocks, runs_blocks
    from .s8_appendix import appendix_blocks

    views = analysis.views
    blocks: list[Block] = [Heading(TITLE, 1), *partial_notes(analysis.meta)]
    blocks += [b for v in views for b in synthetic_note(v) + tie_blocks(v)]
    blocks += [b for v in views for b in answer_blocks(v)]
    for v in views:
        blocks.append(Heading(f"Dataset {v.dataset}" + (" (synthetic)" if v.synthetic else "")))
        for section in (
            results_blocks,
            significance_blocks,
            ranking_blocks,
            gap_blocks,
            diagnostic_blocks,
        ):
            blocks += section(v)
    blocks += method_blocks(analysis.stats, analysis.meta) + runs_blocks(analysis.meta)
    return blocks + appendix_blocks(views)


def write_report(
    run_dirs: list[Path],
    out: Path | None = None,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    loaded: LoadedRuns | None = None,
) -> Path:
    """Analyse ``run_dirs`` and write the report into ``out`` (default: the single run folder);
    ``loaded``: the runs already read (``load_runs(run_dirs)``), not read again.

    Returns the path of ``report.html``. Writes ``report.md``, ``report.html``,
    ``figures/*.png|svg`` and ``tables/*.md|csv|tex``, and removes the figures and tables an
    earlier report wrote there that this one does not. A report whose inputs (the runs' files,
    by checksum) and settings are unchanged is not rebuilt (``report.key.json`` records them).
    """
    from ... import io
    from ...owned import refuse_foreign_targets
    from .files import inputs_key, is_current, render_files, write_files

    run_dirs = [Path(p) for p in run_dirs]
    if out is None:
        if len(run_dirs) != 1:
            raise UserError(
                "several run folders need --out DIR to say where the merged report goes"
            )
        out = run_dirs[0]
    out = Path(out)
    if out.exists() and not out.is_dir():  # before minutes of statistics and drawing
        raise UserError(f"--out {out} is a file; choose a folder for the report")
    folder = RunFolder(out)
    # a user's own report.md there is never overwritten: said before the statistics
    refuse_foreign_targets([folder.report_md, folder.report_html, folder.report_key], "the report")
    key = inputs_key(run_dirs, n_resamples=n_resamples, seed=seed)
    if is_current(out, key):
        log.info("report in %s is up to date with its runs; not rebuilt", out)
        return folder.report_html
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("report: loading runs and computing statistics", total=None)
        analysis = analyse(run_dirs, n_resamples=n_resamples, seed=seed, loaded=loaded)
        bar.update(task, description="report: drawing figures")
        blocks = report_blocks(analysis)
        bar.update(task, description="report: writing files")
        files = render_files(blocks, TITLE, out)
    refuse_foreign_targets(files, "the report")
    io.remove(folder.report_key)  # a report half rewritten is never "current"
    write_files(files, out)
    io.write_json(folder.report_key, key)  # last: vouches for the files above
    return folder.report_html


__all__ = ["Analysis", "analyse", "report_blocks", "write_report"]
