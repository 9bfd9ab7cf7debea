"""`c2kd-analyze run`: parses options and calls ``distill.runner.run_experiment``."""

from __future__ import annotations

import os
from pathlib import Path

import typer

# Set before torch is imported: OpenMP threads that spin while waiting make training 10-30x
# slower when the machine's cores are shared with other processes (measured on 2 cores under
# load: 4.6 s vs 0.16 s per step); passive waiting costs little on an idle machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_TEACHER_DIR_HELP = "NAME=DIR: load teacher NAME from a saved model folder (repeatable)."


def _parse_options(items: list[str] | None) -> dict | None:
    """``KEY=VALUE`` pairs; numbers become numbers, true/false become booleans."""
    from ..errors import UserError

    if not items:
        return None
    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"bad --dataset-option {item!r}; write KEY=VALUE, e.g. n_train=500")
        if value.strip().lower() in ("true", "false"):
            out[key.strip()] = value.strip().lower() == "true"
            continue
        for cast in (int, float):
            try:
                out[key.strip()] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key.strip()] = value
    return out


def _print_table(outcome, languages: list[str] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..distill.summary import format_r1_table

    header, rows = format_r1_table(outcome.results, languages)
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


def _write_report(run_dir: Path) -> None:
    import logging

    log = logging.getLogger(__name__)
    try:
        from ..analysis.report import write_report
    except ImportError:
        log.warning("analysis report is not available in this install; skipped the report")
        return
    html = write_report([run_dir])
    typer.echo(f"report: {html}")


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app."""

    @app.command("run")
    def _run(
        dataset: str | None = typer.Option(None, "--dataset", help="Dataset name (default demo)."),
        data_dir: Path | None = typer.Option(
            None, "--data-dir", help="Folder holding the dataset's files."
        ),
        features: str | None = typer.Option(None, "--features", help="clip or s3d (C2KD release)."),
        dataset_option: list[str] = typer.Option(
            None, "--dataset-option", help="KEY=VALUE for the dataset loader, e.g. n_train=500."
        ),
        teachers: str | None = typer.Option(
            None, "--teachers", help="Comma-separated teacher names."
        ),
        student: str | None = typer.Option(None, "--student", help="Student text backbone."),
        seeds: str | None = typer.Option(
            None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2."
        ),
        mode: str | None = typer.Option(
            None, "--mode", help="frozen (encoders frozen) or full (fine-tune)."
        ),
        preset: str = typer.Option(
            "demo",
            "--preset",
            help="demo, paper-msrvtt, paper-youcook2, paper-vatex, paper-rudder.",
        ),
        config: Path | None = typer.Option(None, "--config", help="TOML file of config values."),
        pool: str | None = typer.Option(
            None, "--pool", help="Also distil from all teachers pooled: max, min or mean."
        ),
        epochs: int | None = typer.Option(None, "--epochs"),
        lr: float | None = typer.Option(None, "--lr"),
        encoder_lr: float | None = typer.Option(
            None, "--encoder-lr", help="lr of the fine-tuned text encoder (--mode full)."
        ),
        batch_size: int | None = typer.Option(None, "--batch-size"),
        balance: float | None = typer.Option(
            None, "--balance", help="lambda in [0, 1]: weight of NCE vs distillation."
        ),
        temperature: float | None = typer.Option(
            None, "--temperature", help="NCE temperature of students and baselines."
        ),
        distill_temp: float | None = typer.Option(
            None, "--distill-temp", help="Softmax temperature of the KD term."
        ),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="Run folder (default runs/<run id>)."
        ),
        overwrite: bool = typer.Option(
            False, "--overwrite", help="Replace a run of another config in --out."
        ),
        teacher_dir: list[str] = typer.Option(None, "--teacher-dir", help=_TEACHER_DIR_HELP),
        report: bool = typer.Option(
            True, "--report/--no-report", help="Write the analysis report at the end."
        ),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
        shard: str | None = typer.Option(
            None,
            "--shard",
            help="I/N: run only cells whose index mod N is I (one shared --out; "
            "no report: run `c2kd-analyze report` when every shard is done).",
        ),
    ) -> None:
        """Train each teacher, the zero-shot and translate-train baselines and one C2KD student per
        teacher; evaluate every language; write results.parquet and print R@1 per language."""
        from ..config import build_config
        from ..distill.distributed import is_main
        from ..distill.runner import run_experiment
        from ..distill.shard import Shard
        from ..teachers.backends.progress import set_enabled as set_encode_progress
        from ..teachers.sources import parse_teacher_dirs

        cfg = build_config(
            preset, config, dataset=dataset, features=features,
            dataset_options=_parse_options(dataset_option), teachers=teachers,
            student=student, seeds=seeds, mode=mode, pool=pool, epochs=epochs, lr=lr,
            encoder_lr=encoder_lr, batch_size=batch_size, balance=balance, temperature=temperature,
            baseline_temperature=temperature, distill_temp=distill_temp,
        )  # fmt: skip
        part = Shard.parse(shard)
        set_encode_progress(progress)
        outcome = run_experiment(
            cfg, out, overwrite=overwrite, data_dir=data_dir,
            teacher_dirs=parse_teacher_dirs(teacher_dir), progress=progress, shard=part,
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
            _print_table(outcome, None)
        if report and part.count == 1:
            _write_report(outcome.run_dir)
