"""Backend ``hf-pooled``: HF AutoModel + the spec's pooling (mean, cls, pooler, last-token).

The paper's mBERT and XLM-R (masked mean), supervised SimCSE (pooler), bge-m3 (cls), the mE5 family
(mean + "query: ") and Qwen3-Embedding (last token, left padding, an instruction) all run here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...devices import Precision, encoder_autocast
from ...errors import UserError
from ..pooling import pool_output
from ..spec import TeacherSpec
from .torch_utils import TorchEncoder, encode_token_ids, token_budget

if TYPE_CHECKING:
    import torch


def load_parts(folder: Path, *, trust_remote_code: bool = False, padding_side: str = "right"):
    """(tokenizer, model) from a local HF folder, never touching the network."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        str(folder), local_files_only=True, trust_remote_code=trust_remote_code
    )
    tokenizer.padding_side = padding_side
    model = AutoModel.from_pretrained(
        str(folder), local_files_only=True, trust_remote_code=trust_remote_code
    )
    return tokenizer, model


def _token_limit(config) -> int:
    positions = getattr(config, "max_position_embeddings", 512)
    # XLM-R style models reserve two position ids for the padding offset.
    if getattr(config, "model_type", "") in ("xlm-roberta", "roberta"):
        return positions - 2
    return positions


class HFPooledEncoder(TorchEncoder):
    """AutoModel + the spec's pooling + L2 norm: (n_texts,) -> float32 (n_texts, dim)."""

    def __init__(
        self,
        spec: TeacherSpec,
        folder: Path,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        super().__init__(spec, model_id, device, precision)
        self.tokenizer, model = load_parts(
            folder, trust_remote_code=spec.trust_remote_code, padding_side=spec.padding_side
        )
        hidden = getattr(model.config, "hidden_size", None)
        if hidden != spec.dim:
            raise UserError(
                f"model folder {folder} has hidden size {hidden} but teacher {spec.name!r} expects "
                f"{spec.dim}; point --teacher-dir at the right model"
            )
        self.model = model.to(self.device).eval()
        limit = _token_limit(model.config)
        self.max_tokens = min(spec.max_tokens or limit, limit)

    def hf_parts(self):
        """(tokenizer, model); pool the model's output with ``pool_output(.., spec.pooling)``."""
        return self.tokenizer, self.model

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, progress: bool = True
    ) -> np.ndarray:
        """(n_texts,) -> float32 (n_texts, dim), rows L2-normalised, computed on ``self.device``.

        Each text gets the spec's query prompt. Texts are tokenised once and batched by tokens
        in length order (:func:`~.torch_utils.encode_token_ids`; ``batch_size`` caps the texts
        per batch), the forward pass under the precision's encoder autocast.
        """
        import torch

        texts = [self.spec.apply_prompt(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.tokenizer(
            texts, truncation=True, max_length=self.max_tokens, return_attention_mask=False
        )["input_ids"]

        def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            output = self.model(input_ids=input_ids, attention_mask=attention_mask)
            pooled = pool_output(output, attention_mask, self.spec.pooling).float()
            return torch.nn.functional.normalize(pooled, dim=-1) if self.spec.normalize else pooled

        budget, max_rows = token_budget(self.device, batch_size)
        pad_id = self.tokenizer.pad_token_id
        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            return encode_token_ids(
                ids, forward, dim=self.dim, device=self.device,
                pad_id=0 if pad_id is None else int(pad_id),
                left=self.spec.padding_side == "left", budget=budget, max_rows=max_rows,
                description=f"encoding with {self.spec.name}", progress=progress,
            )  # fmt: skip


def load(
    spec: TeacherSpec,
    folder: Path,
    model_id: str,
    device: torch.device,
    precision: Precision = "fp32",
) -> HFPooledEncoder:
    return HFPooledEncoder(spec, folder, model_id, device, precision)
