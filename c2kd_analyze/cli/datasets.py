"""`c2kd-analyze datasets ...`: list the datasets, check one before a run."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import data_dir_path

app = typer.Typer(help="List datasets and check one before training.", no_args_is_help=True)


@app.command("list")
def list_cmd() -> None:
    """Show every dataset, what it needs and its languages."""
    from rich.console import Console
    from rich.table import Table

    from ..data import list_datasets

    table = Table("name", "needs --data-dir", "features", "languages", "description")
    for d in list_datasets():
        table.add_row(
            d.name, "yes" if d.needs_data_dir else "no", "/".join(d.features),
            ",".join(d.languages) or "from the data", d.description,
        )  # fmt: skip
    Console(width=160).print(table)


def _options(pairs: list[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` strings -> {key: value}; the dataset's typed parser reads the values."""
    from ..errors import UserError

    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"bad --option {pair!r}; write KEY=VALUE, e.g. --option n_train=500")
        if key.strip() in out:
            raise UserError(f"--option {key.strip()} is given twice; give it once")
        out[key.strip()] = value
    return out


_OPTION_HELP = (
    "KEY=VALUE: any dataset option, as `run --dataset-option` (repeatable), e.g. noise=0.5, "
    "full_denominator=false, languages=en,hi."
)


@app.command("check")
def check_cmd(
    name: str = typer.Argument("demo", help="Dataset name (see `datasets list`)."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="The release's extracted data/ folder, or a generic-format folder.",
        parser=data_dir_path,
        metavar="<path>",
    ),
    features: str | None = typer.Option(None, "--features", help="clip or s3d (release datasets)."),
    n_train: int | None = typer.Option(None, "--n-train", help="demo: training clips (2000)."),
    n_test: int | None = typer.Option(None, "--n-test", help="demo: test clips (500)."),
    seed: int | None = typer.Option(None, "--seed", help="demo: generator seed (0)."),
    train_captions: int | None = typer.Option(
        None, "--train-captions", help="demo: captions per training clip (1)."
    ),
    option: list[str] | None = typer.Option(None, "--option", help=_OPTION_HELP),
) -> None:
    """Load and validate a dataset; print clips per split, languages, captions, feature shape,
    what the reader tolerated and problems. Exit 0 when `run` would accept the data, 2 with one
    line when it would not."""
    from ..data import check_dataset
    from ..errors import UserError

    options: dict[str, object] = dict(_options(option))
    flags = {"n_train": n_train, "n_test": n_test, "seed": seed, "train_captions": train_captions}
    for key, value in flags.items():
        if value is None:
            continue
        if key in options:
            raise UserError(f"{key} is given both as --{key.replace('_', '-')} and as --option")
        options[key] = value
    report = check_dataset(name, data_dir=data_dir, features=features, **options)
    for line in report.lines():
        typer.echo(line)
