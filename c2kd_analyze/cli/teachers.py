"""`c2kd-analyze teachers ...`: list, check and fetch the registered teachers."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="List, check and fetch teachers (multilingual text encoders).", no_args_is_help=True
)

_TEACHER_DIR_HELP = "NAME=DIR: load teacher NAME from a saved model folder (repeatable)."


def _languages(langs: tuple[str, ...]) -> str:
    if not langs:
        return "many"
    return ",".join(langs) if len(langs) <= 4 else f"{','.join(langs[:4])},... ({len(langs)})"


@app.command("list")
def list_cmd() -> None:
    """Show every registered teacher: model, dim, languages, offline-ready, trainable."""
    from rich.console import Console
    from rich.table import Table

    from ..teachers import list_teachers
    from ..teachers.sources import is_offline_ready

    table = Table(title="teachers")
    for col in ("name", "model", "dim", "languages", "offline-ready", "trainable", "backend"):
        table.add_column(col)
    for spec in list_teachers():
        ready = "yes" if is_offline_ready(spec) else "no"
        if spec.bundled and ready == "yes":
            ready = "yes (bundled)"
        table.add_row(
            spec.name,
            spec.model,
            str(spec.dim),
            _languages(spec.languages),
            ready,
            "yes" if spec.trainable else "no",
            spec.backend,
        )
    Console(width=160).print(table)


@app.command("check")
def check_cmd(
    name: str = typer.Argument(..., help="Teacher name (see `teachers list`)."),
    teacher_dir: list[str] = typer.Option(None, "--teacher-dir", help=_TEACHER_DIR_HELP),
) -> None:
    """Load NAME, encode built-in parallel captions; print dim, time and en->xx R@1. Exit 0 or 1."""
    from ..errors import UserError
    from ..teachers import get_spec
    from ..teachers.check import check_teacher
    from ..teachers.sources import parse_teacher_dirs

    get_spec(name)  # an unknown name is a usage error: exit 2
    local_dir = parse_teacher_dirs(teacher_dir).get(name)
    try:
        report = check_teacher(name, local_dir=local_dir)
    except UserError as exc:  # the teacher exists but cannot load here: the check fails
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"teacher {report.name}: {report.model_id}")
    typer.echo(f"dim {report.dim} (expected {report.expected_dim}); load {report.load_s:.2f} s; "
               f"encode {5 * report.n_captions} captions {report.encode_s:.2f} s")  # fmt: skip
    for lang, r1 in report.recall_at_1.items():
        typer.echo(f"  en->{lang}: R@1 {r1:.2f}  (cos true {report.true_pair_cos[lang]:.2f}, "
                   f"others {report.other_pair_cos[lang]:.2f})")  # fmt: skip
    if report.ok:
        typer.echo(f"ok: finite, unit-norm {report.dim}-d vectors")
        return
    typer.echo(f"FAILED: finite={report.finite}, max |norm-1|={report.max_norm_error:.2g}, "
               f"dim={report.dim}", err=True)  # fmt: skip
    raise typer.Exit(1)


@app.command("fetch")
def fetch_cmd(name: str = typer.Argument(..., help="Teacher name (see `teachers list`).")) -> None:
    """Download NAME into the local Hugging Face cache (bundled teachers need no fetch)."""
    from ..teachers.fetch import fetch_teacher

    message, folder = fetch_teacher(name)
    typer.echo(message + (f": {folder}" if folder else ""))
