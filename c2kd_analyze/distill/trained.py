"""What training or loading one model gives a cell: its history, its validation rows and the epoch
``--select-on-val`` kept, and how they go into and come out of its checkpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from . import checkpoints as ckpt
from .models import RetrievalModel
from .train import Step
from .validation import Validator, frame_rows, rows_frame

log = logging.getLogger(__name__)


def steps_of(frame) -> list[Step]:
    """A history frame (epoch, step, loss, lr) as steps."""
    return [Step(r["epoch"], r["step"], r["loss"], r["lr"]) for r in frame.iter_rows(named=True)]


def steps_frame(steps: list[Step]):
    """Steps as a history frame (how a checkpoint keeps them)."""
    import polars as pl

    return pl.DataFrame(
        {
            "epoch": [s.epoch for s in steps],
            "step": [s.step for s in steps],
            "loss": [s.loss for s in steps],
            "lr": [s.lr for s in steps],
        },
        schema={"epoch": pl.Int64, "step": pl.Int64, "loss": pl.Float64, "lr": pl.Float64},
    )


@dataclass(frozen=True)
class Trained:
    """What training (or loading) a model gave: its history, validation rows, selected epoch,
    and whether it was trained now."""

    history: list[Step]
    validation: list[dict]
    selected_epoch: int | None
    trained: bool

    def test_epoch(self, epochs: int) -> int:
        """How many epochs the weights evaluated on test had trained."""
        return epochs if self.selected_epoch is None else self.selected_epoch


def finish(validator: Validator | None, model: RetrievalModel) -> tuple[list[dict], int | None]:
    """After training: the validation rows, and the selected epoch (its weights now in
    ``model``; None when not selecting)."""
    if validator is None:
        return [], None
    selected = validator.restore_best(model)
    if selected is not None:
        log.info("kept epoch %d, the best on validation", selected)
    return validator.rows, selected


def loaded_validation(key: str, validates: bool) -> tuple[list[dict], int | None]:
    """A checkpoint's validation rows and selected epoch (nothing without validation)."""
    if not validates:
        return [], None
    return frame_rows(ckpt.load_validation(key)), ckpt.load_meta(key).get("selected_epoch")


def save_trained(
    key: str,
    model: RetrievalModel,
    meta: dict,
    history: list[Step],
    rows: list[dict],
    selected: int | None,
    validates: bool,
    embeddings: dict | None = None,
) -> None:
    """Checkpoint a trained model with its history and (when validating) validation rows."""
    meta = {**meta, **({"selected_epoch": selected} if selected is not None else {})}
    validation = rows_frame(rows) if validates else None
    ckpt.save_checkpoint(key, model, meta, steps_frame(history), embeddings, validation)
