"""`c2kd-analyze teachers ...`: list, show, check and fetch the registered teachers."""

from __future__ import annotations

import typer

from ..choices import described
from .options import DEVICE_HELP, TEACHER_DIR_HELP, TRUST_REMOTE_CODE_HELP

app = typer.Typer(
    help="List, show, check and fetch teachers (multilingual text encoders).", no_args_is_help=True
)


@app.command("list")
def list_cmd(
    offline: bool = typer.Option(False, "--offline", help="Only teachers usable offline here."),
    lang: str = typer.Option(
        None, "--lang", help="Only teachers covering this language (ISO 639-1; 'many' counts)."
    ),
) -> None:
    """Show every registered teacher: model, parameters, dim, languages, offline-ready, ..."""
    from rich.console import Console
    from rich.table import Table

    from ..lang import normalize_lang
    from ..teachers import list_teachers
    from ..teachers.sources import is_offline_ready

    code = normalize_lang(lang) if lang else None
    columns = ("name", "model", "params", "dim", "languages", "offline-ready", "trainable",
               "backend", "remote code")  # fmt: skip
    table = Table(title="teachers")
    for col in columns:
        table.add_column(col)
    for spec in list_teachers():
        if code is not None and not spec.covers(code):
            continue
        ready = is_offline_ready(spec)
        if offline and not ready:
            continue
        table.add_row(
            spec.name,
            spec.model,
            spec.parameters_label,
            str(spec.dim),
            spec.languages_label,
            ("yes (bundled)" if spec.bundled else "yes") if ready else "no",
            "yes" if spec.trainable else "no",
            spec.backend,
            "yes" if spec.trust_remote_code else "",
        )
    Console(width=180).print(table)


@app.command("show")
def show_cmd(name: str = typer.Argument(..., help="Teacher name (see `teachers list`).")) -> None:
    """Print NAME's card: model, pinned revision, parameters, pooling, prompt, languages, ..."""
    from ..teachers import get_spec, teacher_card
    from ..teachers.sources import is_offline_ready

    spec = get_spec(name)
    rows = teacher_card(spec, offline_ready=is_offline_ready(spec))
    width = max(len(field) for field, _ in rows)
    for field, value in rows:
        typer.echo(f"{field:<{width}}  {value}")


@app.command("check")
def check_cmd(
    name: str = typer.Argument(..., help="Teacher name (see `teachers list`)."),
    teacher_dir: list[str] = typer.Option(None, "--teacher-dir", help=TEACHER_DIR_HELP),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    precision: str = typer.Option("auto", "--precision", help=described("precision")),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code", help=TRUST_REMOTE_CODE_HELP
    ),
) -> None:
    """Load NAME, encode built-in parallel captions; print dim, time and en->xx R@1. Exit 0 or 1."""
    from ..devices import check_device_spec, check_precision_spec, resolve_device, resolve_precision
    from ..errors import UserError
    from ..teachers import get_spec
    from ..teachers.check import check_teacher
    from ..teachers.loader import refuse_remote_code
    from ..teachers.sources import check_folder, parse_teacher_dirs

    spec = get_spec(name)  # an unknown name is a usage error: exit 2
    refuse_remote_code(spec, trust_remote_code)  # so is running repository code unasked
    local_dir = parse_teacher_dirs(teacher_dir).get(name)
    if local_dir is not None:
        check_folder(spec, local_dir)  # a folder the user named wrongly: exit 2, as in `run`
    precision = check_precision_spec(precision)  # an unknown one: exit 2, before any import
    resolved = resolve_device(check_device_spec(device))  # absent device: exit 2
    autocast = resolve_precision(precision, resolved)
    try:
        report = check_teacher(
            name, local_dir=local_dir, device=str(resolved), precision=autocast,
            trust_remote_code=trust_remote_code,
        )  # fmt: skip
    except UserError as exc:  # the teacher exists but cannot load here: the check fails
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"teacher {report.name}: {report.model_id} on {report.device}, {report.precision}")
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
def fetch_cmd(
    name: str = typer.Argument(..., help="Teacher name (see `teachers list`)."),
    to: str = typer.Option(
        None, "--to", help="Download into this folder (for --teacher-dir) instead of the HF cache."
    ),
) -> None:
    """Download NAME's pinned revision (bundled teachers need no fetch)."""
    from ..teachers.fetch import fetch_teacher

    message, folder = fetch_teacher(name, to=to)
    typer.echo(message + (f": {folder}" if folder else ""))
