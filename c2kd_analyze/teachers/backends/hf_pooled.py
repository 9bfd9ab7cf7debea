"""Backend ``hf-pooled``: HF AutoModel + the spec's pooling (mean, cls, pooler, last-token).

The paper's mBERT and XLM-R (masked mean), supervised SimCSE (pooler), bge-m3 (cls), the mE5 family
(mean + "query: ") and Qwen3-Embedding (last token, left padding, an instruction) all run here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...devices import Precision, autocast
from ...errors import UserError
from ..pooling import pool_output
from ..spec import TeacherSpec
from .progress import encode_progress
from .torch_utils import TorchEncoder, encode_batch_size

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

        Each text gets the spec's query prompt. Texts are tokenized once, sorted by token count
        and batched in that order, so each batch pads only to its own longest text (captions vary
        5-40 tokens: this halves the work).
        """
        import torch

        batch_size = encode_batch_size(self.device, batch_size)
        texts = [self.spec.apply_prompt(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_tokens)["input_ids"]
        # longest first: peak memory early
        order = np.argsort([-len(x) for x in ids], kind="stable")
        with (
            torch.inference_mode(),
            autocast(self.device, self.precision),
            encode_progress(len(texts), f"encoding with {self.spec.name}", progress) as advance,
        ):
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer.pad(
                    {"input_ids": [ids[i] for i in rows]}, return_tensors="pt"
                )
                batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
                pooled = pool_output(
                    self.model(**batch), batch["attention_mask"], self.spec.pooling
                ).float()
                if self.spec.normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[rows] = pooled.cpu().numpy()
                advance(len(rows))
        return out


def load(
    spec: TeacherSpec,
    folder: Path,
    model_id: str,
    device: torch.device,
    precision: Precision = "fp32",
) -> HFPooledEncoder:
    return HFPooledEncoder(spec, folder, model_id, device, precision)
