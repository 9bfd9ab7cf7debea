"""`c2kd-analyze report`: parses options and calls one library function."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer()


@app.command("report")
def report(
    run_dirs: list[Path] = typer.Argument(..., help="Run folder(s) written by `run`."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Where to write the report (default: the run folder; required for several).",
    ),
    resamples: int = typer.Option(
        1000,
        "--resamples",
        min=100,
        max=100_000,
        help="Bootstrap resamples for intervals (100 to 100,000).",
    ),
    seed: int = typer.Option(
        0, "--seed", min=0, max=2**32 - 1, help="Seed of the bootstrap and Monte Carlo draws."
    ),
) -> None:
    """Write the analysis report of one or several run folders.

    Tables, intervals, significance tests, language gaps, teacher diagnostics and plots:
    report.md, a self-contained report.html, figures/ and tables/.
    """
    from ..analysis.load import partial_lines
    from ..analysis.report import write_report

    html = write_report(run_dirs, out, n_resamples=resamples, seed=seed)
    for line in partial_lines(run_dirs):
        typer.echo(line, err=True)
    typer.echo(f"report: {html}")
    typer.echo(f"         {html.with_suffix('.md')}")
