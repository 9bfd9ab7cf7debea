"""Backend ``hf-mean-pooled``: HF AutoModel + masked mean pooling (the paper's mBERT, XLM-R)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...devices import Precision, autocast
from ...errors import UserError
from ..spec import TeacherSpec
from .progress import encode_progress
from .torch_utils import encode_batch_size, mean_pool

if TYPE_CHECKING:
    import torch


def load_parts(folder: Path):
    """(tokenizer, model) from a local HF folder, never touching the network."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    return tokenizer, model


class HFMeanPooledEncoder:
    """AutoModel + masked mean pooling + L2 norm: (n_texts,) -> float32 (n_texts, dim)."""

    def __init__(
        self,
        spec: TeacherSpec,
        folder: Path,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        import torch

        self.spec = spec
        self._model_id = model_id
        self.device = torch.device(device)
        self.precision = precision  # autocast of the forward pass (part of the cache key)
        self.tokenizer, model = load_parts(folder)
        hidden = getattr(model.config, "hidden_size", None)
        if hidden != spec.dim:
            raise UserError(
                f"model folder {folder} has hidden size {hidden} but teacher {spec.name!r} expects "
                f"{spec.dim}; point --teacher-dir at the right model"
            )
        self.model = model.to(self.device).eval()
        positions = getattr(model.config, "max_position_embeddings", 512)
        # XLM-R style models reserve two position ids for the padding offset.
        limit = (
            positions - 2 if getattr(model.config, "model_type", "") == "xlm-roberta" else positions
        )
        self.max_tokens = min(spec.max_tokens or limit, limit)

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def model_id(self) -> str:
        return self._model_id

    def hf_parts(self):
        return self.tokenizer, self.model

    def encode(self, texts: list[str], *, batch_size: int | None = None) -> np.ndarray:
        """(n_texts,) -> float32 (n_texts, dim), rows L2-normalised, computed on ``self.device``.

        Texts are tokenized once, sorted by token count and batched in that order, so each batch
        pads only to its own longest text (captions vary 5-40 tokens: this halves the work).
        """
        import torch

        batch_size = encode_batch_size(self.device, batch_size)
        texts = [self.spec.prefix + t for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_tokens)["input_ids"]
        order = np.argsort(
            [-len(x) for x in ids], kind="stable"
        )  # longest first: peak memory early
        with (
            torch.inference_mode(),
            autocast(self.device, self.precision),
            encode_progress(len(texts), f"encoding with {self.spec.name}") as advance,
        ):
            for start in range(0, len(texts), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer.pad(
                    {"input_ids": [ids[i] for i in rows]}, return_tensors="pt"
                )
                batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
                hidden = self.model(**batch).last_hidden_state.float()
                pooled = mean_pool(hidden, batch["attention_mask"])
                if self.spec.normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[rows] = pooled.float().cpu().numpy()
                advance(len(rows))
        return out


def load(
    spec: TeacherSpec,
    folder: Path,
    model_id: str,
    device: torch.device,
    precision: Precision = "fp32",
) -> HFMeanPooledEncoder:
    return HFMeanPooledEncoder(spec, folder, model_id, device, precision)
