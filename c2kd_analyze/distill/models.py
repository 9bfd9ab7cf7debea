"""The dual encoder: a text head over a (frozen or fine-tuned) text encoder, and a video tower.

Architecture as docs/method.md §1 (model/avlnet.py of the original), minus its dead weight
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


#: encoder families whose Hugging Face forward takes an attention mask it does not inspect
#: (transformers >= 5: a 4-D mask is used as given; 4.x: a 3-D one becomes the extended mask),
#: where a plain 2-D mask makes it ask the device whether any row is padded (``mask.all()``,
#: a host sync per forward). Tested (tests/distill/test_ready_mask.py) with transformers 5; the
#: 4.x entry follows those versions' code (``get_extended_attention_mask``) and has not run here.
#: Other model types get the 2-D mask.
READY_MASK_TYPES: dict[int, frozenset[str]] = {
    5: frozenset({"bert", "xlm-roberta", "roberta", "distilbert", "mpnet"}),
    4: frozenset({"bert", "xlm-roberta", "roberta"}),
}


def _transformers_major() -> int:
    import transformers

    return int(transformers.__version__.split(".")[0])


def takes_ready_mask(encoder: nn.Module) -> bool:
    """Whether ``encoder`` (a Hugging Face model) reads a prepared mask without inspecting it."""
    config = getattr(encoder, "config", None)
    if config is None or getattr(config, "is_decoder", False):
        return False
    if getattr(config, "_attn_implementation", "eager") not in ("eager", "sdpa"):
        return False  # flash / flex attention want the 2-D mask
    families = READY_MASK_TYPES.get(min(_transformers_major(), 5), frozenset())
    return getattr(config, "model_type", "") in families


def ready_mask(attention_mask: torch.Tensor, major: int) -> torch.Tensor:
    """A (B, T) 0/1 mask as the additive mask a transformer adds to its attention scores:
    (B, 1, 1, T) float32, 0 for real tokens and the float minimum for padding (transformers 5),
    or the (B, 1, T) 0/1 mask that transformers 4 extends into the same thing itself."""
    keep = attention_mask.bool()
    if major < 5:
        return keep[:, None, :].float()
    fill = torch.finfo(torch.float32).min
    return torch.zeros(keep.shape, device=keep.device).masked_fill(~keep, fill)[:, None, None, :]


def _no_pooler(hidden_states: torch.Tensor) -> None:
    """Stands in for a pooler's forward that nothing reads (see :class:`FineTunedTextTower`)."""
    return None


class FineTunedTextTower(nn.Module):
    """``full`` mode: a Hugging Face encoder, fine-tuned, pooled, then a :class:`TextHead`.

    ``forward(tokens)`` takes the tokenizer's dict (``input_ids``, ``attention_mask``, ...) of B
    captions and returns (B, P). ``pooling`` is one of :mod:`c2kd_analyze.teachers.pooling`'s
    (the original C2KD mean-pools every model; a teacher's own pooling is its spec's). The
    encoder runs under ``precision``'s :func:`~c2kd_analyze.devices.encoder_autocast` (on a CPU
    the only part of a step in bf16); the head gets the pooled states in fp32.

    The encoder gets a ready attention mask where its family takes one (:func:`ready_mask`), so
    a forward never reads a value back from the device. A pooler layer that the pooling does not
    read is left out of the graph: it is not run and its weights are frozen (they stay in the
    state dict, unchanged, so checkpoints and exported folders keep every key), so no parameter
    goes without a gradient and data-parallel training need not search for unused ones.
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
        pooler = getattr(encoder, "pooler", None)
        if pooling != "pooler" and isinstance(pooler, nn.Module):
            pooler.requires_grad_(False)
            pooler.forward = _no_pooler
        self._major = _transformers_major() if takes_ready_mask(encoder) else 0

    def forward(self, tokens: dict[str, torch.Tensor]) -> torch.Tensor:
        from ..devices import encoder_autocast
        from ..teachers.pooling import pool_output

        mask = tokens["attention_mask"]
        given = ready_mask(mask, self._major) if self._major else mask
        with encoder_autocast(mask.device, self.precision):
            out = self.encoder(**{**tokens, "attention_mask": given})
        return self.head(pool_output(out, mask, self.pooling).float())


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
        # no final LayerNorm, as the original; its layers' weights, run by encoder_block
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
        for layer in self.blocks.layers:
            x = encoder_block(layer, x, keep)
        return self.proj(x[:, 0])


def encoder_block(layer: nn.TransformerEncoderLayer, x: torch.Tensor, keep: torch.Tensor):
    """``layer(x, src_key_padding_mask=~keep)`` of a pre-LN, GELU, dropout-free layer, computed
    from its own weights in (B, T, W) layout: (B, T, W) -> (B, T, W); ``keep`` (B, T) bool.

    Why: ``nn.MultiheadAttention`` trains in (T, B, W) layout and packs q, k, v through
    transposes, so every step copies the activations back and forth (and fills and adds their
    gradients); here they stay batch-first, one view of the packed projection. The numbers are
    the module's (tested equal); the weights and their names are the module's, so checkpoints and
    the exported tower (which runs ``nn.TransformerEncoder``) are unchanged.
    """
    attn = layer.self_attn
    n, t, width = x.shape
    heads = attn.num_heads
    h = layer.norm1(x)
    qkv = F.linear(h, attn.in_proj_weight, attn.in_proj_bias)  # (B, T, 3W)
    q, k, v = qkv.view(n, t, 3, heads, width // heads).permute(2, 0, 3, 1, 4).unbind(0)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep[:, None, None, :])
    x = x + attn.out_proj(out.transpose(1, 2).reshape(n, t, width))
    return x + layer.linear2(F.gelu(layer.linear1(layer.norm2(x))))


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
