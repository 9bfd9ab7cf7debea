"""`c2kd-analyze run`: parses options and calls ``distill.runner.run_experiment``."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .options import DEVICE_HELP, PRECISION_HELP, TEACHER_DIR_HELP, TRUST_REMOTE_CODE_HELP

# Set before torch is imported: OpenMP threads that spin while waiting make training 10-30x
# slower when the machine's cores are shared with other processes (measured on 2 cores under
# load: 4.6 s vs 0.16 s per step); passive waiting costs little on an idle machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = typer.Typer()

DATA, TEACHERS, RECIPE, EXECUTION, OUTPUT = "Data", "Teachers", "Recipe", "Execution", "Output"


def parse_pairs(items: list[str] | None, flag: str, example: str) -> dict[str, str] | None:
    """``KEY=VALUE`` items as a dict of strings (the config validates their types)."""
    from ..errors import UserError

    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"bad {flag} {item!r}; write KEY=VALUE, e.g. {flag} {example}")
        out[key.strip()] = value.strip()
    return out


def _teacher_lr(items: list[str] | None) -> dict[str, float] | None:
    """``--teacher-lr NAME=LR`` items as numbers (the config checks their range)."""
    from ..errors import UserError

    pairs = parse_pairs(items, "--teacher-lr", "muse-distil=1e-4")
    if pairs is None:
        return None
    out: dict[str, float] = {}
    for name, value in pairs.items():
        try:
            out[name] = float(value)
        except ValueError:
            raise UserError(f"--teacher-lr {name} needs a number, got {value!r}") from None
    return out


def _print_table(outcome, cfg) -> None:
    """The report's own results table (analysis.tables), R@1 x100 per language."""
    from rich.console import Console
    from rich.table import Table

    from .. import io
    from ..analysis.tables import results_table
    from ..layout import RunFolder

    declared = io.read_json(RunFolder(outcome.run_dir).config).get("dataset", {}).get("languages")
    header, rows = results_table(
        outcome.results, languages=declared, teachers=list(cfg.teachers), pool=cfg.pool
    )
    seeds = outcome.results["seed"].n_unique()
    title = f"text-to-video R@1 (x100) on {outcome.results['dataset'][0]}"
    title += (
        f", mean ± std over {seeds} seeds" if seeds > 1 else f", seed {outcome.results['seed'][0]}"
    )
    table = Table(title=title)
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=max(100, 14 * len(header))).print(table)


@app.command("run")
def run(
    dataset: str | None = typer.Option(
        None, "--dataset", help="Dataset name (default demo).", rich_help_panel=DATA
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder holding the dataset's files.", rich_help_panel=DATA
    ),
    features: str | None = typer.Option(
        None, "--features", help="clip or s3d (C2KD release).", rich_help_panel=DATA
    ),
    dataset_option: list[str] = typer.Option(
        None,
        "--dataset-option",
        help="KEY=VALUE for the dataset loader, e.g. n_train=500 (repeatable).",
        rich_help_panel=DATA,
    ),
    teachers: str | None = typer.Option(
        None, "--teachers", help="Comma-separated teacher names.", rich_help_panel=TEACHERS
    ),
    student: str | None = typer.Option(
        None, "--student", help="Student text backbone.", rich_help_panel=TEACHERS
    ),
    teacher_dir: list[str] = typer.Option(
        None, "--teacher-dir", help=TEACHER_DIR_HELP, rich_help_panel=TEACHERS
    ),
    teacher_recipe: str | None = typer.Option(
        None,
        "--teacher-recipe",
        help="translate-train (the paper; default) or english: how teachers are trained. "
        "An English-only teacher is trained on English either way.",
        rich_help_panel=TEACHERS,
    ),
    teacher_seed: int | None = typer.Option(
        None,
        "--teacher-seed",
        help="Train one teacher set with this seed and reuse it for every student seed "
        "(as the original); default: one teacher set per seed.",
        rich_help_panel=TEACHERS,
    ),
    teacher_lr: list[str] = typer.Option(
        None,
        "--teacher-lr",
        help="NAME=LR: train teacher NAME at its own learning rate (repeatable).",
        rich_help_panel=TEACHERS,
    ),
    trust_remote_code: bool = typer.Option(
        False,
        "--trust-remote-code",
        help=TRUST_REMOTE_CODE_HELP,
        rich_help_panel=TEACHERS,
    ),
    pool: str | None = typer.Option(
        None,
        "--pool",
        help="Also distil from all teachers pooled: max, min or mean (none: no pooled student).",
        rich_help_panel=TEACHERS,
    ),
    preset: str = typer.Option(
        "demo",
        "--preset",
        help="demo, paper-msrvtt, paper-youcook2, paper-vatex, paper-rudder (a paper preset sets "
        "the paper's dataset, student, teachers, mode and recipe).",
        rich_help_panel=RECIPE,
    ),
    config: Path | None = typer.Option(
        None, "--config", help="TOML file of config values.", rich_help_panel=RECIPE
    ),
    seeds: str | None = typer.Option(
        None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2.", rich_help_panel=RECIPE
    ),
    mode: str | None = typer.Option(
        None, "--mode", help="frozen (encoders frozen) or full (fine-tune).", rich_help_panel=RECIPE
    ),
    epochs: int | None = typer.Option(None, "--epochs", rich_help_panel=RECIPE),
    lr: float | None = typer.Option(None, "--lr", rich_help_panel=RECIPE),
    encoder_lr: float | None = typer.Option(
        None,
        "--encoder-lr",
        help="lr of the fine-tuned text encoder (--mode full).",
        rich_help_panel=RECIPE,
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", rich_help_panel=RECIPE),
    balance: float | None = typer.Option(
        None,
        "--balance",
        help="lambda in [0, 1]: weight of NCE vs distillation.",
        rich_help_panel=RECIPE,
    ),
    temperature: float | None = typer.Option(
        None, "--temperature", help="NCE temperature of C2KD students.", rich_help_panel=RECIPE
    ),
    baseline_temperature: float | None = typer.Option(
        None,
        "--baseline-temperature",
        help="NCE temperature of the zero-shot and translate-train baselines.",
        rich_help_panel=RECIPE,
    ),
    teacher_temperature: float | None = typer.Option(
        None,
        "--teacher-temperature",
        help="NCE temperature when training teachers.",
        rich_help_panel=RECIPE,
    ),
    distill_temp: float | None = typer.Option(
        None, "--distill-temp", help="Softmax temperature of the KD term.", rich_help_panel=RECIPE
    ),
    max_tokens: str | None = typer.Option(
        None,
        "--max-tokens",
        help="Token limit of fine-tuned encoders: N (every split) or train=35,test=40,teacher=40.",
        rich_help_panel=RECIPE,
    ),
    ties: str | None = typer.Option(
        None,
        "--ties",
        help="How a tie between the true item and another counts: optimistic (the original's; "
        "default), mean (expected recall over tie orders) or pessimistic.",
        rich_help_panel=RECIPE,
    ),
    device: str = typer.Option(
        "auto",
        "--device",
        help=DEVICE_HELP,
        rich_help_panel=EXECUTION,
    ),
    precision: str | None = typer.Option(
        None,
        "--precision",
        help=PRECISION_HELP,
        rich_help_panel=EXECUTION,
    ),
    shard: str | None = typer.Option(
        None,
        "--shard",
        help="I/N: run only cells whose index mod N is I (one shared --out; "
        "no report: run `c2kd-analyze report` when every shard is done).",
        rich_help_panel=EXECUTION,
    ),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Show progress bars.", rich_help_panel=EXECUTION
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print the resolved config and the cell plan; run nothing.",
        rich_help_panel=EXECUTION,
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Run folder (default runs/<run id>).", rich_help_panel=OUTPUT
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace a run of another config in --out.",
        rich_help_panel=OUTPUT,
    ),
    report: bool = typer.Option(
        True,
        "--report/--no-report",
        help="Write the analysis report at the end.",
        rich_help_panel=OUTPUT,
    ),
) -> None:
    """Train teachers, baselines and one C2KD student per teacher; evaluate; report.

    Each teacher is trained (translate-train by default) and frozen, the zero-shot and
    translate-train baselines are trained beside one C2KD student per teacher, every language is
    evaluated, results.parquet is written, R@1 per language printed and the report written.
    """
    from ..config import build_config
    from ..distill.distributed import is_main
    from ..distill.runner import run_experiment
    from ..distill.shard import Shard
    from ..teachers.sources import parse_teacher_dirs

    cfg = build_config(
        preset, config, dataset=dataset, features=features,
        dataset_options=parse_pairs(dataset_option, "--dataset-option", "n_train=500"),
        teachers=teachers, student=student,
        seeds=seeds, mode=mode, pool=pool, epochs=epochs, lr=lr, encoder_lr=encoder_lr,
        batch_size=batch_size, balance=balance, temperature=temperature,
        baseline_temperature=baseline_temperature, teacher_temperature=teacher_temperature,
        distill_temp=distill_temp, max_tokens=max_tokens, ties=ties, precision=precision,
        teacher_recipe=teacher_recipe, teacher_seed=teacher_seed,
        teacher_lr=_teacher_lr(teacher_lr),
    )  # fmt: skip
    part = Shard.parse(shard)
    dirs = parse_teacher_dirs(teacher_dir)
    if dry_run:
        from ..distill.runner import describe_run

        for line in describe_run(cfg, out, data_dir=data_dir, teacher_dirs=dirs, shard=part,
                                 device=device, trust_remote_code=trust_remote_code):  # fmt: skip
            typer.echo(line)
        return
    outcome = run_experiment(
        cfg, out, overwrite=overwrite, data_dir=data_dir, teacher_dirs=dirs, progress=progress,
        shard=part, device=device, trust_remote_code=trust_remote_code,
    )  # fmt: skip
    if not is_main():  # under torchrun rank 0 alone prints and reports
        return
    done = len(outcome.cells_run)
    typer.echo(
        f"run {outcome.run_id}: {done} cell(s) run, {len(outcome.cells_skipped)} already done, "
        f"{outcome.seconds:.1f} s -> {outcome.run_dir}"
    )
    if part.count > 1:
        typer.echo(f"shard {part}: {outcome.results['cell'].n_unique()} cell(s) in the folder")
    if outcome.results.height:
        _print_table(outcome, cfg)
        if outcome.results.filter(outcome.results["metric"] == "tied_queries")["value"].sum() > 0:
            from ..analysis.ties import tie_warnings

            for line in tie_warnings([outcome.run_dir]):
                typer.echo(line, err=True)
    if report and part.count == 1:
        from ..analysis.report import write_report

        typer.echo(f"report: {write_report([outcome.run_dir])}")
