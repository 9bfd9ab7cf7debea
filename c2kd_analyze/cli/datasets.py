"""`c2kd-analyze datasets ...`: list the datasets, check one before a run, translate captions."""

from __future__ import annotations

from pathlib import Path

import typer

from ..choices import described
from .options import DEVICE_HELP, data_dir_path

app = typer.Typer(
    help="List datasets, check one before training, translate your captions.", no_args_is_help=True
)


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


@app.command("translate")
def translate_cmd(
    data_dir: Path = typer.Argument(
        ..., help="A generic-format folder whose captions table has English captions."
    ),
    to: str = typer.Option(..., "--to", help="Languages to write, ISO 639-1: de,fr,zh,..."),
    model: str = typer.Option(
        "nllb-600m",
        "--model",
        help="A translation model: a name (see `datasets translators`), a Hugging Face id "
        "(org/name, from the local cache) or a saved model folder.",
    ),
    back_model: str | None = typer.Option(
        None,
        "--back-model",
        help="The model for the round trip back to English (default: --model).",
    ),
    beams: int = typer.Option(4, "--beams", help="Beam size, 1-32 (1: greedy)."),
    batch_tokens: int = typer.Option(
        4096, "--batch-tokens", help="Tokens per batch, padding included (>= 16)."
    ),
    round_trip: bool = typer.Option(
        False, "--round-trip", help="Translate back to English and report chrF per language."
    ),
    worst: int = typer.Option(5, "--worst", help="Worst round-trip captions listed per language."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    precision: str = typer.Option("auto", "--precision", help=described("precision")),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Translate DATA_DIR's English captions into --to and write them beside the English rows,
    marked in a translated_by column (human captions are never replaced). Each caption is
    translated once per model (cache): a rerun translates nothing."""
    from ..data.translate.pipeline import translate_captions

    report = translate_captions(
        data_dir,
        to,
        model=model,
        back_model=back_model,
        device=device,
        precision=precision,
        beams=beams,
        batch_tokens=batch_tokens,
        check_round_trip=round_trip,
        worst=worst,
        progress=not no_progress,
    )
    for line in report.lines():
        typer.echo(line)


@app.command("translators")
def translators_cmd() -> None:
    """Show the registered translation models: model, pinned revision, languages, licence."""
    from rich.console import Console
    from rich.table import Table

    from ..data.translate.registry import list_translators

    table = Table("name", "model", "size", "family", "languages", "licence")
    for s in list_translators():
        table.add_row(s.name, s.model_label, s.size, s.family, s.languages_label, s.licence)
    Console(width=160).print(table)
