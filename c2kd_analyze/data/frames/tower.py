"""An image tower on a device: its image processor, then batched forward passes in the device's
precision (autocast), giving one float32 vector per frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import UserError
from ..model_hub import offline_env, quiet_transformers
from .source import TowerSource

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ...devices import Precision


class ImageTower:
    """``pixels(frames)`` (CPU, thread-safe) then ``embed(pixels)`` (the device)."""

    def __init__(self, source: TowerSource, device: torch.device, precision: Precision):
        offline_env()
        quiet_transformers()
        from transformers import AutoImageProcessor

        self.source, self.device, self.precision = source, device, precision
        folder = str(source.found.folder)
        try:
            # the PIL processor: the torchvision one needs a torchvision built for this torch
            self.processor = AutoImageProcessor.from_pretrained(folder, use_fast=False)
            self.model = self._load(folder).to(device).eval()
        except UserError:
            raise
        except Exception as exc:
            raise UserError(
                f"cannot load image model {source.label}: {exc}".splitlines()[0]
            ) from None

    def _load(self, folder: str):
        if self.source.kind == "clip":
            from transformers import CLIPVisionModelWithProjection

            return CLIPVisionModelWithProjection.from_pretrained(folder)
        if self.source.kind == "siglip":
            from transformers import SiglipVisionModel

            return SiglipVisionModel.from_pretrained(folder)
        from transformers import AutoModel

        return AutoModel.from_pretrained(folder)

    def pixels(self, frames: np.ndarray) -> torch.Tensor:
        """(n, H, W, 3) uint8 -> the model's input (n, 3, h, w) float32, on the CPU."""
        return self.processor(images=list(frames), return_tensors="pt")["pixel_values"]

    def embed(self, pixels: torch.Tensor) -> np.ndarray:
        """(n, 3, h, w) -> (n, dim) float32 features."""
        import torch

        from ...devices import encoder_autocast

        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            x = pixels.to(self.device, non_blocking=True)
            if self.source.kind == "clip":
                out = self.model(pixel_values=x).image_embeds
            elif self.source.kind == "siglip":
                out = self.model(pixel_values=x).pooler_output
            else:
                out = self._auto(x)
        return out.float().cpu().numpy()

    def _auto(self, x: torch.Tensor) -> torch.Tensor:
        import torch

        if hasattr(self.model, "get_image_features"):
            got = self.model.get_image_features(pixel_values=x)
            return got if isinstance(got, torch.Tensor) else got.pooler_output
        out = self.model(pixel_values=x)
        pooled = getattr(out, "pooler_output", None)
        if pooled is not None and pooled.dim() == 2:
            return pooled
        hidden = out.last_hidden_state
        return hidden.mean(dim=1) if hidden.dim() == 3 else hidden.flatten(2).mean(-1)
