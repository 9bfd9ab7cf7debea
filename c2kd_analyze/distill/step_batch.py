"""One training step's batch: chosen on the host, sent to the device once, embedded in one pass.

A global batch is B clips and, per language l of L, each clip's caption ``cap_idx`` in that
language (absent or empty captions are masked, never filled). :func:`plan_batch` decides
everything on the host from numpy tables: which caption rows exist, which clips carry a KD
target, how many tokens wide the batch is. :meth:`BatchPlan.to_device` packs every index a
rank's slice needs into one int64 array and copies it to the device at once (from pinned memory
on a GPU, asynchronously), so a step asks the device for nothing and waits for nothing.

:class:`BatchEncoder` then runs the video tower once over the rank's clips and the text tower
**once over the captions of every language** (N <= L * B_r rows, one forward, one embedding
backward per table), and lays the text embeddings out as (B_r, L, P), zeros where a clip lacks a
language: the clip-major layout that :func:`~.distributed.gather_rows` can stitch across ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .inputs import TextInputs

if TYPE_CHECKING:
    from .models import RetrievalModel


@dataclass(frozen=True)
class BatchPlan:
    """A global batch decided on the host.

    ``clips`` (B,); ``rows`` (L, B) stacked-table rows of each clip's caption per language and
    ``valid`` (L, B) whether it exists; ``en_rows`` (B,) the teachers' English rows and
    ``kd_ok`` (L, B) where a KD target applies (the caption and a usable teacher English
    caption), both None without teachers.
    """

    clips: np.ndarray
    rows: np.ndarray
    valid: np.ndarray
    en_rows: np.ndarray | None = None
    kd_ok: np.ndarray | None = None

    @property
    def n_languages(self) -> int:
        return int(self.valid.shape[0])

    def to_device(self, texts: TextInputs, part: slice, device: torch.device) -> DeviceBatch:
        """The batch on ``device`` for the rank embedding clips ``part`` of it (one copy)."""
        n, n_lang = len(self.clips), self.n_languages
        local = self.clips[part]
        # this rank's captions, clip-major: slot b * L + l holds clip b's caption in language l
        sel = self.valid[:, part].T  # (B_r, L)
        rows = self.rows[:, part].T[sel]
        slots = np.flatnonzero(sel)
        dense = bool(sel.all())
        dummy = rows.size == 0  # no caption on this rank: one row keeps the tower in the graph
        if dummy:
            rows = self.rows[:, :1].reshape(-1)[:1]
        kd_ok = self.kd_ok if self.kd_ok is not None else np.zeros_like(self.valid)
        en_rows = self.en_rows if self.en_rows is not None else np.zeros(n, np.int64)
        parts = (local, rows, slots, self.valid.reshape(-1), kd_ok.reshape(-1), en_rows, self.clips)
        sizes = [p.size for p in parts]
        packed = torch.from_numpy(np.concatenate([np.asarray(p, np.int64).reshape(-1)
                                                  for p in parts]))  # fmt: skip
        if device.type == "cuda":
            packed = packed.pin_memory().to(device, non_blocking=True)
        elif device.type != "cpu":
            packed = packed.to(device)
        local_d, rows_d, slots_d, valid_d, kd_d, en_d, clips_d = torch.split(packed, sizes)
        return DeviceBatch(
            n=n, n_local=len(local), n_languages=n_lang, width=texts.width(rows),
            dense=dense, dummy=dummy, local_clips=local_d, text_rows=rows_d, slots=slots_d,
            valid=valid_d.view(n_lang, n).bool(), kd_ok=kd_d.view(n_lang, n).bool(),
            en_rows=en_d, clips=clips_d, teacher=self.kd_ok is not None,
        )  # fmt: skip


@dataclass(frozen=True)
class DeviceBatch:
    """A :class:`BatchPlan` on the device for one rank (shapes and flags known on the host).

    ``local_clips`` (B_r,) the rank's clips; ``text_rows`` (N,) their captions' stacked rows and
    ``slots`` (N,) where each lands in the (B_r * L) clip-major layout (``dense``: all B_r * L
    exist, in order); ``valid`` / ``kd_ok`` (L, B) bool and ``en_rows`` / ``clips`` (B,) cover
    the global batch (the loss is computed on it).
    """

    n: int
    n_local: int
    n_languages: int
    width: int  # token width of the text batch (0: frozen features)
    dense: bool
    dummy: bool  # text_rows is one stand-in row whose embedding is multiplied by zero
    local_clips: torch.Tensor
    text_rows: torch.Tensor
    slots: torch.Tensor
    valid: torch.Tensor
    kd_ok: torch.Tensor
    en_rows: torch.Tensor
    clips: torch.Tensor
    teacher: bool  # kd_ok / en_rows are meaningful


def plan_batch(
    texts: TextInputs,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    languages: tuple[str, ...],
    teacher: bool = False,
    en_ok: np.ndarray | None = None,
) -> BatchPlan | None:
    """The host-side plan of a global batch of clips (B,) with caption indices (B,), or None
    when no language has two captions in it (nothing to learn: nobody steps).

    With a ``teacher``, KD targets need the clip's English caption and, where ``en_ok``
    (n_en_rows,) is given, a non-empty teacher English caption in that row.
    """
    rows = np.empty((len(languages), len(clips)), np.int64)
    valid = np.empty((len(languages), len(clips)), bool)
    for i, lang in enumerate(languages):
        r, ok = texts.tables[lang].rows(clips, cap_idx)
        rows[i], valid[i] = r + texts.offsets[lang], ok
    if not (valid.sum(axis=1) >= 2).any():  # decided on the host from the global batch
        return None
    if not teacher:
        return BatchPlan(clips, rows, valid)
    en_rows, en_valid = texts.tables["en"].rows(clips, cap_idx)
    if en_ok is not None:
        en_valid = en_valid & en_ok[en_rows]
    return BatchPlan(clips, rows, valid, en_rows, valid & en_valid[None, :])


class BatchEncoder(nn.Module):
    """Embeds a rank's slice of a batch: video (B_r, P) and text (B_r, L, P) in one forward each.

    The module DDP wraps under torchrun; ``forward(texts, frames, mask, batch)``.
    """

    def __init__(self, model: RetrievalModel) -> None:
        super().__init__()
        self.inner = model

    def forward(
        self, texts: TextInputs, frames: torch.Tensor, mask: torch.Tensor, batch: DeviceBatch
    ) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.inner
        video = model.encode_video(frames[batch.local_clips], mask[batch.local_clips])
        encoded = model.encode_text(texts.gather(batch.text_rows, batch.width))  # (N, P)
        shape = (batch.n_local, batch.n_languages, encoded.shape[1])
        if batch.dummy:
            return video, encoded.new_zeros(shape) + 0 * encoded.sum()
        if batch.dense:
            return video, encoded.view(shape)
        out = encoded.new_zeros(shape[0] * shape[1], shape[2])
        return video, out.index_copy(0, batch.slots, encoded).view(shape)
