"""Weights & Biases: one wandb run per cell, grouped by the run id (``WANDB_MODE=offline`` and
``WANDB_DIR`` are wandb's own and honoured; the default folder is ``RUN_DIR/tracking/``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import PROJECT, flat_config


class WandbTracker:
    def __init__(self, folder: Path, run_id: str) -> None:
        self.folder, self.run_id = folder, run_id
        self.run: Any = None

    def start_cell(self, cell: str, config: dict[str, Any]) -> None:
        import wandb

        self.folder.mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", PROJECT), group=self.run_id,
            name=f"{self.run_id}/{cell}", job_type=cell.rsplit("-s", 1)[0],
            config={**flat_config(config), "cell": cell, "run_id": self.run_id},
            dir=os.environ.get("WANDB_DIR", str(self.folder)), reinit="finish_previous",
            # no console capture: run's own output (and its pipe-safe streams) stay as they are
            settings=wandb.Settings(console="off", quiet=True),
        )  # fmt: skip

    def log_step(self, step: int, loss: float, lr: float) -> None:
        self.run.log({"train/loss": loss, "train/lr": lr}, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.run.log(metrics, step=step)

    def end_cell(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None


def open_tracker(run_dir: Path, run_id: str) -> WandbTracker:
    from ..layout import RunFolder

    return WandbTracker(RunFolder(run_dir).tracking_dir, run_id)
