"""The run folder's policy: who may work in it, its config.json, its run-level tables, clean-up.

A run folder belongs to one config (its run id). The first thing a run does, under the folder's
lock (``.lock``), is claim it:

- an empty or new folder is taken: ``config.json`` is written at once;
- a folder of the same run is joined (a resumed run, another shard);
- a folder of another run is refused while any process works in it (every working process
  share-locks ``.active``), or when it holds finished cells (unless ``--overwrite``); a folder
  whose other run failed before finishing a cell is taken over;
- a ``config.json`` that fails its checksum is never treated as "another run": finished cells are
  never deleted because of it.

If a run then fails on bad input before it finished any cell, the ``config.json`` it wrote is
removed again, so a failed command leaves nothing but lock files behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..config import RunConfig
from ..errors import UserError
from ..layout import ACTIVE_NAME, LOCK_NAME, RunFolder
from .locks import SharedLock, held_by_others
from .plan import Cell, is_done

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)

#: a temporary file untouched for this long belongs to no live writer (writes touch it)
ORPHAN_AGE_S = 600


def finished_cells(folder: RunFolder) -> int:
    return sum(io.is_valid(cell.done) for cell in folder.cell_folders())


def _read_config(folder: RunFolder) -> dict[str, Any] | None:
    """The folder's config.json, None when absent; UserError when it is damaged and finished
    cells depend on it."""
    if not folder.config.exists():
        return None
    try:
        old = io.read_json(folder.config)
    except (io.CorruptFileError, FileNotFoundError) as exc:
        done = finished_cells(folder)
        if done:
            why = "its checksum sidecar is missing" if isinstance(exc, FileNotFoundError) else exc
            raise UserError(
                f"{folder.config} is damaged ({why}); its {done} finished cell(s) are kept: "
                "restore config.json from a backup, or choose another --out"
            ) from None
        return {}
    return old if isinstance(old, dict) else {}


def claim(folder: RunFolder, cfg: RunConfig, where: dict[str, Any], overwrite: bool) -> bool:
    """Take the folder for ``cfg`` (see the module docstring); call it under the folder's lock.

    Returns True when this call wrote ``config.json`` (the caller removes it again if the run
    fails before finishing a cell).
    """
    run_dir = folder.path
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    ours = {LOCK_NAME, ACTIVE_NAME}
    if run_dir.exists() and any(p.name not in ours for p in run_dir.iterdir()):
        old = _read_config(folder)
        if old is None:
            raise UserError(
                f"{run_dir} is not empty and holds no c2kd-analyze run (no "
                f"{folder.config.name}); choose another --out"
            )
        if old.get("run_id") == cfg.run_id and old.get("where") == where:
            return False
        other = old.get("run_id", "unreadable config")
        if held_by_others(folder.active):
            raise UserError(
                f"{run_dir} is in use by another run ({other}, not {cfg.run_id}) right now; "
                "wait for it to finish, or choose another --out"
            )
        done = finished_cells(folder)
        if done and not overwrite:
            raise UserError(
                f"{run_dir} holds another run ({other}, not {cfg.run_id}); pass --overwrite to "
                "replace it, or choose another --out"
            )
        if done:
            log.warning("--overwrite: removing the previous run in %s", run_dir)
        else:  # a run that failed before finishing any cell holds no work
            log.info("%s holds no finished cell of run %s; replacing it", run_dir, other)
        remove_run(folder)
    write_config(folder, {"run_id": cfg.run_id, "config": cfg.to_dict(), "where": where})
    return True


def remove_run(folder: RunFolder) -> None:
    """Delete what this project writes into a run folder (only that)."""
    for path in folder.run_files:
        io.remove(path)
    for path in folder.run_dirs:
        shutil.rmtree(path, ignore_errors=True)


def abandon(folder: RunFolder) -> None:
    """Undo a claim whose run failed before finishing any cell: its files, and ``.active``
    unless another process of the run still holds it."""
    remove_run(folder)
    if not held_by_others(folder.active):
        folder.active.unlink(missing_ok=True)


def write_config(folder: RunFolder, content: dict[str, Any]) -> None:
    io.write_json(folder.config, content)


def update_config(folder: RunFolder, **extra: Any) -> None:
    """Add provenance (dataset, device, versions) to the config.json this run claimed."""
    content = io.read_json(folder.config)
    io.write_json(folder.config, {**content, **extra})


def hold(folder: RunFolder) -> SharedLock:
    """Share-lock ``.active`` for this process's whole run (released when it exits)."""
    lock = SharedLock(folder.active)
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as exc:
        raise io.write_error(folder.path, exc) from exc
    return lock


def sweep_orphans(roots: list[Path], started: float) -> int:
    """Delete temporary files (``.*.tmp``, from a writer that was killed) under ``roots`` that
    are older than this process and untouched for :data:`ORPHAN_AGE_S`; returns how many."""
    cutoff = min(started, time.time() - ORPHAN_AGE_S)
    removed = 0
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root):
            for name in filenames:
                if not (name.startswith(".") and name.endswith(".tmp")):
                    continue
                path = Path(dirpath) / name
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue  # gone already, or not ours to remove
    if removed:
        log.info("removed %d orphan temporary file(s)", removed)
    return removed


def rebuild_tables(run_dir: Path, cells: list[Cell], run_id: str) -> pl.DataFrame:
    """Concatenate the metrics and histories of the ``cells`` that are done (other shards may
    still be running theirs) into the run-level files; return the results. Call it under the
    run folder's lock."""
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
