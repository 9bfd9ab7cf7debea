"""Training curves: the losses every done cell recorded per step (its ``history.parquet``),
smoothed, one curve per system.

Smoothing: an exponential moving average over a cell's steps whose span is a tenth of them
(:data:`SPAN_SHARE`, at least one step, so a cell of a few steps is drawn almost raw), debiased at
the start (``ewm_mean(adjust=True)``: the first point is the first loss, not a blend with zero).
A system's curve is the mean of its seeds' smoothed curves, step by step.

The losses of different stages are different sums (translate-train and the teachers sum NCE over
every language, zero-shot has English alone, C2KD mixes NCE and KL), so across systems only a
curve's shape compares, not its height; the figure's loss axis is logarithmic.

A figure is a row of :class:`CurvePanel` values, each a set of lines (method, x, y): the loss per
step is one (:func:`loss_panel`); validation R@1 per epoch (the cells' ``validation.parquet``,
result rows with ``split = "val"`` and an ``epoch``, written by ``run --val-fraction``) is the
other (:func:`val_panel`): text-to-video R@1 averaged over languages (macro), then over seeds.
:func:`selected_epochs` says which epoch each cell reports on test under ``--select-on-val``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from .load import RunMeta

#: the smoothing span as a share of a cell's steps
SPAN_SHARE = 0.1
#: how the smoothing is described in captions
SMOOTHING = (
    f"exponential moving average over each cell's steps, span {SPAN_SHARE:.0%} of them, "
    "debiased at the start"
)


@dataclass(frozen=True)
class CurvePanel:
    """One panel of a curves figure: ``frame`` has method, x, y (one line per method)."""

    name: str  # in the SVG ids of its lines: ``curve:<method>:<name>``
    frame: pl.DataFrame
    xlabel: str
    ylabel: str
    log_y: bool = False


def load_history(meta: dict[str, RunMeta], results: pl.DataFrame) -> pl.DataFrame:
    """The history rows of every done cell (run_id, cell, epoch, step, loss, lr) joined to the
    cell's dataset, method, stage and seed in ``results`` (with ``method``:
    :func:`systems.add_methods`). Cells without a history file add nothing; a cell two merged
    runs share is read once, from the run whose results were kept."""
    import polars as pl

    from ..layout import RunFolder
    from ..results import HISTORY_COLUMNS, polars_schema
    from .load import _read_frame

    frames = [pl.DataFrame(schema=polars_schema(HISTORY_COLUMNS))]
    for m in meta.values():
        for name in m.done:
            frame = _read_frame(
                RunFolder(m.path).cell(name).history, HISTORY_COLUMNS, required=False
            )
            # the folder says which cell this is (the rows say the same in any run we wrote)
            frames.append(frame.with_columns(run_id=pl.lit(m.run_id), cell=pl.lit(name)))
    cells = results.select("run_id", "cell", "dataset", "method", "stage", "seed").unique()
    return pl.concat(frames).join(cells, on=["run_id", "cell"], how="inner")


def smoothed_losses(history: pl.DataFrame) -> pl.DataFrame:
    """``dataset, method, step, loss, n_seeds``: each cell's loss smoothed (module docstring),
    then averaged over the cells (seeds) of a system at each step; sorted by method and step."""
    import polars as pl

    parts = []
    for cell in history.sort("step").partition_by("run_id", "cell", maintain_order=True):
        span = max(1.0, SPAN_SHARE * cell.height)
        parts.append(cell.with_columns(pl.col("loss").ewm_mean(span=span, adjust=True)))
    if not parts:
        return pl.DataFrame(
            schema={"dataset": pl.String, "method": pl.String, "step": pl.Int64,
                    "loss": pl.Float64, "n_seeds": pl.UInt32}
        )  # fmt: skip
    return (
        pl.concat(parts)
        .group_by("dataset", "method", "step")
        .agg(pl.col("loss").mean(), pl.len().alias("n_seeds"))
        .sort("dataset", "method", "step")
    )


def loss_panel(history: pl.DataFrame) -> CurvePanel | None:
    """The smoothed training loss per step of every system in ``history`` (one dataset)."""
    import polars as pl

    smooth = smoothed_losses(history)
    if smooth.is_empty():
        return None
    frame = smooth.select("method", pl.col("step").alias("x"), pl.col("loss").alias("y"))
    return CurvePanel("loss", frame, "training step", "training loss, smoothed (log scale)", True)


def load_validation(meta: dict[str, RunMeta], results: pl.DataFrame) -> pl.DataFrame:
    """The validation rows (RESULT_COLUMNS, ``split = "val"``) of every done cell that has
    them, with the cell's ``method`` from ``results``; empty for runs without validation."""
    import polars as pl

    from ..layout import RunFolder
    from ..results import RESULT_COLUMNS, polars_schema
    from .load import _read_frame

    frames = [pl.DataFrame(schema=polars_schema(RESULT_COLUMNS))]
    for m in meta.values():
        for name in m.done:
            file = RunFolder(m.path).cell(name).validation
            frame = _read_frame(file, RESULT_COLUMNS, required=False)
            frames.append(frame.with_columns(run_id=pl.lit(m.run_id), cell=pl.lit(name)))
    cells = results.select("run_id", "cell", "method").unique()
    return pl.concat(frames).join(cells, on=["run_id", "cell"], how="inner")


def val_panel(validation: pl.DataFrame) -> CurvePanel | None:
    """Validation text-to-video R@1 (%) per epoch of every system in ``validation`` (one
    dataset): the mean over languages of each cell, then over its seeds; None without rows."""
    import polars as pl

    r1 = validation.filter(
        (pl.col("direction") == "t2v") & (pl.col("metric") == "recall") & (pl.col("k") == 1)
    )
    if r1.is_empty():
        return None
    frame = (
        r1.group_by("run_id", "cell", "method", "epoch")
        .agg(pl.col("value").mean())
        .group_by("method", "epoch")
        .agg((100 * pl.col("value").mean()).alias("y"))
        .select("method", pl.col("epoch").alias("x"), "y")
        .sort("method", "x")
    )
    return CurvePanel("val", frame, "epochs trained", "validation R@1 (%)")


def selected_epochs(meta: dict[str, RunMeta], results: pl.DataFrame) -> pl.DataFrame:
    """``dataset, run_id, cell, method, seed, epoch, epochs``: the epoch each cell of a run
    with ``--select-on-val`` reports on test (its test rows' ``epoch``) out of the run's
    ``epochs``; empty when no run selected."""
    import polars as pl

    picked = {m.run_id: int(m.config.get("epochs") or 0) for m in meta.values()
              if m.config.get("select_on_val")}  # fmt: skip
    schema = pl.Schema({"dataset": pl.String, "run_id": pl.String, "cell": pl.String,
                        "method": pl.String, "seed": pl.Int64, "epoch": pl.Int64,
                        "epochs": pl.Int64})  # fmt: skip
    if not picked:
        return pl.DataFrame(schema=schema)
    rows = results.filter(pl.col("run_id").is_in(list(picked)) & (pl.col("split") == "test"))
    return (
        rows.select("dataset", "run_id", "cell", "method", "seed", "epoch")
        .unique()
        .with_columns(epochs=pl.col("run_id").replace_strict(picked, return_dtype=pl.Int64))
        .select(schema.names())
        .cast(schema)
        .sort("dataset", "method", "seed")
    )
