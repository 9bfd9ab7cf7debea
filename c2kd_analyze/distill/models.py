"""The dual encoder: a text head over a (frozen or fine-tuned) text encoder, and a video tower.

Architecture as reference section 1 (model/avlnet.py of the original), minus its dead weight
(audio branch, word2vec projections):

- text: encoder output -> masked mean pooling -> LayerNorm(eps 1e-6) -> gated unit to P;
- video: frames L2-normalised -> gated unit to ``width`` -> LayerNorm -> learned CLS token ->
  2-layer, 4-head pre-LN transformer (GELU, mlp ratio 1, padded keys masked) -> CLS ->
  gated unit to P.

In ``frozen`` mode the text encoder's pooled, L2-normalised outputs are precomputed (the encoder
cache), so the text side is :class:`Standardize` (fixed statistics, saved with the weights) and
the trainable :class:`TextHead`. In ``full`` mode :class:`FineTunedTextTower` runs a Hugging Face
model and pools it before the same head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from ..devices import Precision
    from ..teachers.spec import Pooling


class GatedEmbeddingUnit(nn.Module):
    """``y = W1 x + b1; out = y * sigmoid(W2 y + b2)``: (..., in_dim) -> (..., out_dim)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.gate = nn.Linear(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return y * torch.sigmoid(self.gate(y))


class Standardize(nn.Module):
    """``(x - mean) / std`` per dimension with fixed float64 statistics: (B, D) -> (B, D) float32.

    Why (frozen mode): frozen sentence encoders are anisotropic (mE5's cosines are all 0.7-0.9),
    so caption-to-caption differences are small next to a shared offset, and a head trained for
    a few epochs barely sees them (measured on the demo: translate-train R@1 1.3 raw vs 8.9
    standardised for me5-small; 6.8 vs 7.5 for muse). The statistics are the mean and std of the
    encoder's outputs on the English training captions: fixed, the same for every language and
    split, and English only, so the zero-shot baseline sees nothing of the other languages. They
    are buffers, so a checkpoint (and an exported student) carries them.
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", mean.detach().to(torch.float64).clone())
        self.register_buffer("std", std.detach().to(torch.float64).clamp_min(1e-6).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.double() - self.mean) / self.std).float()


class TextHead(nn.Module):
    """(Standardize +) LayerNorm + gated unit: pooled features (B, in_dim) -> embeddings (B, P)."""

    def __init__(
        self, in_dim: int, projection_dim: int, standardize: Standardize | None = None
    ) -> None:
        super().__init__()
        self.standardize = standardize
        self.norm = nn.LayerNorm(in_dim, eps=1e-6)
        self.proj = GatedEmbeddingUnit(in_dim, projection_dim)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        if self.standardize is not None:
            pooled = self.standardize(pooled)
        return self.proj(self.norm(pooled))


class FineTunedTextTower(nn.Module):
    """``full`` mode: a Hugging Face encoder, fine-tuned, pooled, then a :class:`TextHead`.

    ``forward(tokens)`` takes the tokenizer's dict (``input_ids``, ``attention_mask``, ...) of B
    captions and returns (B, P). ``pooling`` is one of :mod:`c2kd_analyze.teachers.pooling`'s
    (the original C2KD mean-pools every model; a teacher's own pooling is its spec's). The
    encoder runs under ``precision``'s :func:`~c2kd_analyze.devices.encoder_autocast` (on a CPU
    the only part of a step in bf16); the head gets the pooled states in fp32.
    """

    def __init__(
        self,
        encoder: nn.Module,
        hidden_dim: int,
        projection_dim: int,
        pooling: Pooling = "mean",
        precision: Precision = "fp32",
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.precision = precision
        self.head = TextHead(hidden_dim, projection_dim)

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        from ..devices import encoder_autocast
        from ..teachers.pooling import pool_output

        with encoder_autocast(tokens["input_ids"].device, self.precision):
            out = self.encoder(**tokens)
        return self.head(pool_output(out, tokens["attention_mask"], self.pooling).float())


class VideoTower(nn.Module):
    """Frame features (B, T, D) with mask (B, T) -> clip embeddings (B, P).

    ``width`` is 512 in the paper; a smaller width makes the demo fast on a CPU.
    """

    def __init__(
        self,
        feature_dim: int,
        projection_dim: int,
        width: int = 512,
        depth: int = 2,
        heads: int = 4,
        mlp_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        #: the constructor's arguments: checkpoints record them (heads and the feed-forward
        #: width are not readable from the weights' shapes), so a tower can be rebuilt exactly
        self.config = {
            "feature_dim": feature_dim, "projection_dim": projection_dim, "width": width,
            "depth": depth, "heads": heads, "mlp_ratio": mlp_ratio,
        }  # fmt: skip
        self.token_proj = GatedEmbeddingUnit(feature_dim, width)
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        # written into slot 0 of a clip with no valid frame, so attention always has a key
        self.masking_token = nn.Parameter(torch.zeros(width))
        layer = nn.TransformerEncoderLayer(
            d_model=width,
            nhead=heads,
            dim_feedforward=int(width * mlp_ratio),
            dropout=0.0,
            activation="gelu",
            layer_norm_eps=1e-6,
            batch_first=True,
            norm_first=True,
        )
        # no final LayerNorm, as the original; nested tensors off so train and eval share a path
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.proj = GatedEmbeddingUnit(width, projection_dim)
        self._init_weights()

    def _init_weights(self) -> None:
        # timm's _init_vit_weights, as the original fusion transformer
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for name, param in self.blocks.named_parameters():
            # MultiheadAttention's fused qkv is not an nn.Linear
            if name.endswith("in_proj_weight"):
                nn.init.trunc_normal_(param, std=0.02)
            elif name.endswith("in_proj_bias"):
                nn.init.zeros_(param)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.masking_token, std=0.02)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.bool()
        x = self.norm(self.token_proj(F.normalize(frames, dim=-1)))  # (B, T, W)
        # a clip with no valid frame gets the masking token in slot 0, unmasked; branch-free, so
        # the step never asks the device whether such a clip exists (a host sync on a GPU)
        first = torch.zeros_like(mask[:1])
        first[:, 0] = True
        fill = ~mask.any(dim=1, keepdim=True) & first  # (B, T)
        x = torch.where(fill.unsqueeze(-1), self.masking_token.to(x.dtype), x)
        mask = mask | fill
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)  # (B, 1 + T, W)
        keep = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
        x = self.blocks(x, src_key_padding_mask=~keep)
        return self.proj(x[:, 0])


class RetrievalModel(nn.Module):
    """One text tower (a :class:`TextHead` or a :class:`FineTunedTextTower`) and one video tower."""

    def __init__(self, text: nn.Module, video: VideoTower) -> None:
        super().__init__()
        self.text = text
        self.video = video

    @property
    def text_dim(self) -> int:
        """P, the shared embedding size."""
        return self.video.proj.fc.out_features

    def encode_text(self, inputs) -> torch.Tensor:
        """(B, P) text embeddings from pooled features (frozen) or tokenizer output (full)."""
        return self.text(inputs)

    def encode_video(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, P) clip embeddings from frames (B, T, D) and mask (B, T)."""
        return self.video(frames, mask)
