"""A cell's results as tidy tables (schemas in :mod:`c2kd_analyze.results`), written atomically.

A cell folder holds ``metrics.parquet``, ``ranks.parquet``, ``history.parquet`` and
``diagnostics.parquet``, each with a checksum, ``validation.parquet`` when the run validates
(``--val-fraction``: result rows with ``split = "val"``, one set per epoch), and ``done.json``
written **last**: a cell without a valid ``done.json`` is recomputed on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import io
from ..layout import CellFolder
from ..results import (
    DIAGNOSTIC_COLUMNS,
    HISTORY_COLUMNS,
    RANK_COLUMNS,
    RESULT_COLUMNS,
    SCHEMA_VERSION,
    polars_schema,
)

if TYPE_CHECKING:
    import polars as pl

    from .evaluate import LangResult
    from .train import Step

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellInfo:
    """The columns every result row of one cell shares."""

    run_id: str
    cell: str
    stage: str
    teacher: str | None
    teacher_model: str | None
    student_model: str
    dataset: str
    seed: int
    mode: str
    split: str = "test"
    teacher_recipe: str | None = None  # how the cell's teacher(s) were trained; None: baselines
    checkpoint: str | None = None  # key of the cell's model in the checkpoint cache (export)
    pool: str | None = None  # a c2kd-pool cell's pooling operation
    tie_policy: str = "optimistic"  # the run's --ties
    #: where the cell ran (device, world size) and with which versions: recorded in done.json,
    #: so the cells of a sharded run each say where they were made
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CellOutputs:
    metrics: list[LangResult]
    history: list[Step]
    diagnostics: list[dict[str, Any]] = field(default_factory=list)  # lang, metric, k, value
    #: epochs the evaluated (test) weights had trained: the run's epochs, or the selected one
    epoch: int | None = None
    #: validation numbers per epoch (:data:`~.validation.EPOCH_COLUMNS` dicts); empty: none
    validation: list[dict[str, Any]] = field(default_factory=list)
    selected_epoch: int | None = None  # the epoch --select-on-val picked (None: the last)

    def r1_average(self) -> float | None:
        """Text-to-video R@1 averaged over the languages (a fraction), for the progress log."""
        values = [r.metrics.recall[1] for r in self.metrics
                  if r.direction == "t2v" and 1 in r.metrics.recall]  # fmt: skip
        return sum(values) / len(values) if values else None


def _frame(rows: list[dict[str, Any]], columns: dict[str, str]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(rows, schema=polars_schema(columns), orient="row")


def _base(info: CellInfo) -> dict[str, Any]:
    return {
        "run_id": info.run_id, "cell": info.cell, "stage": info.stage, "teacher": info.teacher,
        "teacher_model": info.teacher_model, "student_model": info.student_model,
        "dataset": info.dataset, "split": info.split, "seed": info.seed, "mode": info.mode,
        "teacher_recipe": info.teacher_recipe, "pool": info.pool, "tie_policy": info.tie_policy,
    }  # fmt: skip


def metrics_frame(
    info: CellInfo, results: list[LangResult], epoch: int | None = None
) -> pl.DataFrame:
    """The cell's test numbers (RESULT_COLUMNS); ``epoch``: how many epochs its weights trained."""
    from .validation import metric_rows

    base = {**_base(info), "epoch": epoch}
    rows = [{**base, **row} for row in metric_rows(results)]
    return _frame(rows, RESULT_COLUMNS).select(list(RESULT_COLUMNS))


def validation_frame(info: CellInfo, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The cell's validation numbers (RESULT_COLUMNS, ``split = "val"``, one set per epoch)."""
    base = {**_base(info), "split": "val"}
    full = [{**base, **row} for row in rows]
    return _frame(full, RESULT_COLUMNS).select(list(RESULT_COLUMNS))


def ranks_frame(info: CellInfo, results: list[LangResult]) -> pl.DataFrame:
    """Per query: its position ``query`` (0..n_queries-1, the present ones first, in clip order),
    its ``clip`` in the split, its optimistic 1-based ``rank`` and its ``ties``. Queries counted
    by the benchmark but missing from the data come last, with null clip, rank and ties.
    """
    import polars as pl

    frames = []
    for r in results:
        n_all = len(r.query_clips) + r.n_absent
        absent = pl.Series([None] * r.n_absent, dtype=pl.Int64)
        frames.append(
            pl.DataFrame(
                {
                    "run_id": [info.run_id] * n_all,
                    "cell": [info.cell] * n_all,
                    "lang": [r.lang] * n_all,
                    "direction": [r.direction] * n_all,
                    "query": np.arange(n_all, dtype=np.int64),
                    "clip": pl.concat([pl.Series(r.query_clips, dtype=pl.Int64), absent]),
                    "rank": pl.concat([pl.Series(r.metrics.higher + 1, dtype=pl.Int64), absent]),
                    "ties": pl.concat([pl.Series(r.metrics.tied, dtype=pl.Int64), absent]),
                }
            )
        )
    if not frames:
        return _frame([], RANK_COLUMNS)
    return pl.concat(frames).cast(dict(polars_schema(RANK_COLUMNS)))


def history_frame(info: CellInfo, steps: list[Step]) -> pl.DataFrame:
    rows = [
        {"run_id": info.run_id, "cell": info.cell, "epoch": s.epoch, "step": s.step,
         "loss": s.loss, "lr": s.lr}
        for s in steps
    ]  # fmt: skip
    return _frame(rows, HISTORY_COLUMNS)


def diagnostics_frame(info: CellInfo, rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [
        {"run_id": info.run_id, "cell": info.cell, "stage": info.stage, "teacher": info.teacher,
         "seed": info.seed, **row}
        for row in rows
    ]  # fmt: skip
    return _frame(full, DIAGNOSTIC_COLUMNS).select(list(DIAGNOSTIC_COLUMNS))


def write_cell(folder: CellFolder, info: CellInfo, outputs: CellOutputs) -> None:
    """Write the four tables (and validation.parquet when there are validation rows), then
    ``done.json`` (the cell is complete only once it exists)."""
    io.remove(folder.done)
    io.write_parquet(folder.metrics, metrics_frame(info, outputs.metrics, outputs.epoch))
    io.write_parquet(folder.ranks, ranks_frame(info, outputs.metrics))
    io.write_parquet(folder.history, history_frame(info, outputs.history))
    io.write_parquet(folder.diagnostics, diagnostics_frame(info, outputs.diagnostics))
    if outputs.validation:
        io.write_parquet(folder.validation, validation_frame(info, outputs.validation))
    else:
        io.remove(folder.validation)  # a cell without validation has none
    selected = {} if outputs.selected_epoch is None else {"selected_epoch": outputs.selected_epoch}
    io.write_json(
        folder.done,
        {
            "run_id": info.run_id, "cell": info.cell, "checkpoint": info.checkpoint,
            "schema_version": SCHEMA_VERSION, "epoch": outputs.epoch, **selected,
            **info.provenance,
        },
    )  # fmt: skip
    log.info("cell %s written to %s", info.cell, folder.path)
