"""The run planner: a config becomes an ordered list of cells (stage, teacher or pool, seed).

Per seed, in this order: one ``teacher`` cell per teacher (trained with the teacher recipe, then
frozen), the ``zero-shot`` and ``translate-train`` baselines, one ``c2kd`` student per teacher, and
a ``c2kd-pool`` student when ``cfg.pool`` is set. Teachers come first because every C2KD student
reads their cached embeddings. With ``cfg.teacher_seed`` one teacher set (that seed) serves every
student seed, as in the original, so the teacher cells are planned once, first. A cell whose
``done.json`` is valid on disk is skipped (resume).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import io
from ..config import RunConfig
from ..layout import RunFolder
from ..results import Stage
from .losses import Pool


@dataclass(frozen=True)
class Cell:
    stage: Stage
    teachers: tuple[str, ...]  # () for baselines, (name,) for teacher / c2kd, all for c2kd-pool
    seed: int
    pool: Pool | None = None  # c2kd-pool only

    @property
    def name(self) -> str:
        """Folder-safe id, e.g. ``teacher-muse-s0``, ``c2kd-pool-max-muse+me5-small-s0``."""
        parts: list[str] = [self.stage]
        if self.pool:
            parts.append(self.pool)
        if self.teachers:
            parts.append("+".join(self.teachers))
        return "-".join([*parts, f"s{self.seed}"])

    @property
    def teacher_label(self) -> str | None:
        """The results table's ``teacher`` column: registry name, or a pool's names joined by +."""
        return "+".join(self.teachers) if self.teachers else None

    @property
    def torch_seed(self) -> int:
        """Seed for this cell's weight init and data order, derived from the seed and the cell."""
        digest = hashlib.sha256(f"{self.seed}:{self.name}".encode()).hexdigest()
        return int(digest[:8], 16)


def plan_cells(cfg: RunConfig) -> list[Cell]:
    cells: list[Cell] = []
    if cfg.teacher_seed is not None:
        cells += [Cell("teacher", (t,), cfg.teacher_seed) for t in cfg.teachers]
    for seed in cfg.seeds:
        if cfg.teacher_seed is None:
            cells += [Cell("teacher", (t,), seed) for t in cfg.teachers]
        cells += [Cell("zero-shot", (), seed), Cell("translate-train", (), seed)]
        cells += [Cell("c2kd", (t,), seed) for t in cfg.teachers]
        if cfg.pool is not None:
            cells.append(Cell("c2kd-pool", tuple(cfg.teachers), seed, pool=cfg.pool))
    return cells


#: a cell folder's state: ``done`` (every file vouched for, of this run), ``damaged`` (its
#: ``done.json`` or a table fails its checksum, cannot be read, or names another run: it is
#: recomputed by the next run, never reported) or ``unfinished`` (no vouched ``done.json``)
CellState = Literal["done", "damaged", "unfinished"]


def cell_state(run_dir: Path, name: str, run_id: str, *, strict: bool = True) -> CellState:
    """The state of cell ``name`` in run folder ``run_dir`` (see :data:`CellState`).

    ``strict`` (what a run resumes from): every table present and ``done.json`` naming this run
    and cell. Not strict (what a report reads, also from older versions): the metrics are
    enough, and a ``done.json`` that names no run is accepted; a file present that fails its
    checksum is damage either way."""
    folder = RunFolder(run_dir).cell(name)
    sidecar = folder.done.with_name(folder.done.name + io.CHECKSUM_SUFFIX)
    if not sidecar.exists():  # never finished (or killed between done.json and its checksum)
        return "unfinished"
    needed = folder.tables if strict else (folder.metrics,)
    files = (*folder.tables, *folder.optional_tables)
    present = [p for p in files if p.exists() or p.is_symlink()]
    # a file that is there but cannot be read is the user's to fix (one line), not damage
    if not all(io.is_valid(p, unreadable_ok=False) for p in (folder.done, *needed, *present)):
        return "damaged"
    try:
        done = io.read_json(folder.done)
    except (io.CorruptFileError, OSError):
        return "damaged"
    if not isinstance(done, dict) or done.get("cell", None if strict else name) != name:
        return "damaged"
    recorded = done.get("run_id", None if not strict else "")
    return "done" if recorded in (run_id, None) else "damaged"


def is_done(run_dir: Path, cell: Cell, run_id: str) -> bool:
    """True when the cell's ``done.json`` is valid, belongs to this run's config, and every
    file of the cell passes its checksum (a damaged cell is recomputed, not reported)."""
    return cell_state(run_dir, cell.name, run_id) == "done"


def planned_names(config: object) -> list[str] | None:
    """The cell names a run folder's recorded ``config`` plans; None when it cannot say (the
    record of another version)."""
    try:
        return [c.name for c in plan_cells(RunConfig.model_validate(config))]
    except Exception:  # pydantic's ValidationError, our FieldError: not a config of this version
        return None
