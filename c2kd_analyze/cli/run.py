"""`c2kd-analyze run`: parses options and calls one library function."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app. (Being built: see the run issue.)"""

    @app.command("run")
    def _run() -> None:
        """(under construction)"""
        raise NotImplementedError("run is being built")
