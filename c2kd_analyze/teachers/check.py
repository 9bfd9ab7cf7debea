"""``teachers check``: load a teacher, encode the built-in parallel captions, measure retrieval."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from ..devices import Precision
from .loader import load_teacher
from .parallel_captions import PARALLEL_CAPTIONS
from .registry import get_spec


@dataclass(frozen=True)
class CheckReport:
    """What ``teachers check NAME`` measured. Recall in [0, 1]."""

    name: str
    model_id: str
    device: str  # where it encoded, e.g. "cpu", "cuda:0"
    precision: str  # its encoder's autocast: "fp32", "bf16" (muse: always fp32)
    dim: int
    expected_dim: int
    n_captions: int  # per language
    load_s: float
    encode_s: float
    finite: bool
    max_norm_error: float  # max | ||row|| - 1 |
    recall_at_1: dict[str, float]  # target language -> en->lang translation R@1
    true_pair_cos: dict[str, float]  # mean cosine of a caption and its translation
    other_pair_cos: dict[str, float]  # mean cosine of a caption and other captions' translations

    @property
    def ok(self) -> bool:
        """Loads and gives finite, unit-length vectors of the spec's dim (retrieval is reported)."""
        return self.finite and self.dim == self.expected_dim and self.max_norm_error < 1e-3


def translation_recall_at_1(source: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows i of ``source`` (n, d) whose most similar ``target`` row is row i."""
    sims = source @ target.T
    return float(np.mean(np.argmax(sims, axis=1) == np.arange(len(source))))


def check_teacher(
    name: str,
    *,
    local_dir: str | os.PathLike | None = None,
    device: str = "cpu",
    precision: Precision = "fp32",
    trust_remote_code: bool = False,
) -> CheckReport:
    """Load ``name`` on ``device`` and encode the parallel captions under ``precision``'s
    encoder autocast; raises UserError when it cannot load."""
    spec = get_spec(name)
    t0 = time.perf_counter()
    encoder = load_teacher(
        name, local_dir=local_dir, device=device, precision=precision,
        trust_remote_code=trust_remote_code,
    )  # fmt: skip
    t1 = time.perf_counter()
    langs = list(PARALLEL_CAPTIONS)
    texts = [t for lang in langs for t in PARALLEL_CAPTIONS[lang]]
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    t2 = time.perf_counter()
    n = len(PARALLEL_CAPTIONS["en"])
    by_lang = {lang: vectors[i * n : (i + 1) * n] for i, lang in enumerate(langs)}
    finite = bool(np.isfinite(vectors).all())
    norm_error = (
        float(np.abs(np.linalg.norm(vectors, axis=1) - 1).max()) if finite else float("inf")
    )
    recall, true_cos, other_cos = {}, {}, {}
    off_diagonal = ~np.eye(n, dtype=bool)
    for lang in langs[1:]:
        sims = by_lang["en"] @ by_lang[lang].T
        recall[lang] = translation_recall_at_1(by_lang["en"], by_lang[lang])
        true_cos[lang] = float(np.diag(sims).mean())
        other_cos[lang] = float(sims[off_diagonal].mean())
    return CheckReport(
        name=spec.name,
        model_id=encoder.model_id,
        device=str(getattr(encoder, "device", "cpu")),
        precision=str(getattr(encoder, "precision", "fp32")),
        dim=int(vectors.shape[1]),
        expected_dim=spec.dim,
        n_captions=n,
        load_s=t1 - t0,
        encode_s=t2 - t1,
        finite=finite,
        max_norm_error=norm_error,
        recall_at_1=recall,
        true_pair_cos=true_cos,
        other_pair_cos=other_cos,
    )
