"""`c2kd-analyze report`: parses options and calls one library function."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `report` command to the root app. (Being built: see the report issue.)"""

    @app.command("report")
    def _report() -> None:
        """(under construction)"""
        raise NotImplementedError("report is being built")
