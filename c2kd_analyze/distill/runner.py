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
from typing import TYPE_CHECKING

from .. import io
from ..config import RunConfig
from ..errors import UserError
from ..layout import RunFolder
from . import provenance
from . import run_folder as policy
from .distributed import agree, barrier, is_main, main_first, session
from .plan import Cell, is_done, plan_cells
from .preflight import check_dataset, check_inputs, check_models
from .shard import Shard, run_lock

if TYPE_CHECKING:
    import polars as pl

    from ..data.types import Dataset
    from .context import Role, RunContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    run_id: str
    results: pl.DataFrame  # RESULT_COLUMNS, every cell of the run
    cells_run: tuple[str, ...]
    cells_skipped: tuple[str, ...]
    seconds: float


def default_run_dir(cfg: RunConfig) -> Path:
    return Path("runs") / cfg.run_id


def resolve_config(cfg: RunConfig, device: str, data_dir: str | Path | None) -> RunConfig:
    """``cfg`` with what a run decides itself: the precision ``auto`` means on ``device``, and
    the fingerprint of the data folder (both part of the run id)."""
    from ..devices import planned_precision

    return cfg.replace(
        precision=planned_precision(device, cfg.precision),
        data_fingerprint=provenance.data_fingerprint(data_dir),
    )


def _load_dataset(cfg: RunConfig, data_dir) -> Dataset:
    from ..data import load_dataset

    options = dict(cfg.dataset_options)
    return load_dataset(cfg.dataset, data_dir=data_dir, features=cfg.features, **options)


def _warm_features(ctx: RunContext, pending: list[Cell]) -> None:
    """Encode (or read from the cache) every frozen feature the pending cells need, before the
    training bars start, so the encoders' own progress bars can show."""
    from .cells import teacher_languages

    uses: list[tuple[str, Role]] = []  # (encoder, role)
    for cell in pending:
        uses += [(t, "teacher") for t in cell.teachers]
        if cell.stage != "teacher":
            uses.append((ctx.cfg.student, "student"))
    for name, role in dict.fromkeys(uses):
        if ctx.mode_of(name) == "frozen":
            # a teacher trains on (and is read in) its own languages only: English for some
            languages = teacher_languages(ctx, name) if role == "teacher" else None
            ctx.encoder_outputs(name, "train", role, languages)
        # the translation diagnostic reads frozen test vectors in every mode
        ctx.encoder_outputs(name, "test", role)
    ctx.release_encoders()


def _start(cfg, dataset, data_dir, teacher_dirs, folder: RunFolder, device_spec, trust, progress):
    """Load the data and the run context on its device; rank 0 records the provenance."""
    from ..devices import describe_device, resolve_device, resolve_precision
    from ..paths import cache_dir
    from .context import RunContext
    from .distributed import rank_and_world

    started = time.time()
    device = resolve_device(device_spec)
    resolve_precision(cfg.precision, device)  # e.g. bf16 on a GPU without it: refused here
    dataset = dataset if dataset is not None else _load_dataset(cfg, data_dir)
    check_dataset(cfg, dataset)
    ctx = RunContext(cfg, dataset, teacher_dirs, device, trust_remote_code=trust, progress=progress)
    if is_main():
        policy.update_config(
            folder,
            versions=provenance.versions(),
            git_sha=provenance.git_sha(),
            dataset=provenance.dataset_info(dataset, ctx.fingerprint),
            device={**describe_device(device), "world_size": rank_and_world()[1]},
        )
        policy.sweep_orphans([folder.path, cache_dir()], started)
    return ctx


def _run_cells(ctx: RunContext, run_dir: Path, pending: list[Cell], progress: bool) -> list[Cell]:
    """Run the ``pending`` cells this process can claim; return the ones it ran.

    Other processes may work on the same folder (:mod:`.locks`): first every cell nobody holds
    is claimed and run, then this process waits for the cells others hold and runs any they left
    unfinished (a killed process releases its claim). A claimed cell is checked for
    ``done.json`` again, so no cell is trained twice or rewritten while another reads it.
    """
    from ..numerics import NonFiniteError
    from .cells import run_student_cell, run_teacher_cell
    from .locks import claim
    from .outputs import write_cell
    from .progress import TrainingProgress

    folder = RunFolder(run_dir)
    bars = TrainingProgress(len(pending), enabled=progress)
    todo, ran = list(pending), []
    with bars.running():
        for wait in (False, True):
            for cell in list(todo):
                with claim(folder.cell(cell.name).path, wait=wait) as held:
                    if not held:
                        continue
                    todo.remove(cell)
                    if agree(is_done(run_dir, cell, ctx.cfg.run_id)):  # another process did it
                        bars.end_cell()
                        continue
                    t0 = time.perf_counter()
                    bars.start_cell(cell.name)
                    runner = run_teacher_cell if cell.stage == "teacher" else run_student_cell
                    try:
                        info, outputs = runner(ctx, cell, bars.on_step)
                    except NonFiniteError as exc:  # name the stage that diverged
                        raise NonFiniteError(f"cell {cell.name}: {exc}") from None
                    if is_main():  # under torchrun every rank trained the cell; rank 0 writes
                        write_cell(folder.cell(cell.name), info, outputs)
                    ran.append(cell)
                    bars.end_cell()
                    log.info("cell %s done in %.1f s", cell.name, time.perf_counter() - t0)
    return ran


def _on_main(fn, *args):
    """``fn(*args)`` on rank 0 only, its result on every rank; a UserError there is raised on
    every rank (none hangs)."""
    error, result = None, None
    if is_main():
        try:
            result = fn(*args)
        except UserError as exc:
            error = str(exc)
    error, result = agree((error, result))
    if error is not None:
        raise UserError(error)
    return result


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
) -> RunOutcome:
    """Plan, train and evaluate every cell of ``cfg`` (of ``shard``) not yet done in the folder.

    ``dataset`` bypasses ``load_dataset`` (programmatic use, tests). Under torchrun
    (:mod:`.distributed`) every rank trains every cell data-parallel and rank 0 writes; with a
    ``shard`` (:mod:`.shard`) only that shard's cells run. ``device``: ``auto``, ``cpu``,
    ``cuda``, ``cuda:N`` or ``mps`` (:mod:`c2kd_analyze.devices`); ``trust_remote_code`` lets
    a teacher whose spec needs it run its repository's code. Returns the results table of every
    cell done in the folder so far.
    """
    t0 = time.perf_counter()
    teacher_dirs = dict(teacher_dirs or {})
    cfg = resolve_config(cfg, device, data_dir)
    # unknown names, wrong folders, remote code not allowed, absent weights: before anything
    check_inputs(cfg, teacher_dirs, data_dir, trust_remote_code)
    check_models(cfg, teacher_dirs)
    folder = RunFolder(_run_dir(cfg, out_dir))
    run_dir = folder.path
    where = provenance.where(data_dir, teacher_dirs)
    cells = plan_cells(cfg)
    mine = (shard or Shard()).select(cells)
    ran: list[Cell] = []
    with session(device):
        with run_lock(run_dir):  # other shards or runs may be checking this folder now
            wrote = _on_main(policy.claim, folder, cfg, where, overwrite)
            active = policy.hold(folder) if is_main() else None  # until this process is done
            pending = agree([c for c in mine if not is_done(run_dir, c, cfg.run_id)])
        try:
            if pending:
                ctx = _start(
                    cfg, dataset, data_dir, teacher_dirs, folder, device, trust_remote_code,
                    progress and is_main(),
                )  # fmt: skip
                log.info("%d of %d cells to run in %s", len(pending), len(cells), run_dir)
                with main_first():  # rank 0 fills the encoder cache, the others read it
                    _warm_features(ctx, pending)
                ran = _run_cells(ctx, run_dir, pending, progress and is_main())
        except UserError:
            if active is not None:
                active.release()
                active = None
            if wrote and is_main() and not policy.finished_cells(folder):
                with run_lock(run_dir):  # nothing was done: leave nothing but the lock behind
                    policy.abandon(folder)
            raise
        finally:
            if active is not None:
                active.release()
        results = None
        if is_main() and (ran or not io.is_valid(folder.results)):
            with run_lock(run_dir):
                results = policy.rebuild_tables(run_dir, cells, cfg.run_id)
        barrier()
    if results is None:
        results = io.read_parquet(folder.results)
    return RunOutcome(
        run_dir=run_dir,
        run_id=cfg.run_id,
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
) -> list[str]:
    """The lines ``run --dry-run`` prints: resolved config, models, device, cell plan."""
    from .preflight import describe_run as describe

    teacher_dirs = dict(teacher_dirs or {})
    cfg = resolve_config(cfg, device, data_dir)
    # what a real run would refuse (a data folder may still be missing: the plan says so)
    check_inputs(cfg, teacher_dirs, data_dir, trust_remote_code, need_data=False)
    run_dir = _run_dir(cfg, out_dir)
    return describe(cfg, run_dir, teacher_dirs=teacher_dirs, shard=shard or Shard(), device=device)


def _run_dir(cfg: RunConfig, out_dir: str | Path | None) -> Path:
    """``--out``, or ``runs/<run id>``; refused when it is a file (before a lock is made in it)."""
    run_dir = Path(out_dir) if out_dir is not None else default_run_dir(cfg)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    return run_dir
