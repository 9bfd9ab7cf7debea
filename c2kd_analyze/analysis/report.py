"""``write_report``: run folders in; ``report.md``, a self-contained ``report.html``, figures and
tables out.

Everything is computed in memory first; files are written only once the whole report exists, each
atomically through :mod:`c2kd_analyze.io`, so bad input leaves nothing half-written behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import io
from ..errors import UserError
from ..layout import RunFolder
from .answer import answer_blocks
from .gap_sections import diagnostic_blocks, gap_blocks, heatmap_blocks
from .load import RunMeta, load_runs
from .render import Block, Bullets, Figure, Heading, Note, Para, Table, to_html_doc, to_markdown_doc
from .sections import direction_section, interval_blocks, ranking_blocks, test_blocks
from .tables import to_latex, to_markdown
from .view import DatasetView, build_view

if TYPE_CHECKING:
    import polars as pl

    from .compare import Statistics

log = logging.getLogger(__name__)
TITLE = "C2KD teacher report"
MIN_RESAMPLES = 100


@dataclass(frozen=True)
class Analysis:
    """Every number the report shows."""

    meta: dict[str, RunMeta]
    results: pl.DataFrame
    summary: pl.DataFrame
    stats: Statistics
    views: tuple[DatasetView, ...]


def analyse(run_dirs: list[Path], *, n_resamples: int = 1000, seed: int = 0) -> Analysis:
    """Load the runs and compute tables, statistics, gaps and diagnostics for each dataset."""
    import polars as pl

    from .compare import compute_statistics
    from .gaps import gap_closed, language_gaps
    from .systems import add_methods
    from .tables import summarize

    if n_resamples < MIN_RESAMPLES:
        raise UserError(
            f"--resamples must be at least {MIN_RESAMPLES} (p-values down to 0.01), got "
            f"{n_resamples}"
        )
    results, ranks, diagnostics, meta = load_runs(run_dirs)
    results, ranks = add_methods(results), add_methods(ranks)
    summary = summarize(results)
    stats = compute_statistics(results, ranks, n_resamples=n_resamples, seed=seed)
    gaps = language_gaps(summary)
    closed = gap_closed(gaps)
    views = []
    for dataset in sorted(set(results["dataset"].to_list())):
        synthetic = any(m.synthetic for m in meta.values() if m.dataset == dataset)
        seeds = tuple(sorted(set(results.filter(pl.col("dataset") == dataset)["seed"].to_list())))
        views.append(
            build_view(dataset, synthetic, summary, stats, gaps, closed, diagnostics, seeds)
        )
    return Analysis(meta, results, summary, stats, tuple(views))


def report_blocks(analysis: Analysis) -> list[Block]:
    """The whole report, leading with the answer for each dataset."""
    blocks: list[Block] = [Heading(TITLE, 1)]
    for view in analysis.views:
        if view.synthetic:
            blocks.append(
                Note(
                    f"Dataset **{view.dataset}** is **synthetic** (generated, not recorded): its "
                    "numbers show that the pipeline works, not how these models compare on "
                    "real video."
                )
            )
    for view in analysis.views:
        blocks += answer_blocks(view)
    for view in analysis.views:
        blocks += _dataset_section(view)
    blocks += _method_notes(analysis) + _provenance(analysis)
    return blocks


def _dataset_section(view: DatasetView) -> list[Block]:
    label = f"Dataset {view.dataset}" + (" (synthetic)" if view.synthetic else "")
    blocks: list[Block] = [Heading(label, 2)]
    blocks += direction_section(view, view.direction)
    blocks += [Heading("Intervals and significance", 3), *interval_blocks(view), *test_blocks(view)]
    blocks += [Heading("Teachers ranked", 3), *ranking_blocks(view), *heatmap_blocks(view)]
    blocks += [Heading("Gap to English", 3), *gap_blocks(view)]
    blocks += [Heading("Teacher diagnostics", 3), *diagnostic_blocks(view)]
    for direction in view.directions[1:]:
        blocks += direction_section(view, direction)
    return blocks


def _method_notes(analysis: Analysis) -> list[Block]:
    st = analysis.stats
    joint = ", ".join(
        f"{d}: {'jointly across languages (parallel test queries)' if p else 'per language'}"
        for d, p in sorted(st.parallel.items())
    )
    return [
        Heading("How the numbers are made", 2),
        Bullets(
            (
                "Tables: mean ± sample std over seeds of each recall; the avg column is the "
                "mean over all evaluated "
                "languages (English included), averaged per seed first.",
                "Per-query statistics use the stored ranks: a query is a hit at k when its "
                "rank is at most k; a query "
                "missing from the data is a miss. With several seeds, a query's hit is the "
                "share of seeds that hit it.",
                f"Intervals: percentile bootstrap over queries, **{st.n_resamples} resamples, "
                f"seed {st.seed}**; queries "
                f"resampled {joint}.",
                "Tests: two-sided paired sign-flip permutation test over queries (same "
                "resample count and seed); the "
                "interval of a difference is the paired bootstrap. Holm's correction runs over "
                "all student-vs-baseline "
                "tests of one dataset, direction and k (languages and average together), and "
                "separately over all "
                "student pairs (for the ranking). α = 0.05.",
                "Teacher rank = 1 + the number of students significantly better, so "
                "non-significant differences tie.",
            )
        ),
    ]


def _provenance(analysis: Analysis) -> list[Block]:
    import polars as pl

    rows = [
        {
            "run": m.run_id,
            "dataset": m.dataset + (" (synthetic)" if m.synthetic else ""),
            "seeds": ",".join(map(str, m.config.get("seeds", []))),
            "mode": str(m.config.get("mode", "")),
            "teachers": ",".join(m.config.get("teachers", [])),
            "git": str(m.git_sha or "")[:10],
            "folder": str(m.path),
        }
        for m in analysis.meta.values()
    ]
    return [Heading("Runs", 2), Table("runs", "Run folders in this report", pl.DataFrame(rows))]


def write_report(
    run_dirs: list[Path], out: Path | None = None, *, n_resamples: int = 1000, seed: int = 0
) -> Path:
    """Analyse ``run_dirs`` and write the report into ``out`` (default: the single run folder).

    Returns the path of ``report.html``. Writes ``report.md``, ``report.html``,
    ``figures/*.png|svg`` and ``tables/*.md|csv|tex``.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    run_dirs = [Path(p) for p in run_dirs]
    if out is None:
        if len(run_dirs) != 1:
            raise UserError(
                "several run folders need --out DIR to say where the merged report goes"
            )
        out = run_dirs[0]
    out = Path(out)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("report: loading runs and computing statistics", total=None)
        analysis = analyse(run_dirs, n_resamples=n_resamples, seed=seed)
        bar.update(task, description="report: drawing figures")
        blocks = report_blocks(analysis)
        bar.update(task, description="report: writing files")
        files = render_files(blocks)
    for rel, data in files.items():
        io.write_bytes(out / rel, data)
    log.info("wrote %d report files to %s", len(files), out)
    return RunFolder(out).report_html


def render_files(blocks: list[Block]) -> dict[str, bytes]:
    """Relative path -> bytes of every report file."""
    names = RunFolder(Path("."))  # relative paths inside the report folder
    figures, tables = names.figures_dir.name, names.tables_dir.name
    files: dict[str, bytes] = {
        names.report_md.name: to_markdown_doc(blocks).encode(),
        names.report_html.name: to_html_doc(blocks, TITLE).encode(),
    }
    for b in blocks:
        if isinstance(b, Figure):
            files[f"{figures}/{b.name}.png"] = b.png
            files[f"{figures}/{b.name}.svg"] = b.svg
        elif isinstance(b, Table):
            files[f"{tables}/{b.name}.md"] = to_markdown(b.display).encode()
            files[f"{tables}/{b.name}.tex"] = to_latex(b.display, b.caption).encode()
            files[f"{tables}/{b.name}.csv"] = (
                (b.numeric if b.numeric is not None else b.display).write_csv().encode()
            )
    return files


__all__ = ["Analysis", "Para", "analyse", "render_files", "report_blocks", "write_report"]
