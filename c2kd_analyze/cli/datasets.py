"""`c2kd-analyze datasets ...`"""

from __future__ import annotations

import typer

app = typer.Typer(help="datasets commands.", no_args_is_help=True)


@app.command("list")
def _list() -> None:
    """(under construction)"""
    raise NotImplementedError
