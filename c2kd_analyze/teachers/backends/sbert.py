"""Backend ``sentence-transformers``: any sentence-transformers folder (LaBSE, MiniLM, ...)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...devices import Precision, encoder_autocast
from ...errors import UserError
from ...progress import progress_bar
from ..spec import TeacherSpec
from .torch_utils import TorchEncoder, encode_batch_size, encode_token_ids, token_budget

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


#: sentence-transformers' names for the poolings a spec may name.
_ST_POOLING = {"cls": "cls", "mean": "mean", "lasttoken": "last-token"}


def _check_pooling(model, spec: TeacherSpec, folder: Path) -> None:
    """Warn (one line) when the folder's Pooling module is not the spec's pooling."""
    for module in model:
        mode = getattr(module, "pooling_mode", None)  # sentence-transformers >= 6
        if mode is None and hasattr(module, "get_pooling_mode_str"):
            mode = module.get_pooling_mode_str()
        if mode is None:
            continue
        got = _ST_POOLING.get(mode, mode) if isinstance(mode, str) else "+".join(mode)
        if got != spec.pooling:
            log.warning(
                "teacher %r: folder %s pools by %r but the spec says %r; the folder's pooling runs",
                spec.name, folder, got, spec.pooling,
            )  # fmt: skip
        return


def _text_tokenizer(model):
    """The tokenizer of a plain text model (a Transformer module first, text modality), else
    None (multimodal or chat-template models go through ``model.encode``)."""
    from sentence_transformers.base.modules.transformer import Transformer

    first = model[0]
    config = getattr(first, "modality_config", {"text": None})
    if not isinstance(first, Transformer) or "text" not in config or "message" in config:
        return None
    return first.tokenizer


def _prompt_length(tokenizer, prompt: str) -> int:
    """Tokens of ``prompt`` as sentence-transformers counts them (its trailing special token,
    e.g. [SEP], not included)."""
    ids = tokenizer(prompt)["input_ids"]
    special = set(getattr(tokenizer, "all_special_ids", ()))
    return len(ids) - 1 if ids and ids[-1] in special else len(ids)


class SentenceTransformerEncoder(TorchEncoder):
    """A sentence-transformers model as a :class:`TextEncoder`: (n_texts,) -> (n_texts, dim)."""

    def __init__(
        self,
        spec: TeacherSpec,
        folder: Path,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        from sentence_transformers import SentenceTransformer

        super().__init__(spec, model_id, device, precision)
        self.model = SentenceTransformer(
            str(folder),
            device=str(device),
            local_files_only=True,
            trust_remote_code=spec.trust_remote_code,
        )
        _check_pooling(self.model, spec, folder)
        if spec.max_tokens:
            self.model.max_seq_length = spec.max_tokens
        got = self.model.get_embedding_dimension()
        if got != spec.dim:
            raise UserError(
                f"model folder {folder} gives {got}-d vectors but teacher {spec.name!r} expects "
                f"{spec.dim}-d; point --teacher-dir at the right model"
            )

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, progress: bool = True
    ) -> np.ndarray:
        """(n_texts,) -> float32 (n_texts, dim), rows L2-normalised, computed on ``self.device``.

        A text model (one Transformer module first, as every sentence-transformers text encoder)
        is tokenised here once, with its own tokenizer, limit and the spec's query prompt, and
        its modules (pooling, dense, normalize) run on batches by tokens in length order
        (:func:`~.torch_utils.encode_token_ids`); the same vectors as ``model.encode``. Anything
        else goes through ``model.encode``.
        """
        import torch

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer = _text_tokenizer(self.model)
        if tokenizer is None:
            return self._library_encode(texts, batch_size, progress)
        prompt = self.spec.query_prompt or ""
        ids = tokenizer(
            [prompt + t for t in texts],
            truncation=True,
            max_length=tokenizer.model_max_length,
            return_attention_mask=False,
        )["input_ids"]
        extra: dict[str, object] = {"modality": "text"}
        if prompt:  # a Pooling with include_prompt=False leaves the prompt's tokens out
            extra["prompt_length"] = _prompt_length(tokenizer, prompt)

        def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask, **extra}
            pooled = self.model(features)["sentence_embedding"].float()
            return torch.nn.functional.normalize(pooled, dim=-1) if self.spec.normalize else pooled

        budget, max_rows = token_budget(self.device, batch_size)
        pad_id = tokenizer.pad_token_id
        self.model.eval()
        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            return encode_token_ids(
                ids, forward, dim=self.dim, device=self.device,
                pad_id=0 if pad_id is None else int(pad_id),
                left=getattr(tokenizer, "padding_side", "right") == "left",
                budget=budget, max_rows=max_rows,
                description=f"encoding {self.spec.name}", progress=progress,
            )  # fmt: skip

    def _library_encode(
        self, texts: list[str], batch_size: int | None, progress: bool
    ) -> np.ndarray:
        """``model.encode`` in chunks (own progress bar), for a model that is not plain text."""
        batch_size = encode_batch_size(self.device, batch_size)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunk = batch_size * 8
        with (
            encoder_autocast(self.device, self.precision),
            progress_bar(len(texts), f"encoding {self.spec.name}", progress) as advance,
        ):
            for start in range(0, len(order), chunk):
                idx = order[start : start + chunk]
                out[idx] = self.model.encode(  # float32 numpy whatever the autocast
                    [texts[i] for i in idx],
                    batch_size=batch_size,
                    prompt=self.spec.query_prompt or None,
                    normalize_embeddings=self.spec.normalize,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                advance(len(idx))
        return out

    def hf_parts(self):
        """(tokenizer, transformer) underneath; pool with ``pool_output(.., spec.pooling)``."""
        return self.model.tokenizer, self.model[0].auto_model


def load(
    spec: TeacherSpec,
    folder: Path,
    model_id: str,
    device: torch.device,
    precision: Precision = "fp32",
) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(spec, folder, model_id, device, precision)
