"""`c2kd-analyze runs`: the run folders under a folder, one row each (``analysis.index``)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer()


@app.command("runs")
def runs(
    folder: Path = typer.Argument(
        Path("runs"), help="Folder holding run folders (searched 4 levels deep)."
    ),
    fmt: str = typer.Option(
        "table",
        "--format",
        help="table (for the terminal), md, csv or json (every column, R@1 as a fraction).",
    ),
) -> None:
    """List the run folders under FOLDER: run id, dataset, teachers, mode, seeds, cells done,
    status (complete, partial, damaged), device, date and the best system by average R@1."""
    from ..analysis.index import index_runs, runs_text
    from ..errors import UserError

    if fmt not in ("table", "md", "csv", "json"):
        raise UserError(f"--format must be table, md, csv or json, got {fmt!r}")
    frame = index_runs(folder)
    if frame.is_empty():
        typer.echo(f"no run folders under {folder}", err=True)
        return
    if fmt != "table":
        typer.echo(runs_text(frame, fmt), nl=False)
        return
    _print(frame)


def _print(frame) -> None:
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    from ..analysis.formatting import pct_expr

    shown = frame.with_columns(pct_expr(pl.col("best_r1")).alias("best_r1"))
    table = Table(title=f"{frame.height} run(s)")
    names = ["run_id", "dataset", "teachers", "mode", "seeds", "cells", "status", "device",
             "date", "best", "best_r1"]  # fmt: skip
    for name in names:
        table.add_column("best R@1 (%)" if name == "best_r1" else name.replace("_", " "))
    colour = {"complete": "green", "partial": "yellow", "damaged": "red"}
    for row in shown.iter_rows(named=True):
        cells = [str(row[n]) if row[n] is not None else "–" for n in names]
        status = row["status"]
        cells[names.index("status")] = f"[{colour.get(status, 'white')}]{status}[/]"
        table.add_row(*cells)
    console = Console(highlight=False)
    console.width = max(console.width, 150)  # a pipe or a narrow terminal: no wrapped cells
    console.print(table)
    for row in frame.filter(pl.col("problem").is_not_null()).iter_rows(named=True):
        console.print(f"{row['folder']}: {row['problem']}", markup=False, soft_wrap=True)
