"""Small torch helpers shared by the transformer backends (pooling lives in ``..pooling``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec import EncoderIdentity

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


class TorchEncoder(EncoderIdentity):
    """What every torch backend shares: its identity (spec, the model that actually ran, the
    autocast precision: the encoding cache's key) and the device it encodes on."""

    def __init__(
        self,
        spec: TeacherSpec,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        import torch

        super().__init__(spec, model_id, precision)
        self.device = torch.device(device)
