"""One training loop for every stage: teacher, zero-shot, translate-train and C2KD students.

The stages differ only in the languages that carry a loss and in whether a teacher is present
(reference section 3.2, clean form):

- teacher / translate-train: ``sum over languages of NCE(S_l)``;
- zero-shot: ``NCE(S_en)``;
- C2KD: ``sum over languages of balance * NCE(S_l) + (1 - balance) * KD(S_l, T)``, where T is the
  frozen teachers' pooled English similarity matrix, read from their cached embeddings.

Adam, ExponentialLR(gamma=lr_decay) stepped per epoch, shuffled batches with the last partial one
dropped, no gradient clipping, no model selection: the final epoch is what gets evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from ..numerics import check_loss, check_weights
from .captions import epoch_batches, sample_caption_indices
from .inputs import TextInputs
from .losses import c2kd_kd_loss, cosine_sims, nce_loss, pool_teacher_sims
from .models import RetrievalModel


@dataclass(frozen=True)
class Recipe:
    """How one model is trained. ``balance`` and ``distill_temp`` matter only with a teacher."""

    languages: tuple[str, ...]  # languages whose captions carry a loss
    epochs: int
    lr: float
    lr_decay: float
    batch_size: int
    temperature: float  # NCE temperature
    seed: int  # data order and caption sampling (weights are seeded by the caller)
    balance: float = 1.0
    distill_temp: float = 0.1
    encoder_lr: float | None = None  # lr of a fine-tuned text encoder (--mode full); None = lr


@dataclass(frozen=True)
class TeacherTargets:
    """Frozen teachers' cached train-split embeddings, L2-normalised.

    ``text_en[k]``: (n_en_captions, P_k), rows of the English caption table; ``video[k]``:
    (n_clips, P_k). A batch's teacher matrix is ``T_k = text_en[k][rows] @ video[k][clips].T``
    (cosine, B x B), pooled element-wise over k with ``pool``.
    """

    text_en: tuple[torch.Tensor, ...]
    video: tuple[torch.Tensor, ...]
    pool: str = "mean"

    def sims(self, en_rows: np.ndarray, clips: np.ndarray) -> torch.Tensor:
        r, c = torch.from_numpy(en_rows), torch.from_numpy(clips)
        per_teacher = [t[r] @ v[c].T for t, v in zip(self.text_en, self.video, strict=True)]
        if len(per_teacher) == 1:
            return per_teacher[0]
        return pool_teacher_sims(per_teacher, self.pool)


@dataclass(frozen=True)
class Step:
    """One optimisation step, as recorded in history.parquet."""

    epoch: int
    step: int
    loss: float
    lr: float


@dataclass(frozen=True)
class BatchEmbeddings:
    """Student embeddings of one batch of B clips.

    ``video``: (B, P); ``text[lang]``: (B, P), zero rows where ``valid[lang]`` (B,) is False
    (the clip lacks that language's caption). Rows line up, so a data-parallel rank can embed a
    slice of the batch and gather the slices back into this same layout.
    """

    video: torch.Tensor
    text: dict[str, torch.Tensor]
    valid: dict[str, np.ndarray]


def embed_batch(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    languages: tuple[str, ...],
) -> BatchEmbeddings:
    """Embed clips (B,) and their captions ``cap_idx`` (B,) in every language, with gradients."""
    video = model.encode_video(frames[clips], mask[clips])  # (B, P)
    text, valid = {}, {}
    for lang in languages:
        rows, ok = texts.tables[lang].rows(clips, cap_idx)
        out = video.new_zeros(len(clips), video.shape[1])
        if ok.any():
            where = torch.from_numpy(np.flatnonzero(ok))
            out = out.index_copy(0, where, model.encode_text(texts.inputs(lang, rows[ok])))
        text[lang], valid[lang] = out, ok
    return BatchEmbeddings(video, text, valid)


def batch_teacher(
    texts: TextInputs, clips: np.ndarray, cap_idx: np.ndarray, targets: TeacherTargets
) -> tuple[torch.Tensor, np.ndarray]:
    """The pooled teacher matrix (B, B) of a batch, and which clips have an English caption (B,)."""
    en_rows, en_valid = texts.tables["en"].rows(clips, cap_idx)
    return targets.sims(en_rows, clips), en_valid  # rows of clips without English unused


def embeddings_loss(
    emb: BatchEmbeddings,
    recipe: Recipe,
    teacher: torch.Tensor | None = None,
    en_valid: np.ndarray | None = None,
) -> torch.Tensor:
    """The stage's loss from a batch's embeddings (and teacher matrix (B, B)): a scalar.

    A clip lacking a language's caption is left out of that language's matrix; the KD term also
    needs the clip's English caption (the teacher's input).
    """
    total = emb.video.new_zeros(())
    for lang in recipe.languages:
        valid = emb.valid[lang]
        if valid.sum() < 2:  # no in-batch negative: nothing to learn from this language here
            continue
        keep = torch.from_numpy(np.flatnonzero(valid))
        sims = cosine_sims(emb.text[lang][keep], emb.video[keep])
        nce = nce_loss(sims, recipe.temperature)
        if teacher is None:
            total = total + nce
            continue
        both = np.flatnonzero(en_valid[valid])  # positions within the kept clips
        kd = emb.video.new_zeros(())
        if both.size >= 2:
            sub = torch.from_numpy(both)
            t_sub = teacher[keep[sub]][:, keep[sub]]
            kd = c2kd_kd_loss(sims[sub][:, sub], t_sub, recipe.distill_temp)
        total = total + recipe.balance * nce + (1 - recipe.balance) * kd
    return total


def batch_loss(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    recipe: Recipe,
    targets: TeacherTargets | None,
) -> torch.Tensor:
    """The stage's loss on one batch of clips (B,) with caption indices (B,): a scalar."""
    emb = embed_batch(model, texts, frames, mask, clips, cap_idx, recipe.languages)
    return stage_loss(emb, texts, clips, cap_idx, recipe, targets)


def stage_loss(
    emb: BatchEmbeddings,
    texts: TextInputs,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    recipe: Recipe,
    targets: TeacherTargets | None,
) -> torch.Tensor:
    """The stage's loss from a batch's embeddings: NCE only, or NCE + KD when teachers are given.

    Shared by the single-process step and the data-parallel step (distributed.py).
    """
    if targets is None:
        return embeddings_loss(emb, recipe)
    return embeddings_loss(emb, recipe, *batch_teacher(texts, clips, cap_idx, targets))


def param_groups(model: RetrievalModel, recipe: Recipe) -> list[dict]:
    """Adam parameter groups: everything at ``lr``, except a fine-tuned text encoder at
    ``encoder_lr`` when set (a pretrained transformer collapses at the heads' lr of 1e-3)."""
    encoder = getattr(model.text, "encoder", None)
    tuned = [p for p in encoder.parameters() if p.requires_grad] if encoder is not None else []
    if recipe.encoder_lr is None or not tuned:
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": recipe.lr}]
    ids = {id(p) for p in tuned}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    return [{"params": rest, "lr": recipe.lr}, {"params": tuned, "lr": recipe.encoder_lr}]


def train_model(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    recipe: Recipe,
    targets: TeacherTargets | None = None,
    on_step: Callable[[Step, int], None] | None = None,
) -> list[Step]:
    """Train ``model`` in place on the split whose frames (n, T, D) / mask (n, T) are given.

    ``on_step(step, total_steps)`` is called after every step (progress bars). Returns the history.
    """
    from .distributed import data_parallel

    # under torchrun each rank embeds its slice of every global batch (None in one process)
    parallel = data_parallel(model)
    optimizer = torch.optim.Adam(param_groups(model, recipe), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=recipe.lr_decay)
    rng = np.random.default_rng(recipe.seed)
    n_clips = frames.shape[0]
    total_steps = recipe.epochs * (n_clips // min(recipe.batch_size, n_clips))
    history: list[Step] = []
    model.train()
    for epoch in range(recipe.epochs):
        cap_idx = sample_caption_indices(texts.tables, rng)
        for clips in epoch_batches(n_clips, recipe.batch_size, rng):
            loss = (parallel.batch_loss if parallel else partial(batch_loss, model))(
                texts, frames, mask, clips, cap_idx[clips], recipe, targets
            )
            # a NaN/inf loss stops here, before it can poison the weights or a results table
            value = check_loss(float(loss.detach()), epoch=epoch, step=len(history),
                               lr=recipe.lr, temperature=recipe.temperature)  # fmt: skip
            optimizer.zero_grad(set_to_none=True)
            if loss.requires_grad:  # False only when no language had two captions in the batch
                loss.backward()
                optimizer.step()
            step = Step(epoch, len(history), value, scheduler.get_last_lr()[0])
            history.append(step)
            if on_step is not None:
                on_step(step, total_steps)
        scheduler.step()
    check_weights(model, lr=recipe.lr, temperature=recipe.temperature)  # the last step's update
    model.eval()
    return history
