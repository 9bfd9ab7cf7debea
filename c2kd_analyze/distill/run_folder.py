"""The run folder's policy: who may work in it, its config.json, its run-level tables, clean-up.

A run folder belongs to one config (its run id). The first thing a run does, under the folder's
lock (``.lock``), is claim it:

- an empty or new folder is taken: ``config.json`` is written at once; a folder holding files
  c2kd-analyze did not write (:mod:`c2kd_analyze.owned`: a ``config.json`` without its checksum,
  a user's ``report.md`` or ``figures/``) is refused, naming them;
- a folder of the same run is joined (a resumed run, another shard; the same data at another
  path is the same run: the run id holds the data's fingerprint);
- a folder of another run is refused while any process works in it (every working process
  share-locks ``.active``), or when it holds finished cells (unless ``--overwrite``); a folder
  whose other run failed before finishing a cell is taken over. Taking over removes only the
  tool's own files; anything else in the folder stays;
- a ``config.json`` that fails its checksum is never treated as "another run": finished cells are
  never deleted because of it.

If a run then fails on bad input before it finished any cell, the ``config.json`` it wrote is
removed again, so a failed command leaves nothing but lock files behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..config import RunConfig
from ..config.files import config_toml
from ..errors import UserError
from ..layout import RunFolder
from ..owned import describe, foreign_entries, interrupted_claim, remove_ours
from ..results import SCHEMA_VERSION
from .distributed import is_main, main_lock, on_main
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
    """The folder's run record: None when there is no ``config.json`` the tool wrote (absent, or
    a file without its checksum: someone else's), ``{}`` for the record of a claim killed
    before its checksum; UserError when it cannot be read or fails its checksum (a damaged
    record is never "another run")."""
    if interrupted_claim(folder):
        return {}
    try:
        old = io.read_json(folder.config)
    except FileNotFoundError:
        return None
    except io.CorruptFileError:
        done = finished_cells(folder)
        kept = f"its {done} finished cell(s) are kept: " if done else ""
        raise UserError(
            f"{folder.config} is damaged (it fails its checksum); {kept}restore config.json "
            "from a backup, or choose another --out"
        ) from None
    return old if isinstance(old, dict) else {}


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """The run folder's inter-process lock (rank 0 only under torchrun)."""
    with main_lock(RunFolder(run_dir).lock):
        yield


@contextlib.contextmanager
def taken(
    folder: RunFolder, cfg: RunConfig, where: dict[str, Any], overwrite: bool
) -> Iterator[Callable[..., None]]:
    """The one way a run takes over a folder: for the block, the folder is claimed for ``cfg``
    (:func:`claim_folder`, under the folder's lock, on rank 0) and held (``.active``); it is
    released on every way out. A run that fails on bad input before finishing any cell
    leaves nothing but lock files (its claim is undone). Yields ``record(**provenance)``,
    which adds provenance to config.json under the lock (what the first process records stays:
    shards of one run each record theirs in their cells' ``done.json``)."""
    with run_lock(folder.path):  # other shards or runs may be checking this folder now
        wrote = on_main(claim_folder, folder, cfg, where, overwrite)
        active = hold(folder) if is_main() else None  # until this process is done

    def record(**provenance: Any) -> None:
        if is_main():
            with run_lock(folder.path):
                update_config(folder, **provenance)

    try:
        yield record
    except UserError:
        if active is not None:
            active.release()
            active = None
        if wrote and is_main() and not finished_cells(folder):
            with run_lock(folder.path):  # nothing was done: leave nothing but the lock behind
                abandon(folder)
        raise
    finally:
        if active is not None:
            active.release()


def claim_folder(folder: RunFolder, cfg: RunConfig, where: dict[str, Any], overwrite: bool) -> bool:
    """Take the folder for ``cfg`` (see the module docstring); call it under the folder's lock.

    Returns True when this call wrote ``config.json`` (:func:`taken` removes it again if the run
    fails before finishing a cell).
    """
    run_dir = folder.path
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"--out {run_dir} is a file; choose a folder")
    old = _read_config(folder)
    if old is None:
        foreign = foreign_entries(folder)
        if foreign:
            raise UserError(
                f"{run_dir} holds files c2kd-analyze did not write "
                f"({describe(foreign, run_dir)}); a run only uses an empty folder or its own: "
                "choose another --out"
            )
    else:
        if old.get("run_id") == cfg.run_id and _same_models(old.get("where"), where):
            if not io.is_valid(folder.config_toml):  # a claim killed before writing it
                io.write_bytes(folder.config_toml, config_toml(cfg).encode())
            return False
        _take_over(folder, cfg, old, where, overwrite)
    write_config(folder, {"run_id": cfg.run_id, "config": cfg.to_dict(), "where": where,
                          "schema_version": SCHEMA_VERSION})  # fmt: skip
    io.write_bytes(folder.config_toml, config_toml(cfg).encode())
    return True


def _same_models(old: Any, where: dict[str, Any]) -> bool:
    """Whether a folder's recorded ``where`` and this run's name the same teacher folders. The
    data folder's path is not compared: the run id holds the fingerprint of the data's files,
    so the same data at another path is the same run."""
    old_dirs = old.get("teacher_dirs", {}) if isinstance(old, dict) else {}
    return bool(old_dirs == where.get("teacher_dirs", {}))


def _take_over(folder: RunFolder, cfg: RunConfig, old: dict, where: dict, overwrite: bool) -> None:
    """Replace the run recorded in the folder (another config, or the same config over other
    teacher folders): refused while it works or when it finished cells (unless ``overwrite``)."""
    run_dir = folder.path
    other = old.get("run_id", "an unfinished claim")
    if other == cfg.run_id:
        old_dirs = (old.get("where") or {}).get("teacher_dirs", {})
        what = f"the same config with other teacher folders ({old_dirs or 'none'})"
    else:
        what = f"another run ({other}, not {cfg.run_id})"
    if held_by_others(folder.active):
        raise UserError(
            f"{run_dir} is in use by {what} right now; wait for it to finish, or choose another "
            "--out"
        )
    done = finished_cells(folder)
    if done and not overwrite:
        raise UserError(
            f"{run_dir} holds {what}; pass --overwrite to replace it, or choose another --out"
        )
    if done:
        log.warning("--overwrite: removing the previous run in %s", run_dir)
    else:  # a run that failed before finishing any cell holds no work
        log.info("%s holds no finished cell of run %s; replacing it", run_dir, other)
    kept = remove_run(folder)
    if kept:
        log.warning(
            "kept %d file(s) in %s that c2kd-analyze did not write: %s",
            len(kept), run_dir, describe(kept, run_dir),
        )  # fmt: skip


def remove_run(folder: RunFolder) -> list[Path]:
    """Delete what this project wrote into a run folder (only that: see :mod:`c2kd_analyze.owned`);
    returns the foreign entries it kept."""
    return remove_ours(folder)


def abandon(folder: RunFolder) -> None:
    """Undo a claim whose run failed before finishing any cell: its files, and ``.active``
    unless another process of the run still holds it."""
    remove_run(folder)
    if not held_by_others(folder.active):
        folder.active.unlink(missing_ok=True)


def write_config(folder: RunFolder, content: dict[str, Any]) -> None:
    io.write_json(folder.config, content)


def update_config(folder: RunFolder, **extra: Any) -> None:
    """Add provenance (dataset, device, versions) to the config.json this run claimed; what an
    earlier process of the run recorded stays (call it under the folder's lock)."""
    content = io.read_json(folder.config)
    missing = {k: v for k, v in extra.items() if k not in content}
    if missing:
        io.write_json(folder.config, {**content, **missing})


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
