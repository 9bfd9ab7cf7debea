"""`c2kd-analyze doctor`: calls ``doctor.run_checks`` and prints one line per check."""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command("doctor")
def doctor() -> None:
    """Check the environment: torch, devices, cache folder, bundled and hub teachers."""
    from rich.console import Console
    from rich.markup import escape

    from ..environment import run_checks

    marks = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
    console = Console(highlight=False, soft_wrap=True)
    checks = run_checks()
    width = max(len(c.area) for c in checks)
    for c in checks:
        console.print(f"{marks[c.status]}  {c.area:<{width}}  {escape(c.detail)}")
        if c.fix:
            console.print(f"{'':<{width + 8}}-> {escape(c.fix)}")
    failed = [c.area for c in checks if c.status == "fail"]
    if failed:
        typer.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
