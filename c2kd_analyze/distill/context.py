"""What every cell of a run shares: the dataset as tensors, encoders, text features, model builder.

Everything heavy is loaded lazily and memoised, so a resumed run whose cells are all done loads
nothing, and a teacher and a student that share an encoder (me5-small) share its encodings.

Modes: ``frozen`` -- text features are ``encode_cached(encoder, captions)`` (pooled, L2-normalised,
content-addressed on disk, so a second run encodes nothing) read by a :class:`Standardize` +
trainable :class:`TextHead`; ``full`` -- the encoder (from ``load_hf_parts``) is fine-tuned under
the same head. An encoder that cannot be fine-tuned (``muse``) stays frozen in ``full`` mode, with
a logged warning; the results record the mode that actually ran.

Everything lives on the run's device (``ctx.device``): frames and masks, frozen features and
token ids are moved there once, when first needed, and models are built there. Encoders encode
on it too (``muse``, numpy, always on the CPU).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import torch
from torch import nn

from ..config import RunConfig
from ..data.types import Dataset, Split
from ..devices import Precision, resolve_precision
from ..teachers.spec import Pooling
from .captions import CaptionTable, caption_tables, teacher_tables
from .execution import Execution, compile_encoder
from .inputs import FrozenTexts, TextInputs, TokenizedTexts
from .models import FineTunedTextTower, RetrievalModel, Standardize, TextHead, VideoTower

log = logging.getLogger(__name__)

T = TypeVar("T")

#: who reads a split's captions: students read ``captions``; teachers read their own English
Role = Literal["student", "teacher"]


def dataset_fingerprint(dataset: Dataset) -> str:
    """sha256 of everything in the dataset that can change a number (captions, features, sizes)."""
    h = hashlib.sha256()
    h.update(json.dumps([dataset.name, list(dataset.languages), dataset.feature_kind]).encode())
    for split in (dataset.train, dataset.test):
        h.update(json.dumps([list(split.clip_ids), split.n_queries]).encode())
        h.update(json.dumps(split.captions, sort_keys=True, ensure_ascii=False).encode())
        if split.teacher_english is not None:  # what teachers read changes what they learn
            h.update(json.dumps(split.teacher_english, ensure_ascii=False).encode())
        h.update(np.ascontiguousarray(split.features, dtype=np.float32).tobytes())
        h.update(np.ascontiguousarray(split.mask, dtype=bool).tobytes())
    return h.hexdigest()


def split_tensors(
    split: Split, n_video_tokens: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames (n_clips, T', D) float32 and mask (n_clips, T') bool, first ``n_video_tokens``,
    on ``device``."""
    frames = torch.from_numpy(np.ascontiguousarray(split.features[:, :n_video_tokens], np.float32))
    mask = torch.from_numpy(np.ascontiguousarray(split.mask[:, :n_video_tokens], dtype=bool))
    return frames.to(device), mask.to(device)


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


class RunContext:
    """Shared, lazily loaded resources of one run (one dataset, one config)."""

    def __init__(
        self,
        cfg: RunConfig,
        dataset: Dataset,
        teacher_dirs: dict[str, Path] | None = None,
        device: torch.device | str = "cpu",
        trust_remote_code: bool = False,
        progress: bool = True,
        execution: Execution | None = None,
    ) -> None:
        self.cfg = cfg
        self.execution = execution or Execution()
        self.trust_remote_code = trust_remote_code
        self.progress = progress  # encoders may draw bars while they encode
        self.device = torch.device(device)
        # a run resolves "auto" before it gets here; a context built directly resolves it the same
        self.precision: Precision = (
            resolve_precision(cfg.precision, self.device)
            if cfg.precision == "auto"
            else cfg.precision
        )
        self.dataset = dataset
        self.languages = dataset.languages
        self.teacher_dirs = dict(teacher_dirs or {})
        self.fingerprint = dataset_fingerprint(dataset)
        splits = {"train": dataset.train, "test": dataset.test}
        if dataset.val is not None:  # held out of train by --val-fraction (distill.holdout)
            splits["val"] = dataset.val
        self.tables: dict[str, dict[str, CaptionTable]] = {
            name: caption_tables(split, self.languages) for name, split in splits.items()
        }
        # what teachers read: English as the original's teachers read it, where a dataset says
        # (YouCook2's plain caption field, MSR-VTT's raw_text); else the students' own tables
        self.teacher_tables: dict[str, dict[str, CaptionTable]] = {
            name: (
                teacher_tables(split, self.languages)
                if split.teacher_english is not None
                else self.tables[name]
            )
            for name, split in splits.items()
        }
        for name, tables in self.teacher_tables.items():
            ours, theirs = tables["en"], self.tables[name]["en"]
            if not (
                np.array_equal(ours.start, theirs.start)
                and np.array_equal(ours.count, theirs.count)
            ):
                raise ValueError(
                    f"{name}: teacher_english is not index-aligned with captions['en']"
                )
        self._splits = splits
        self._frames: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._encoders: dict[str, Any] = {}
        self._frozen: dict[tuple, TextInputs] = {}
        self._features: dict[tuple, torch.Tensor] = {}  # (name, split, role, lang) -> (n, D)
        self._hf: dict[str, tuple[Any, Any]] = {}
        self._warned: set[str] = set()
        self._memo: dict[tuple, Any] = {}  # e.g. ("teacher", name, seed) -> TrainedTeacher

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        """``build()``'s value, made once per run for ``key`` (a trained teacher serves every
        student of the run)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def frames(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames (n_clips, T, D) and mask (n_clips, T) of ``split`` on the device (moved once)."""
        if split not in self._frames:
            self._frames[split] = split_tensors(
                self._splits[split], self.cfg.n_video_tokens, self.device
            )
        return self._frames[split]

    # encoders -----------------------------------------------------------------------------
    def encoder(self, name: str):
        """The frozen encoder registered as ``name`` (a TextEncoder), found once and loaded on its
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

    # text inputs ---------------------------------------------------------------------------
    def _tables(self, split: str, role: Role) -> tuple[dict[str, CaptionTable], Role]:
        """The caption tables ``role`` reads in ``split``, and the role they are cached under
        (teachers share the students' tables unless the dataset gives teachers their own
        English)."""
        tables = self.teacher_tables[split] if role == "teacher" else self.tables[split]
        return tables, ("teacher" if tables is not self.tables[split] else "student")

    def _read(
        self, split: str, role: Role, languages: tuple[str, ...] | None
    ) -> tuple[dict[str, CaptionTable], Role]:
        """:meth:`_tables`, cut to ``languages`` (None: all). A subset is read only when it gives
        every clip as many captions as all languages do: training samples a clip's caption
        index from its largest count over the tables it gets, and must sample as before."""
        tables, role = self._tables(split, role)
        if languages is None or set(languages) >= set(tables):
            return tables, role
        subset = {lang: t for lang, t in tables.items() if lang in languages}
        if not subset:
            raise ValueError(f"none of {languages} in {split}'s languages {tuple(tables)}")
        most = np.max(np.stack([t.count for t in tables.values()]), axis=0)
        if not np.array_equal(np.max(np.stack([t.count for t in subset.values()]), axis=0), most):
            return tables, role
        return subset, role

    def encoder_outputs(
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
        tables, role = self._read(split, role, languages)
        key = (name, split, role, tuple(tables))
        if key not in self._frozen:
            missing = [lang for lang in tables if (name, split, role, lang) not in self._features]
            if missing:
                self._encode_languages(name, split, role, {lang: tables[lang] for lang in missing})
            features = {lang: self._features[(name, split, role, lang)] for lang in tables}
            self._frozen[key] = FrozenTexts(tables, features, self.device)
        frozen = self._frozen[key]
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

    def release_encoders(self) -> None:
        """Free the frozen encoders' weights (their vectors are in memory and in the cache): on
        a GPU that is their gigabytes back before training starts. A later cache miss loads the
        model again."""
        for encoder in self._encoders.values():
            encoder.unload()

    def standardize(self, name: str, role: Role = "student") -> Standardize:
        """Fixed per-dimension statistics of encoder ``name``'s outputs on the English training
        captions ``role`` reads (see :class:`~.models.Standardize` for why)."""
        english = self.encoder_outputs(name, "train", role, ("en",)).features["en"].double()
        return Standardize(english.mean(0), english.std(0))

    def _hf_parts(self, name: str) -> tuple[Any, Any]:
        if name not in self._hf:
            from ..teachers import load_hf_parts

            self._hf[name] = load_hf_parts(
                name,
                local_dir=self.teacher_dirs.get(name),
                device=self.device,
                trust_remote_code=self.trust_remote_code,
            )
        return self._hf[name]

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
            return self.encoder_outputs(name, split, role, languages)
        tables, role = self._read(split, role, languages)
        limit = max_tokens or getattr(self.cfg.max_tokens, split)
        key = (name, split, role, "tokens", limit, tuple(tables))
        if key not in self._frozen:
            from ..teachers import get_spec

            tokenizer, _ = self._hf_parts(name)
            prompt = get_spec(name).apply_prompt
            self._frozen[key] = TokenizedTexts(tables, tokenizer, limit, prompt, self.device,
                                               pad_to=self.execution.pad_to)  # fmt: skip
        return self._frozen[key]

    # models --------------------------------------------------------------------------------
    def pooling(self, name: str) -> Pooling:
        """How a fine-tuned encoder is pooled: its spec's pooling, or masked mean for every
        model (``finetune_pooling = "mean"``: the original C2KD code, the paper presets)."""
        from ..teachers import get_spec

        return "mean" if self.cfg.finetune_pooling == "mean" else get_spec(name).pooling

    def new_model(self, name: str, seed: int, role: Role = "student") -> RetrievalModel:
        """A fresh model reading encoder ``name`` in ``role``; heads and video tower seeded with
        ``seed``."""
        cfg = self.cfg
        torch.manual_seed(seed)
        text: nn.Module
        if self.mode_of(name) == "full":
            _, hf_model = self._hf_parts(name)
            encoder = copy.deepcopy(hf_model)  # every model fine-tunes its own copy
            text = FineTunedTextTower(
                encoder,
                encoder.config.hidden_size,
                cfg.projection_dim,
                self.pooling(name),
                precision=self.precision,
            )
            if self.execution.compile:
                compile_encoder(encoder)
        else:
            standardize = self.standardize(name, role)
            torch.manual_seed(seed)  # the statistics are data: the weights' draws start here
            text = TextHead(self.encoder(name).dim, cfg.projection_dim, standardize)
        video = VideoTower(self.dataset.feature_dim, cfg.projection_dim, width=cfg.video_width)
        return RetrievalModel(text, video).to(self.device)

    def identity(self) -> dict[str, Any]:
        """The part of every checkpoint key that is common to the run: data and architecture."""
        cfg = self.cfg
        return {
            "dataset": self.fingerprint,
            "projection_dim": cfg.projection_dim,
            "video_width": cfg.video_width,
            "n_video_tokens": cfg.n_video_tokens,
            "max_tokens": cfg.max_tokens.model_dump(),
            "lr_decay": cfg.lr_decay,
            "batch_size": cfg.batch_size,
            "epochs": cfg.epochs,
            "lr": cfg.lr,
            "encoder_lr": cfg.encoder_lr,
            "precision": self.precision,
        }
