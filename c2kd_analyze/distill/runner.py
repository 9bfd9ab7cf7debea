"""``run_experiment``: a config in, a run folder with one tidy results table out.

The run folder (:mod:`c2kd_analyze.layout`) holds ``config.json``, one folder per cell, and
``results.parquet`` / ``history.parquet``, the concatenations of the cells' files. Cells already
done are skipped, so a killed run resumes, and a rerun of a finished one loads nothing at all (no
data, no model, not even torch). Who may work in a folder is :mod:`.run_folder`'s policy; what is
checked before any work is :mod:`.preflight`; what is recorded is :mod:`.provenance`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..config import RunConfig
from ..errors import Interrupted, UserError
from ..layout import RunFolder
from ..paths import cache_dir
from . import provenance
from . import run_folder as policy
from .distributed import agree, barrier, check_rank_device, is_main, main_first, session
from .execution import Execution, check_execution, execution_scope
from .holdout import hold_out, validation_record
from .plan import Cell, is_done, plan_cells
from .preflight import check_dataset, check_inputs, check_models
from .shard import Shard

if TYPE_CHECKING:
    import polars as pl

    from ..data.types import Dataset
    from .context import RunContext
    from .run_data import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    config: RunConfig  # resolved: its run id is the folder's
    results: pl.DataFrame  # RESULT_COLUMNS, every cell of the run
    cells_run: tuple[str, ...]
    cells_skipped: tuple[str, ...]
    seconds: float

    @property
    def run_id(self) -> str:
        return self.config.run_id


def default_run_dir(cfg: RunConfig) -> Path:
    return Path("runs") / cfg.run_id


def resolve_config(cfg: RunConfig, device: str, data_dir: str | Path | None) -> RunConfig:
    """``cfg`` with what a run decides itself (:meth:`RunConfig.resolved`): the precision
    ``auto`` means on ``device``, and the fingerprint of the files the dataset's reader reads
    (both part of the run id). The one value that carries the run id: the folder's name, its
    config.json and every result row use it."""
    from ..data.fingerprint import read_files_fingerprint
    from ..devices import planned_precision

    return cfg.resolved(
        planned_precision(device, cfg.precision),
        read_files_fingerprint(cfg.dataset, data_dir, cfg.features),
    )


def _load_dataset(cfg: RunConfig, data_dir) -> Dataset:
    from ..data import load_dataset

    options = dict(cfg.dataset_options)
    return load_dataset(cfg.dataset, data_dir=data_dir, features=cfg.features, **options)


def _warm_features(ctx: RunContext, pending: list[Cell]) -> None:
    """Encode (or read from the cache) every frozen feature the pending cells need, before the
    training bars start, so the encoders' own progress bars can show."""
    from .identity import teacher_languages

    uses: list[tuple[str, Role]] = []  # (encoder, role)
    for cell in pending:
        uses += [(t, "teacher") for t in cell.teachers]
        if cell.stage != "teacher":
            uses.append((ctx.cfg.student, "student"))
    for name, role in dict.fromkeys(uses):
        if ctx.encoders.mode_of(name) == "frozen":
            # a teacher trains on (and is read in) its own languages only: English for some
            languages = teacher_languages(ctx, name) if role == "teacher" else None
            ctx.encoders.outputs(name, "train", role, languages)
        # the translation diagnostic reads frozen test vectors in every mode
        ctx.encoders.outputs(name, "test", role)
        if ctx.data.dataset.val is not None and ctx.encoders.mode_of(name) == "frozen":
            ctx.encoders.outputs(name, "val", role)  # validated after every epoch
    ctx.encoders.release()


def _start(cfg, dataset, data_dir, teacher_dirs, device_spec, trust, progress,
           execution: Execution):  # fmt: skip
    """Load the data and the run context on its device; returns it and the run's provenance
    (what config.json records, and each cell's done.json the part that can differ per process)."""
    from ..devices import describe_device, resolve_device, resolve_precision
    from .context import RunContext
    from .distributed import rank_and_world

    device = resolve_device(device_spec)
    resolve_precision(cfg.precision, device)  # e.g. bf16 on a GPU without it: refused here
    dataset = dataset if dataset is not None else _load_dataset(cfg, data_dir)
    check_dataset(cfg, dataset)
    dataset = hold_out(dataset, cfg.val_fraction, cfg.batch_size)  # --val-fraction
    ctx = RunContext(cfg, dataset, teacher_dirs, device, trust_remote_code=trust, progress=progress,
                     execution=execution)  # fmt: skip
    made = {
        "versions": provenance.versions(),
        "git_sha": provenance.git_sha(),
        "device": {**describe_device(device), "world_size": rank_and_world()[1]},
        "execution": execution.to_dict(),
    }
    return ctx, made, provenance.dataset_info(dataset, ctx.data.fingerprint)


def _run_cells(
    ctx: RunContext,
    run_dir: Path,
    pending: list[Cell],
    progress: bool,
    made: dict[str, Any],
    report_to: tuple[str, ...] = (),
) -> list[Cell]:
    """Run the ``pending`` cells this process can claim; return the ones it ran.

    Other processes may work on the same folder (:mod:`.locks`): first every cell nobody holds
    is claimed and run, then this process waits for the cells others hold and runs any they left
    unfinished (a killed process releases its claim). A claimed cell is checked for
    ``done.json`` again, so no cell is trained twice or rewritten while another reads it. Each
    cell's ``done.json`` records ``made``: where and with which versions this process ran it.
    """
    from dataclasses import replace

    from ..numerics import NonFiniteError
    from ..tracking import Trackers
    from .cells import CellRunner
    from .locks import claim_cell
    from .outputs import write_cell
    from .progress import TrainingProgress

    folder = RunFolder(run_dir)
    bars = TrainingProgress(len(pending), enabled=progress)
    trackers = Trackers(report_to, run_dir, ctx.cfg.run_id)
    cells = CellRunner(ctx)
    todo, ran = list(pending), []
    with bars.running():
        for wait in (False, True):
            for cell in list(todo):
                with claim_cell(folder.cell(cell.name).path, wait=wait) as held:
                    if not held:
                        continue
                    todo.remove(cell)
                    if agree(is_done(run_dir, cell, ctx.cfg.run_id)):  # another process did it
                        bars.end_cell(skipped=True)
                        continue
                    t0 = time.perf_counter()
                    bars.start_cell(cell.name)
                    trackers.start_cell(cell.name, ctx.cfg.to_dict())
                    try:
                        info, outputs = cells.run(cell, _both(bars, trackers))
                    except NonFiniteError as exc:  # name the stage that diverged
                        raise NonFiniteError(f"cell {cell.name}: {exc}") from None
                    _track_outputs(trackers, outputs)
                    if is_main():  # under torchrun every rank trained the cell; rank 0 writes
                        info = replace(info, provenance=made)
                        write_cell(folder.cell(cell.name), info, outputs)
                    ran.append(cell)
                    bars.end_cell(outputs.r1_average())
                    log.info("cell %s done in %.1f s", cell.name, time.perf_counter() - t0)
    return ran


def _both(bars, trackers):
    """The step callback: the progress bars, and every tracker."""

    def on_step(step, total_steps: int) -> None:
        bars.on_step(step, total_steps)
        trackers.log_step(step.step, step.loss, step.lr)

    return on_step


def _track_outputs(trackers, outputs) -> None:
    """A cell's test metrics to every tracker, and its training history when it was loaded from
    a checkpoint (no step came live), then the end of the cell."""
    from ..tracking import metric_name

    if not trackers.trackers:
        return
    if trackers.steps_in_cell == 0:  # loaded from its checkpoint: its training, as recorded
        for step in outputs.history:
            trackers.log_step(step.step, step.loss, step.lr)
    last = outputs.history[-1].step if outputs.history else 0
    metrics: dict[str, float] = {}
    for r in outputs.metrics:
        for k, value in r.metrics.recall.items():
            metrics[metric_name(r.direction, "recall", k, r.lang)] = float(value)
        metrics[metric_name(r.direction, "median_rank", None, r.lang)] = r.metrics.median_rank
        metrics[metric_name(r.direction, "mean_rank", None, r.lang)] = r.metrics.mean_rank
    trackers.log_metrics(metrics, last)
    trackers.end_cell()


def run_experiment(
    cfg: RunConfig,
    out_dir: str | Path | None = None,
    *,
    overwrite: bool = False,
    data_dir: str | Path | None = None,
    teacher_dirs: dict[str, Path] | None = None,
    dataset: Dataset | None = None,
    progress: bool = True,
    shard: Shard | None = None,
    device: str = "auto",
    trust_remote_code: bool = False,
    execution: Execution | None = None,
    report_to: tuple[str, ...] = (),
) -> RunOutcome:
    """Plan, train and evaluate every cell of ``cfg`` (of ``shard``) not yet done in the folder.

    ``dataset`` bypasses ``load_dataset`` (programmatic use, tests). Under torchrun
    (:mod:`.distributed`) every rank trains every cell data-parallel and rank 0 writes; with a
    ``shard`` (:mod:`.shard`) only that shard's cells run. ``device``: ``auto``, ``cpu``,
    ``cuda``, ``cuda:N`` or ``mps`` (:mod:`c2kd_analyze.devices`); ``trust_remote_code`` lets
    a teacher whose spec needs it run its repository's code; ``report_to``: experiment
    trackers (:mod:`c2kd_analyze.tracking`); ``execution``: ``--compile`` and
    ``--deterministic`` (:mod:`.execution`). Returns the results table of every cell done in the
    folder so far.
    """
    t0 = time.perf_counter()
    teacher_dirs = dict(teacher_dirs or {})
    execution = execution or Execution()
    check_rank_device(device)  # under torchrun: one GPU per rank
    check_execution(execution)
    cfg = resolve_config(cfg, device, data_dir)
    # unknown names, wrong folders, remote code not allowed, absent weights: before anything
    check_inputs(cfg, teacher_dirs, data_dir, trust_remote_code)
    if report_to:
        from ..tracking import check_installed

        check_installed(report_to)
    check_models(cfg, teacher_dirs)
    folder = RunFolder(_run_dir(cfg, out_dir))
    run_dir = folder.path
    where = provenance.where(data_dir, teacher_dirs)
    cells = plan_cells(cfg)
    mine = (shard or Shard()).select(cells)
    ran: list[Cell] = []
    try:
        with session(device), execution_scope(execution):
            with policy.taken(folder, cfg, where, overwrite) as record:
                with policy.run_lock(run_dir):
                    pending = agree([c for c in mine if not is_done(run_dir, c, cfg.run_id)])
                if pending:
                    ctx, made, data = _start(
                        cfg, dataset, data_dir, teacher_dirs, device, trust_remote_code,
                        progress and is_main(), execution,
                    )  # fmt: skip
                    record(
                        **made, dataset=data, validation=validation_record(ctx.data.dataset, cfg)
                    )
                    if is_main():
                        policy.sweep_orphans([folder.path, cache_dir()], time.time())
                    log.info("%d of %d cells to run in %s", len(pending), len(cells), run_dir)
                    with main_first():  # rank 0 fills the encoder cache, the others read it
                        _warm_features(ctx, pending)
                    ran = _run_cells(
                        ctx, run_dir, pending, progress and is_main(), made,
                        report_to if is_main() else (),
                    )  # fmt: skip
            results = None
            if is_main() and (ran or not io.is_valid(folder.results)):
                with policy.run_lock(run_dir):
                    results = policy.rebuild_tables(run_dir, cells, cfg.run_id)
            barrier()
    except KeyboardInterrupt:  # Ctrl-C: say what is kept and how to go on
        done = policy.finished_cells(folder)
        raise Interrupted(
            f"{done} of {len(cells)} cells are done and kept in {run_dir}; run the same command "
            "again to resume"
        ) from None
    if results is None:
        results = io.read_parquet(folder.results)
    return RunOutcome(
        run_dir=run_dir,
        config=cfg,
        results=results,
        cells_run=tuple(c.name for c in ran),
        cells_skipped=tuple(c.name for c in mine if c not in ran),
        seconds=time.perf_counter() - t0,
    )


def describe_run(
    cfg: RunConfig,
    out_dir: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    teacher_dirs: dict[str, Path] | None = None,
    shard: Shard | None = None,
    device: str = "auto",
    trust_remote_code: bool = False,
    sources: dict[str, str] | None = None,
) -> list[str]:
    """The lines ``run --dry-run`` prints: resolved config (``sources``: where each value came
    from, :func:`~c2kd_analyze.config.configure`), models, device, cell plan."""
    from .preflight import describe_run as describe

    teacher_dirs = dict(teacher_dirs or {})
    cfg = resolve_config(cfg, device, data_dir)
    # what a real run would refuse (a data folder may still be missing: the plan says so)
    check_inputs(cfg, teacher_dirs, data_dir, trust_remote_code, need_data=False)
    run_dir = _run_dir(cfg, out_dir)
    return describe(
        cfg, run_dir, teacher_dirs=teacher_dirs, shard=shard or Shard(), device=device,
        sources=sources or {},
    )  # fmt: skip


def _run_dir(cfg: RunConfig, out_dir: str | Path | None) -> Path:
    """``--out``, or ``runs/<run id>``; refused when it is a file (before a lock is made in it)."""
    run_dir = Path(out_dir) if out_dir is not None else default_run_dir(cfg)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    return run_dir
