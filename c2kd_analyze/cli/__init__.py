"""The ``c2kd-analyze`` command line. Commands only parse options and call one library function.

Sub-command groups live in sibling modules; each imports only typer at module level, so
``c2kd-analyze --help`` starts fast.
"""

from __future__ import annotations

import logging
import sys

import typer

from ..errors import UserError
from . import datasets as _datasets
from . import doctor as _doctor
from . import report as _report
from . import run as _run
from . import teachers as _teachers

app = typer.Typer(
    name="c2kd-analyze",
    help="Which multilingual text model makes the best C2KD teacher? "
    "Train teachers, baselines and C2KD students, evaluate every language, analyse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(_teachers.app, name="teachers")
app.add_typer(_datasets.app, name="datasets")
_run.register(app)
_report.register(app)
_doctor.register(app)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user mistakes become one line on stderr and exit code 2."""
    import click

    try:
        rc = app(args=argv, standalone_mode=False)
        # With standalone_mode=False click returns (not raises) the code of `raise typer.Exit(n)`.
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
