"""Small torch helpers shared by the transformer backends (pooling lives in ``..pooling``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from ...devices import Precision
    from ..spec import TeacherSpec


def encode_batch_size(device: torch.device, requested: int | None) -> int:
    """Texts per forward pass: ``requested``, else 64 on a CPU and 512 on an accelerator (a GPU
    is starved by 64 short captions; a CPU gains nothing from more)."""
    if requested:
        return int(requested)
    return 64 if device.type == "cpu" else 512


class TorchEncoder:
    """What every torch backend shares: its spec, the model that actually ran (``model_id``),
    the device it encodes on and the autocast precision of its forward pass (part of the
    encoding cache's key)."""

    def __init__(
        self,
        spec: TeacherSpec,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        import torch

        self.spec = spec
        self._model_id = model_id
        self.device = torch.device(device)
        self.precision = precision

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def model_id(self) -> str:
        return self._model_id
