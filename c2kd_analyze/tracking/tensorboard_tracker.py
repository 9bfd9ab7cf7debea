"""TensorBoard: one event-file folder per cell under ``RUN_DIR/tracking/tensorboard/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import flat_config


class TensorBoardTracker:
    def __init__(self, root: Path, run_id: str) -> None:
        self.root, self.run_id = root, run_id
        self.writer: Any = None

    def start_cell(self, cell: str, config: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(self.root / cell))
        hparams = flat_config(config)
        text = "\n".join(f"    {k} = {v}" for k, v in sorted(hparams.items()))
        self.writer.add_text("config", f"run {self.run_id}, cell {cell}\n\n{text}", 0)

    def log_step(self, step: int, loss: float, lr: float) -> None:
        self.writer.add_scalar("train/loss", loss, step)
        self.writer.add_scalar("train/lr", lr, step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        for name, value in metrics.items():
            self.writer.add_scalar(name, value, step)

    def end_cell(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def open_tracker(run_dir: Path, run_id: str) -> TensorBoardTracker:
    from ..layout import RunFolder

    return TensorBoardTracker(RunFolder(run_dir).tracking_dir / "tensorboard", run_id)
