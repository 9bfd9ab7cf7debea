"""How a run executes, beside what it computes: ``--compile`` and ``--deterministic``.

Neither changes the recipe, so neither is part of the run id or of a checkpoint's key (as the
device is not); both are recorded in config.json under ``execution``.

- ``compile``: the fine-tuned text encoder (``--mode full``) runs under ``torch.compile`` (its
  module compiled in place, so checkpoints keep their keys), and token batches are padded to a
  multiple of :data:`COMPILE_PAD` tokens so it meets few shapes (at most
  ``ceil(max_tokens / 8)`` widths; batch sizes are marked dynamic after the first change). The
  numbers equal the eager ones up to float summation order. It needs a C compiler (inductor
  builds its kernels with it): refused at once when there is none. No effect in frozen mode.
- ``deterministic``: ``torch.use_deterministic_algorithms(True)`` for the run (an op with no
  deterministic implementation stops it with torch's error naming the op), cuDNN's
  deterministic kernels without autotuning, and cuBLAS's fixed workspace
  (``CUBLAS_WORKSPACE_CONFIG=:4096:8``). A CPU run is reproducible without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:
    from torch import nn

#: token batches are padded to a multiple of this under ``--compile``
COMPILE_PAD = 8
CUBLAS_ENV = "CUBLAS_WORKSPACE_CONFIG"


@dataclass(frozen=True)
class Execution:
    compile: bool = False
    deterministic: bool = False

    @property
    def pad_to(self) -> int:
        """The multiple token batches are padded to."""
        return COMPILE_PAD if self.compile else 1

    def to_dict(self) -> dict[str, bool]:
        return {"compile": self.compile, "deterministic": self.deterministic}


def check_execution(execution: Execution) -> None:
    """UserError before any work when ``--compile`` cannot work here (no C compiler)."""
    if execution.compile and not any(shutil.which(cc) for cc in ("cc", "gcc", "clang")):
        raise UserError(
            "--compile needs a C compiler (torch.compile builds its kernels with one) and none "
            "is on PATH; install gcc or run without --compile"
        )


def compile_encoder(encoder: nn.Module) -> None:
    """Compile a fine-tuned encoder in place (its state dict keys stay the same)."""
    encoder.compile()


@contextlib.contextmanager
def execution_scope(execution: Execution) -> Iterator[None]:
    """The block runs with ``execution``'s global torch settings; they are restored after."""
    if not execution.deterministic:
        yield
        return
    import torch

    os.environ.setdefault(CUBLAS_ENV, ":4096:8")  # read when cuBLAS first starts on a GPU
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2:]
