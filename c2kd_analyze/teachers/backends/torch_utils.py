"""Small torch helpers shared by the transformer backends (and the full-mode trainer)."""

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


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Masked mean over tokens: (batch, seq, dim) and (batch, seq) -> (batch, dim).

    Padding positions (mask 0) contribute nothing; an all-padding row gives zeros, not NaN.
    """
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1.0)
    return summed / counts
