"""What every cell of a run shares, in three parts: the data, the encoders, the model factory.

- ``ctx.data`` (:class:`~.run_data.RunData`): the dataset as caption tables and frames on the
  device, read-only;
- ``ctx.encoders`` (:class:`~.encoders.RunEncoders`): each text encoder found once and loaded at
  most once, what a text tower reads (frozen outputs through the cache, or token ids);
- ``ctx.models`` (:class:`~.model_factory.ModelFactory`): fresh models over those encoders.

Everything heavy is loaded lazily and memoised, so a resumed run whose cells are all done loads
nothing, and a teacher and a student that share an encoder (me5-small) share its encodings.
Everything lives on the run's device (``ctx.device``); ``muse`` (numpy) encodes on the CPU. What
cells have trained (a teacher serves every student of the run) the cells keep
(:class:`~.cells.CellRunner`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import RunConfig
from ..data.types import Dataset
from ..devices import Precision, resolve_precision
from .encoders import RunEncoders
from .execution import Execution
from .model_factory import ModelFactory
from .run_data import RunData


class RunContext:
    """One run's shared resources: ``cfg``, ``device``, ``precision``, ``data``, ``encoders``,
    ``models``."""

    def __init__(
        self,
        cfg: RunConfig,
        dataset: Dataset,
        teacher_dirs: dict[str, Path] | None = None,
        device: torch.device | str = "cpu",
        trust_remote_code: bool = False,
        progress: bool = True,
        execution: Execution | None = None,
    ) -> None:
        self.cfg = cfg
        self.execution = execution or Execution()
        self.device = torch.device(device)
        # a run resolves "auto" before it gets here; a context built directly resolves it the same
        self.precision: Precision = (
            resolve_precision(cfg.precision, self.device)
            if cfg.precision == "auto"
            else cfg.precision
        )
        self.data = RunData(dataset, cfg.n_video_tokens, self.device)
        self.encoders = RunEncoders(
            cfg, self.data, self.device, self.precision, teacher_dirs, trust_remote_code,
            progress, self.execution,
        )  # fmt: skip
        self.models = ModelFactory(cfg, self.encoders, self.execution)
