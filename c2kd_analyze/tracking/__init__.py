"""Experiment tracking: ``--report-to tensorboard,wandb,trackio`` (any subset; none by default).

Each tracker gets, per cell, the run's config as hyperparameters, the loss and learning rate of
every step, and the cell's test metrics per language and direction when it is evaluated; the
cells of one run form one group (the run id). Each tracker is an optional extra
(``pip install 'c2kd-analyze[tensorboard]'``); a missing package is one line before any work.

Where they write: TensorBoard event files in ``RUN_DIR/tracking/tensorboard/<cell>/``; wandb in
``$WANDB_DIR`` or ``RUN_DIR/tracking/`` (``WANDB_MODE=offline`` keeps it on the machine);
trackio in ``$TRACKIO_DIR`` or its own default, locally (it is local-first). Nothing here changes
a number of the run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import UserError

#: tracker name -> (module that implements it, the package it needs, the extra that installs it)
TRACKERS: dict[str, tuple[str, str, str]] = {
    "tensorboard": ("tensorboard_tracker", "tensorboard", "tensorboard"),
    "wandb": ("wandb_tracker", "wandb", "wandb"),
    "trackio": ("trackio_tracker", "trackio", "trackio"),
}
#: the project the cells' runs go to in wandb and trackio
PROJECT = "c2kd-analyze"


class Tracker(Protocol):
    """One experiment tracker; the calls come in this order for each cell."""

    def start_cell(self, cell: str, config: dict[str, Any]) -> None: ...

    def log_step(self, step: int, loss: float, lr: float) -> None: ...

    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...

    def end_cell(self) -> None: ...


def parse_report_to(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"tensorboard,wandb"`` (or a list) as tracker names, each known; () for none."""
    if text is None:
        return ()
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in names if n not in TRACKERS and n != "none"]
    if unknown:
        raise UserError(
            f"--report-to {unknown[0]!r} is no tracker; choose from {', '.join(TRACKERS)} "
            "(comma-separated, or none)"
        )
    return tuple(dict.fromkeys(n for n in names if n != "none"))


def check_installed(names: Iterable[str]) -> None:
    """One line naming the extra for a tracker whose package is not installed (before work)."""
    for name in names:
        _, package, extra = TRACKERS[name]
        if importlib.util.find_spec(package) is None:
            raise UserError(
                f"--report-to {name} needs the {package} package; install it with "
                f"pip install 'c2kd-analyze[{extra}]'"
            )


class Trackers:
    """Every chosen tracker as one (a no-op when none is chosen)."""

    def __init__(self, names: Sequence[str], run_dir: Path, run_id: str) -> None:
        self.trackers: list[Tracker] = [_open(n, run_dir, run_id) for n in names]
        self.steps_in_cell = 0  # steps logged since the cell started

    def start_cell(self, cell: str, config: dict[str, Any]) -> None:
        self.steps_in_cell = 0
        for t in self.trackers:
            t.start_cell(cell, config)

    def log_step(self, step: int, loss: float, lr: float) -> None:
        self.steps_in_cell += 1
        for t in self.trackers:
            t.log_step(step, loss, lr)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        for t in self.trackers:
            t.log_metrics(metrics, step)

    def end_cell(self) -> None:
        for t in self.trackers:
            t.end_cell()


def _open(name: str, run_dir: Path, run_id: str) -> Tracker:
    module = importlib.import_module(f".{TRACKERS[name][0]}", __name__)
    return module.open_tracker(run_dir, run_id)


def metric_name(direction: str, metric: str, k: int | None, lang: str) -> str:
    """``test/t2v/R@1/de``, ``test/t2v/median_rank/de``: one name per number of a cell."""
    what = f"R@{k}" if metric == "recall" else metric
    return f"test/{direction}/{what}/{lang}"


def flat_config(config: dict[str, Any]) -> dict[str, Any]:
    """The run's config as flat hyperparameters (tables as ``name.key``, lists as text)."""
    out: dict[str, Any] = {}
    for name, value in config.items():
        if isinstance(value, dict):
            out.update({f"{name}.{k}": v for k, v in value.items()})
        elif isinstance(value, list | tuple):
            pairs = all(isinstance(v, list | tuple) and len(v) == 2 for v in value) and value
            if pairs:
                out.update({f"{name}.{k}": v for k, v in value})
            else:
                out[name] = ",".join(map(str, value))
        else:
            out[name] = "none" if value is None else value
    return out
