"""trackio: one trackio run per cell, grouped by the run id, stored where trackio stores
(``$TRACKIO_DIR``, local-first: nothing leaves the machine unless trackio is told to).

trackio prints its own notices on stdout; they go to stderr here, so ``run``'s stdout stays its
own (a table a script may read)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from . import PROJECT, flat_config


def _quiet():
    return contextlib.redirect_stdout(sys.stderr)


class TrackioTracker:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.active = False

    def start_cell(self, cell: str, config: dict[str, Any]) -> None:
        import trackio

        with _quiet():
            trackio.init(
                project=os.environ.get("TRACKIO_PROJECT", PROJECT), name=f"{self.run_id}/{cell}",
                group=self.run_id, config={**flat_config(config), "cell": cell}, embed=False,
                auto_log_gpu=False, auto_log_cpu=False,
            )  # fmt: skip
        self.active = True

    def log_step(self, step: int, loss: float, lr: float) -> None:
        import trackio

        with _quiet():
            trackio.log({"train/loss": loss, "train/lr": lr}, step=step)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        import trackio

        with _quiet():
            trackio.log(metrics, step=step)

    def end_cell(self) -> None:
        if self.active:
            import trackio

            with _quiet():
                trackio.finish()
            self.active = False


def open_tracker(run_dir: Path, run_id: str) -> TrackioTracker:
    return TrackioTracker(run_id)
