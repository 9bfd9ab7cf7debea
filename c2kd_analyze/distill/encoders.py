"""The run's text encoders: each found once and loaded at most once, whatever reads it.

What a text tower reads comes from here (:meth:`RunEncoders.text_inputs`): in ``frozen`` mode
the encoder's pooled, L2-normalised outputs (``encode_cached``: content-addressed on disk, so a
second run encodes nothing; each language once per encoder, split and role, held once on the
device); in ``full`` mode token ids, tokenised once per split and limit. The Hugging Face parts a
fine-tuned tower copies are the frozen encoder's own loaded model, so a run loads those weights
once. An encoder that cannot be fine-tuned (``muse``) stays frozen in ``full`` mode, with a
logged warning; the results record the mode that actually ran.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import RunConfig
from ..devices import Precision
from .captions import CaptionTable
from .execution import Execution
from .inputs import FrozenTexts, TextInputs, TokenizedTexts
from .models import Standardize
from .run_data import Role, RunData

log = logging.getLogger(__name__)

#: captions per encoder call when filling the frozen features (see _encode_languages)
SHARD_TEXTS = 1 << 18


def feature_dtype(device: torch.device, precision: Precision) -> torch.dtype:
    """How frozen features are held on ``device``: float16 on an accelerator in a reduced-
    precision run, float32 otherwise. Why: an MSR-VTT-scale frozen sweep holds 1.62M caption
    vectors per encoder on the device (4 encoders of 768/768/768/512 dims: 18.3 GB in fp32,
    9.1 GB in fp16) and must fit a 24 GB GPU beside an encoder and its batches. fp16 keeps 11
    bits of a unit vector's components (relative rounding 5e-4), far below the bf16 encoders'
    own difference from fp32; the head reads them through :class:`Standardize` in float64."""
    reduced = precision != "fp32" and device.type not in ("cpu", "meta")
    return torch.float16 if reduced else torch.float32


class RunEncoders:
    """The encoders of one run over ``data``, on ``device`` in ``precision``."""

    def __init__(
        self,
        cfg: RunConfig,
        data: RunData,
        device: torch.device,
        precision: Precision,
        teacher_dirs: dict[str, Path] | None = None,
        trust_remote_code: bool = False,
        progress: bool = True,
        execution: Execution | None = None,
    ) -> None:
        self.cfg = cfg
        self.data = data
        self.device = device
        self.precision = precision
        self.teacher_dirs = dict(teacher_dirs or {})
        self.trust_remote_code = trust_remote_code
        self.progress = progress  # encoders may draw bars while they encode
        self.execution = execution or Execution()
        self._encoders: dict[str, Any] = {}
        self._inputs: dict[tuple, TextInputs] = {}
        self._features: dict[tuple, torch.Tensor] = {}  # (name, split, role, lang) -> (n, D)
        self._hf: dict[str, tuple[Any, Any]] = {}
        self._warned: set[str] = set()

    def encoder(self, name: str):
        """The encoder registered as ``name`` (a TextEncoder), found once and loaded on its
        first cache miss (a run whose captions are all cached never loads the model)."""
        if name not in self._encoders:
            from ..teachers.loader import find_teacher

            self._encoders[name] = find_teacher(
                name,
                local_dir=self.teacher_dirs.get(name),
                device=self.device,
                precision=self.precision,
                trust_remote_code=self.trust_remote_code,
            )
        return self._encoders[name]

    def model_id(self, name: str) -> str:
        return self.encoder(name).model_id

    def mode_of(self, name: str) -> str:
        """The mode that actually runs for encoder ``name``: ``full`` only if it can be tuned."""
        if self.cfg.mode != "full":
            return "frozen"
        from ..teachers import get_spec

        if get_spec(name).trainable:
            return "full"
        if name not in self._warned:
            self._warned.add(name)
            log.warning("%s cannot be fine-tuned; it stays frozen in --mode full", name)
        return "frozen"

    def hf_parts(self, name: str) -> tuple[Any, Any]:
        """(tokenizer, module) of encoder ``name`` for fine-tuning: the loaded frozen
        encoder's own (each fine-tuned tower copies the module)."""
        if name not in self._hf:
            from ..teachers import get_spec
            from ..teachers.loader import check_trainable

            check_trainable(get_spec(name))
            self._hf[name] = self.encoder(name).hf_parts()
        return self._hf[name]

    def outputs(
        self,
        name: str,
        split: str,
        role: Role = "student",
        languages: tuple[str, ...] | None = None,
    ) -> FrozenTexts:
        """The encoder's own outputs (L2-normalised) of every caption ``role`` reads in
        ``split``, in every language (or ``languages``), through the content-addressed cache, on
        the device: what a frozen-mode text head reads (through its :class:`Standardize`) and the
        translation diagnostic uses. Each language is encoded once per (encoder, split, role)
        and held once on the device, whichever subsets ask for it."""
        tables, role = self.data.read(split, role, languages)
        key = (name, split, role, tuple(tables))
        if key not in self._inputs:
            missing = [lang for lang in tables if (name, split, role, lang) not in self._features]
            if missing:
                self._encode_languages(name, split, role, {lang: tables[lang] for lang in missing})
            features = {lang: self._features[(name, split, role, lang)] for lang in tables}
            self._inputs[key] = FrozenTexts(tables, features, self.device)
        frozen = self._inputs[key]
        assert isinstance(frozen, FrozenTexts)
        return frozen

    def _encode_languages(
        self, name: str, split: str, role: Role, tables: dict[str, CaptionTable]
    ) -> None:
        """Encode ``tables``' captions through the cache into ``_features``, on the device."""
        from ..teachers.cache import encode_cached

        texts = [t for table in tables.values() for t in table.texts]
        log.info("%s: %d %s captions through the encoder cache", name, len(texts), split)
        # one encoder call (one device buffer, one copy to the host, one cache shard) per
        # SHARD_TEXTS captions: a 768-d encoder's buffer stays at 0.8 GB at any dataset size
        vectors = np.concatenate(
            [
                encode_cached(
                    self.encoder(name), texts[i : i + SHARD_TEXTS], progress=self.progress
                )
                for i in range(0, len(texts), SHARD_TEXTS)
            ]
            or [np.zeros((0, self.encoder(name).dim), np.float32)]
        )
        start, dtype = 0, feature_dtype(self.device, self.precision)
        for lang, table in tables.items():
            rows = torch.from_numpy(np.ascontiguousarray(vectors[start : start + len(table.texts)]))
            self._features[(name, split, role, lang)] = rows.to(self.device, dtype=dtype)
            start += len(table.texts)

    def release(self) -> None:
        """Free the frozen encoders' weights (their vectors are in memory and in the cache): on
        a GPU that is their gigabytes back before training starts. A later cache miss loads the
        model again; parts already handed to fine-tuning stay."""
        for encoder in self._encoders.values():
            encoder.unload()

    def standardize(self, name: str, role: Role = "student") -> Standardize:
        """Fixed per-dimension statistics of encoder ``name``'s outputs on the English training
        captions ``role`` reads (see :class:`~.models.Standardize` for why)."""
        english = self.outputs(name, "train", role, ("en",)).features["en"].double()
        return Standardize(english.mean(0), english.std(0))

    def text_inputs(
        self,
        name: str,
        split: str,
        max_tokens: int | None = None,
        role: Role = "student",
        languages: tuple[str, ...] | None = None,
    ) -> TextInputs:
        """What encoder ``name``'s text tower reads for ``split`` in ``role``: frozen outputs, or
        token ids (tokenised once per split, limit, role and languages, and kept, in full mode).
        ``max_tokens``: the limit for fine-tuned encoders; default the config's limit of the
        split (train / test). ``languages``: only these (e.g. English for a teacher's targets);
        default all."""
        if self.mode_of(name) == "frozen":
            return self.outputs(name, split, role, languages)
        tables, role = self.data.read(split, role, languages)
        limit = max_tokens or getattr(self.cfg.max_tokens, split)
        key = (name, split, role, "tokens", limit, tuple(tables))
        if key not in self._inputs:
            from ..teachers import get_spec

            tokenizer, _ = self.hf_parts(name)
            prompt = get_spec(name).apply_prompt
            self._inputs[key] = TokenizedTexts(tables, tokenizer, limit, prompt, self.device,
                                               pad_to=self.execution.pad_to)  # fmt: skip
        return self._inputs[key]
