"""Progress of training, as :mod:`c2kd_analyze.progress`'s mode says.

``bars``: one rich bar for the run's cells, one for the current cell's steps. ``lines`` (a log
file, ``--no-progress``): a line when a cell starts, about one every 10 % of its steps (with the
loss), and one when it ends with its time, final loss and text-to-video R@1 averaged over
languages. ``quiet``: nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from ..progress import LineReporter, current_mode, rich_bars, say
from .train import Step


class TrainingProgress:
    """``start_cell(name)``, then :meth:`on_step` for each step, then :meth:`end_cell`."""

    def __init__(self, total_cells: int, enabled: bool = True) -> None:
        self.total_cells = total_cells
        self.mode = current_mode() if enabled else "quiet"
        self._progress: Any = None
        self._cells_task = self._step_task = None
        self._cell: str | None = None
        self._lines: LineReporter | None = None
        self._t0 = 0.0
        self._started = 0
        self._last_loss: float | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[TrainingProgress]:
        if self.mode != "bars":
            yield self
            return
        self._progress = rich_bars("loss")
        with self._progress:
            self._cells_task = self._progress.add_task("cells", total=self.total_cells, loss="")
            yield self
        self._progress = None

    def start_cell(self, name: str) -> None:
        self._cell, self._t0, self._last_loss = name, time.perf_counter(), None
        self._started += 1
        self._lines = None
        if self.mode == "lines":
            say(f"cell {name} ({self._started} of {self.total_cells}): started")
        if self._progress is None:
            return
        if self._step_task is not None:
            self._progress.remove_task(self._step_task)
        self._step_task = self._progress.add_task(f"  {name}", total=None, loss="")

    def on_step(self, step: Step, total_steps: int) -> None:
        self._last_loss = step.loss
        if self.mode == "lines" and self._cell is not None:
            if self._lines is None:
                self._lines = LineReporter(total_steps, f"cell {self._cell}: steps")
            self._lines.advance(1, f"loss {step.loss:.3f}")
        if self._progress is None or self._step_task is None:
            return
        self._progress.update(
            self._step_task, total=total_steps, completed=step.step + 1,
            loss=f"loss {step.loss:.3f}",
        )  # fmt: skip

    def end_cell(self, r1: float | None = None, skipped: bool = False) -> None:
        """The cell is done (``r1``: its text-to-video R@1 averaged over languages, a fraction;
        ``skipped``: another process had done it)."""
        if self.mode == "lines" and self._cell is not None and not skipped:
            loss = f", final loss {self._last_loss:.3f}" if self._last_loss is not None else ""
            recall = f", R@1 avg {100 * r1:.1f}" if r1 is not None else ""
            seconds = time.perf_counter() - self._t0
            say(f"cell {self._cell}: done in {seconds:.1f} s{loss}{recall}")
        self._cell = None
        if self._progress is not None:
            self._progress.advance(self._cells_task)
