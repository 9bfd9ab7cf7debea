"""Rich progress for training: one bar for the run's cells, one for the current cell's steps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .train import Step


class TrainingProgress:
    """``cell(name)`` starts a step bar; :meth:`on_step` advances it. Silent when disabled."""

    def __init__(self, total_cells: int, enabled: bool = True) -> None:
        self._progress: Any = None
        self._cells_task = self._step_task = None
        self.total_cells = total_cells
        self.enabled = enabled

    @contextlib.contextmanager
    def running(self) -> Iterator[TrainingProgress]:
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[loss]}"),
            console=Console(stderr=True),
            transient=True,
        )
        with self._progress:
            self._cells_task = self._progress.add_task("cells", total=self.total_cells, loss="")
            yield self
        self._progress = None

    def start_cell(self, name: str) -> None:
        if self._progress is None:
            return
        if self._step_task is not None:
            self._progress.remove_task(self._step_task)
        self._step_task = self._progress.add_task(f"  {name}", total=None, loss="")

    def on_step(self, step: Step, total_steps: int) -> None:
        if self._progress is None or self._step_task is None:
            return
        self._progress.update(
            self._step_task,
            total=total_steps,
            completed=step.step + 1,
            loss=f"loss {step.loss:.3f}",
        )

    def end_cell(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._cells_task)
