"""Backend ``sentence-transformers``: any sentence-transformers folder (LaBSE, MiniLM, ...)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...devices import Precision, autocast
from ...errors import UserError
from ..spec import TeacherSpec
from .progress import encode_progress
from .torch_utils import TorchEncoder, encode_batch_size

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

        The spec's query prompt goes to sentence-transformers as ``prompt`` (so a Pooling module
        with ``include_prompt=False`` can leave it out). Texts are sorted by length and encoded in
        chunks, so padding stays small and our own progress bar (not sentence-transformers' tqdm)
        shows how far it is.
        """
        batch_size = encode_batch_size(self.device, batch_size)
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunk = batch_size * 8
        with (
            autocast(self.device, self.precision),
            encode_progress(len(texts), f"encoding {self.spec.name}", progress) as advance,
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
