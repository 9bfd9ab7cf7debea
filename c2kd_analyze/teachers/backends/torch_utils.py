"""Small torch helpers shared by the transformer backends (pooling lives in ``..pooling``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def encode_batch_size(device: torch.device, requested: int | None) -> int:
    """Texts per forward pass: ``requested``, else 64 on a CPU and 512 on an accelerator (a GPU
    is starved by 64 short captions; a CPU gains nothing from more)."""
    if requested:
        return int(requested)
    return 64 if device.type == "cpu" else 512
