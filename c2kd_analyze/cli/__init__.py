"""The ``c2kd-analyze`` command line. Commands only parse options and call one library function.

Sub-command groups live in sibling modules; each imports only typer at module level, so
``c2kd-analyze --help`` starts fast.
"""

from __future__ import annotations

import logging
import sys

import typer

from ..errors import Interrupted, UserError
from . import datasets as _datasets
from . import doctor as _doctor
from . import export as _export
from . import features as _features
from . import report as _report
from . import run as _run
from . import runs as _runs
from . import teachers as _teachers
from .streams import pipe_safe_streams

app = typer.Typer(
    name="c2kd-analyze",
    help="Which multilingual text model makes the best C2KD teacher? "
    "Train teachers, baselines and C2KD students, evaluate every language, analyse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# every command module is a typer app: groups under their name, single commands merged in
app.add_typer(_run.app)
app.add_typer(_report.app)
app.add_typer(_runs.app)
app.add_typer(_teachers.app, name="teachers")
app.add_typer(_datasets.app, name="datasets")
app.add_typer(_doctor.app)
app.add_typer(_export.app)
app.add_typer(_features.app, name="features")


_verbose = False


@app.callback()
def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show debug logging, and the traceback of an internal error."
    ),
) -> None:
    global _verbose
    _verbose = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _click_errors() -> tuple[type[BaseException], ...]:
    """The usage-error base classes the installed typer really raises.

    typer >= 0.20 vendors click as ``typer._click`` (its ClickException subclasses
    ``typer.TyperException``, not ``click.ClickException``); older typer raises click's own.
    """
    found: list[type[BaseException]] = []
    if hasattr(typer, "TyperException"):
        found.append(typer.TyperException)
    try:
        import click

        found.append(click.ClickException)
    except ImportError:  # a typer that vendors click may run without click installed
        pass
    return tuple(found)


def _exit_classes() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(Exit-like, Abort-like) classes of typer and of click, whichever are installed."""
    exits: list[type[BaseException]] = [typer.Exit]
    aborts: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        exits.append(click.exceptions.Exit)
        aborts.append(click.exceptions.Abort)
    except ImportError:
        pass
    return tuple(exits), tuple(aborts)


def _show_usage_error(exc: BaseException) -> int:
    """A parser error in two lines (the command's usage, then ``error: ...`` with where to look
    for help); returns its exit code (2). A group called without a command has printed its help
    already (``no_args_is_help``): nothing more is said."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        return int(getattr(exc, "exit_code", 2) or 2)
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    option, possible = getattr(exc, "option_name", None), getattr(exc, "possibilities", None)
    if option and possible is not None:  # click's NoSuchOption: suggest only close names
        import difflib

        close = difflib.get_close_matches(option, sorted(possible), n=3, cutoff=0.7)
        message = f"no such option {option}"
        message += f"; did you mean {' or '.join(close)}?" if close else ""
    if ctx is not None:
        typer.echo(ctx.get_usage().splitlines()[0], err=True)
        message += f" (see '{ctx.command_path} --help')"
    typer.echo(f"error: {message}", err=True)
    return int(getattr(exc, "exit_code", 2) or 2)


def main(argv: list[str] | None = None, prog_name: str | None = None) -> None:
    """Console entry point (``prog_name``: the name usage lines show; default as click finds it).

    Exit codes: 0 ok; 1 a failed check or an internal error (two lines; ``--verbose`` shows the
    traceback); 2 a user mistake (one ``error:`` line, or click's usage line plus one error line
    for a command-line parsing error); 130 interrupted.
    """
    global _verbose
    _verbose = False  # set by the root callback when --verbose is given
    with pipe_safe_streams():  # `run ... | head -1` must not stop the work
        _main(argv, prog_name)


def _main(argv: list[str] | None, prog_name: str | None) -> None:
    exits, aborts = _exit_classes()
    try:
        Interrupted.last = None
        rc = app(args=argv, prog_name=prog_name, standalone_mode=False)
        # With standalone_mode=False click returns (not raises) the code of `raise typer.Exit(n)`;
        # typer turns Ctrl-C (KeyboardInterrupt) into 130 that way
        if rc == 130:
            typer.echo(Interrupted.line(), err=True)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except UserError as exc:
        from ..distill.distributed import EveryRankError, is_main

        if is_main() or not isinstance(exc, EveryRankError):  # said once under torchrun
            typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except exits as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except aborts:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except _click_errors() as exc:
        sys.exit(_show_usage_error(exc))
    except KeyboardInterrupt:  # outside a command (while typer starts)
        typer.echo(Interrupted.line(), err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: two lines, the traceback only when asked for
        if _verbose:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        typer.echo("re-run with --verbose for the traceback, and please report it", err=True)
        sys.exit(1)
