"""`c2kd-analyze datasets ...`: list the datasets, check one before a run."""

from __future__ import annotations

from pathlib import Path

import typer

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


@app.command("check")
def check_cmd(
    name: str = typer.Argument("demo", help="Dataset name (see `datasets list`)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="The release's extracted data/ folder, or a generic-format folder."
    ),
    features: str | None = typer.Option(None, "--features", help="clip or s3d (release datasets)."),
    n_train: int | None = typer.Option(None, "--n-train", help="demo: training clips (2000)."),
    n_test: int | None = typer.Option(None, "--n-test", help="demo: test clips (500)."),
    seed: int | None = typer.Option(None, "--seed", help="demo: generator seed (0)."),
) -> None:
    """Load and validate a dataset; print clips per split, languages, captions, feature shape and
    problems. Exit 0 when it is usable, 2 with one line when it is not."""
    from ..data import check_dataset

    options = {
        k: v
        for k, v in {"n_train": n_train, "n_test": n_test, "seed": seed}.items()
        if v is not None
    }
    report = check_dataset(name, data_dir=data_dir, features=features, **options)
    for line in report.lines():
        typer.echo(line)
