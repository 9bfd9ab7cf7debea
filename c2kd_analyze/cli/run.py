"""`c2kd-analyze run`: parses options and calls the API's ``run`` (or ``plan`` for --dry-run).

Its options are generated from the config's settings (:mod:`.run_options`), so this module
spells none of them out.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from ..progress import Mode as ProgressMode
from .run_options import command_signature, config_settings

# Set before torch is imported: how long OpenMP's threads spin before they sleep between the
# many small kernels of a training step. Spinning without bound made training 10-30x slower
# when the cores were shared with other processes (2 cores under load: 4.6 s vs 0.16 s per
# step); sleeping at once (OMP_WAIT_POLICY=PASSIVE) made the frozen step 1.2x slower on an idle
# machine. A short spin costs neither: 53-55 ms per step idle against 63-66 ms passive, and
# 90-92 vs 80-91 ms beside one CPU-bound process, 196 vs 188 ms beside three (demo preset,
# 2 threads, 2026-12-02). A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone.
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "1000"

app = typer.Typer()


def _print_table(run) -> None:
    """The report's own results table (analysis.tables), R@1 x100 per language."""
    from rich.console import Console
    from rich.table import Table

    frame = run.table()
    results = run.results
    seeds = results["seed"].n_unique()
    title = f"text-to-video R@1 (x100) on {results['dataset'][0]}"
    title += f", mean ± std over {seeds} seeds" if seeds > 1 else f", seed {results['seed'][0]}"
    table = Table(title=title)
    for i, col in enumerate(frame.columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in frame.iter_rows():
        table.add_row(*row)
    Console(width=max(100, 14 * len(frame.columns))).print(table)


def run(**options: Any) -> None:
    """Train teachers, baselines and one C2KD student per teacher; evaluate; report.

    Each teacher is trained and frozen; the zero-shot and translate-train baselines are trained beside one C2KD student per teacher; every language is evaluated, results.parquet written, R@1 per language printed and the report written.
    """  # noqa: E501  (one paragraph per line: --help wraps them)
    from .. import api
    from ..config import configure
    from ..distill.distributed import is_main
    from ..distill.shard import Shard
    from ..teachers.sources import parse_teacher_dirs

    cfg, sources = configure(options["preset"], options["config"], **config_settings(options))
    part = Shard.parse(options["shard"])
    where = dict(
        out=options["out"], data_dir=options["data_dir"], device=options["device"], shard=part,
        teacher_dirs=parse_teacher_dirs(options["teacher_dir"]),
        trust_remote_code=options["trust_remote_code"],
    )  # fmt: skip
    if options["save_config"] is not None:
        saved = api.save_config(cfg, options["save_config"], device=options["device"],
                                data_dir=options["data_dir"])  # fmt: skip
        typer.echo(f"settings: {saved}", err=options["dry_run"] is False)
    if options["dry_run"]:
        for line in api.plan(cfg, sources=sources, **where):
            typer.echo(line)
        return
    mode: ProgressMode = (
        "quiet" if options["quiet"] else ("auto" if options["progress"] else "lines")
    )
    result = api.run(
        cfg, overwrite=options["overwrite"], progress=mode, write_report=False,
        compile=options["compile_"], deterministic=options["deterministic"],
        report_to=options["report_to"], **where,
    )  # fmt: skip
    if not is_main():  # under torchrun rank 0 alone prints and reports
        return
    done, skipped = len(result.cells_run), len(result.cells_skipped)
    typer.echo(
        f"run {result.run_id}: {done} cell(s) run, {skipped} already done, "
        f"{result.seconds:.1f} s -> {result.path}"
    )
    if not result.cells and not result.cells_run:
        return
    if part.count > 1:
        typer.echo(f"shard {part}: {len(result.cells)} cell(s) in the folder")
    _print_table(result)
    warnings = result.warnings()
    for line in (w for w in warnings if "partial" not in w):
        typer.echo(line, err=True)
    if options["report"] and part.count == 1:
        typer.echo(f"report: {result.report()}")
        for line in (w for w in warnings if "partial" in w):  # another process still runs cells
            typer.echo(line, err=True)


run.__signature__ = command_signature()  # type: ignore[attr-defined]
run.__annotations__ = {p.name: p.annotation for p in run.__signature__.parameters.values()}  # type: ignore[attr-defined]
app.command("run")(run)
