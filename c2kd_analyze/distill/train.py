"""One training loop for every stage: teacher, zero-shot, translate-train and C2KD students.

The stages differ only in the languages that carry a loss and in whether a teacher is present
(the original code's losses, in their clean form: one NCE per language):

- teacher / translate-train: ``sum over languages of NCE(S_l)``;
- zero-shot: ``NCE(S_en)``;
- C2KD: ``sum over languages of balance * NCE(S_l) + (1 - balance) * KD(S_l, T)``, where T is the
  frozen teachers' pooled English similarity matrix, read from their cached embeddings.

Adam, its lr multiplied by ``lr_decay`` after every epoch (ExponentialLR), shuffled batches with
the last partial one dropped, no gradient clipping. The final epoch is what gets evaluated, unless
the run validates (``on_epoch``: :class:`~.validation.Validator`, called after every epoch) and
selects the best validation epoch (``--select-on-val``).

One step (:func:`step_loss`): the batch is planned on the host and its indices reach the device
in one copy (:mod:`.step_batch`); the text tower runs **once** over the captions of every
language, the video tower once; the losses of all languages are computed together on masked
(L, B, B) stacks (:mod:`.language_losses`), the same numbers as language by language.

On any device: the model, frames, text inputs and teacher embeddings live on one device.
Encoders run under the recipe's autocast (bf16/fp16); similarities and losses are computed in
fp32. The step never waits for the device: losses stay on it and are checked for NaN/inf every
:data:`LOSS_CHECK_EVERY` steps (and at the end), where the error still names the first bad step.
One process and torchrun's many share the step: the rank embeds its slice,
:func:`~.distributed.gather_rows` beside the loss rebuilds the global batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..devices import Precision, autocast, grad_scaler
from ..numerics import check_loss, check_weights
from .captions import epoch_batches, sample_caption_indices
from .distributed import gather_rows, local_slice, rank_and_world, wrap
from .inputs import TextInputs, device_index
from .language_losses import stage_loss
from .losses import Pool, pool_teacher_sims
from .models import RetrievalModel
from .step_batch import BatchEncoder, plan_batch

__all__ = [
    "BatchEncoder",
    "Step",
    "TeacherTargets",
    "TrainRecipe",
    "batch_loss",
    "step_loss",
    "train_model",
    "train_step",
]  # fmt: skip

#: steps between two loss checks (each one copies the pending losses to the host)
LOSS_CHECK_EVERY = 25


@dataclass(frozen=True)
class TrainRecipe:
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
    precision: Precision = "fp32"  # autocast of the encoders' forward passes


@dataclass(frozen=True)
class TeacherTargets:
    """Frozen teachers' cached train-split embeddings, L2-normalised, on the training device.

    ``text_en[k]``: (n_en_captions, P_k), rows of the English caption table; ``video[k]``:
    (n_clips, P_k). A batch's teacher matrix is ``T_k = text_en[k][rows] @ video[k][clips].T``
    (cosine, B x B), pooled element-wise over k with ``pool``.
    """

    text_en: tuple[torch.Tensor, ...]
    video: tuple[torch.Tensor, ...]
    pool: Pool = "mean"
    # (n_en_captions,) host bool: the teachers' English caption of that row is not empty (an
    # empty one gives no target); None: every row is usable
    en_ok: np.ndarray | None = None

    def sims(self, en_rows: np.ndarray, clips: np.ndarray) -> torch.Tensor:
        """The pooled teacher matrix (B, B) of host rows (B,) and clips (B,)."""
        device = self.video[0].device
        return self.sims_at(device_index(en_rows, device), device_index(clips, device))

    def sims_at(self, en_rows: torch.Tensor, clips: torch.Tensor) -> torch.Tensor:
        """The pooled teacher matrix (B, B) of rows and clips (B,) already on the device."""
        per_teacher = [
            t[en_rows].float() @ v[clips].float().T
            for t, v in zip(self.text_en, self.video, strict=True)
        ]
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


def batch_teacher(
    texts: TextInputs, clips: np.ndarray, cap_idx: np.ndarray, targets: TeacherTargets
) -> tuple[torch.Tensor, np.ndarray]:
    """The pooled teacher matrix (B, B) of a batch, and which clips have an English caption (B,)."""
    en_rows, en_valid = texts.tables["en"].rows(clips, cap_idx)
    if targets.en_ok is not None:
        en_valid = en_valid & targets.en_ok[en_rows]
    return targets.sims(en_rows, clips), en_valid  # rows of clips without English unused


def step_loss(
    encoder: nn.Module,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    recipe: TrainRecipe,
    targets: TeacherTargets | None,
) -> torch.Tensor | None:
    """The loss of one global batch of clips (B,) with caption indices (B,), or None when no
    language has two captions in it (then nobody steps).

    ``encoder`` is a :class:`~.step_batch.BatchEncoder` (wrapped in DDP under torchrun): this
    rank embeds its slice of the batch under autocast, one text forward for every language;
    :func:`gather_rows` rebuilds the global batch (the identity in one process), and the loss is
    computed in fp32 on the global batch, for every language at once, the same number on every
    rank. The batch's indices reach the device in one copy; nothing is read back.
    """
    teacher = targets is not None
    en_ok = targets.en_ok if targets is not None else None
    plan = plan_batch(texts, clips, cap_idx, recipe.languages, teacher, en_ok)
    if plan is None:
        return None
    n = len(clips)
    rank, world = rank_and_world()
    batch = plan.to_device(texts, local_slice(n, rank, world), frames.device)
    with autocast(frames.device, recipe.precision):
        video, text = encoder(texts, frames, mask, batch)
    video = gather_rows(video.float(), n)  # (B, P)
    text = gather_rows(text.float(), n).transpose(0, 1)  # (L, B, P)
    if targets is None:
        return stage_loss(text, video, batch.valid, recipe.temperature)
    t = targets.sims_at(batch.en_rows, batch.clips)
    return stage_loss(text, video, batch.valid, recipe.temperature, t, batch.kd_ok,
                      recipe.balance, recipe.distill_temp)  # fmt: skip


def batch_loss(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    recipe: TrainRecipe,
    targets: TeacherTargets | None,
) -> torch.Tensor:
    """:func:`step_loss` of ``model`` on one batch, in one process (a loss value, e.g. for tests
    and benchmarks; training goes through :func:`train_model`); 0 when no language has two
    captions."""
    loss = step_loss(BatchEncoder(model), texts, frames, mask, clips, cap_idx, recipe, targets)
    return frames.new_zeros((), dtype=torch.float32) if loss is None else loss


def param_groups(model: RetrievalModel, recipe: TrainRecipe) -> list[dict]:
    """Adam parameter groups: everything at ``lr``, except a fine-tuned text encoder at
    ``encoder_lr`` when set (a pretrained transformer collapses at the heads' lr of 1e-3)."""
    encoder = getattr(model.text, "encoder", None)
    tuned = [p for p in encoder.parameters() if p.requires_grad] if encoder is not None else []
    if recipe.encoder_lr is None or not tuned:
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": recipe.lr}]
    ids = {id(p) for p in tuned}
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    return [{"params": rest, "lr": recipe.lr}, {"params": tuned, "lr": recipe.encoder_lr}]


#: devices with torch's fused Adam kernel (one kernel per step; measured on a 2-core CPU for
#: the frozen demo model: 1.0 ms per step vs 3.1 ms multi-tensor and 6.6 ms per-parameter)
FUSED_ADAM = frozenset({"cuda", "cpu"})


def make_optimizer(model: RetrievalModel, recipe: TrainRecipe, device: torch.device):
    """Adam over :func:`param_groups`: torch's fused kernel on CUDA and the CPU, multi-tensor
    (``foreach``) elsewhere, instead of a loop of small kernels per parameter."""
    fused = device.type in FUSED_ADAM
    return torch.optim.Adam(param_groups(model, recipe), lr=recipe.lr, fused=fused or None,
                            foreach=None if fused else True)  # fmt: skip


def train_step(
    encoder: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    clips: np.ndarray,
    cap_idx: np.ndarray,
    recipe: TrainRecipe,
    targets: TeacherTargets | None,
) -> torch.Tensor:
    """One optimisation step on a global batch (forward, loss, backward, scaled Adam step):
    nanoGPT's loop body. Returns the loss, detached, on the device (0 when no language had two
    captions in the batch, and then no step is taken)."""
    loss = step_loss(encoder, texts, frames, mask, clips, cap_idx, recipe, targets)
    optimizer.zero_grad(set_to_none=True)
    if loss is None:  # nothing to learn from this batch
        return frames.new_zeros((), dtype=torch.float32)
    if loss.requires_grad:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.detach()


class LossLog:
    """Losses of the steps taken, kept on the device and copied to the host in chunks.

    :meth:`flush` copies the pending losses at once (one host sync), checks each for NaN/inf
    (naming the first bad step), appends them to the history and reports them to ``on_step``.
    """

    def __init__(
        self, recipe: TrainRecipe, total_steps: int, on_step: Callable[[Step, int], None] | None
    ) -> None:
        self.recipe, self.total_steps, self.on_step = recipe, total_steps, on_step
        self.history: list[Step] = []
        self._pending: list[tuple[int, float, torch.Tensor]] = []  # epoch, lr, loss (device)

    def add(self, epoch: int, lr: float, loss: torch.Tensor) -> None:
        """Record one step's loss (a device tensor: nothing is copied to the host here)."""
        self._pending.append((epoch, lr, loss))
        if len(self._pending) >= LOSS_CHECK_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        values = torch.stack([loss for _, _, loss in self._pending]).double().cpu().tolist()
        for (epoch, lr, _), value in zip(self._pending, values, strict=True):
            # a NaN/inf loss stops here, before a checkpoint or a results table is written
            check_loss(value, epoch=epoch, step=len(self.history), lr=self.recipe.lr,
                       temperature=self.recipe.temperature)  # fmt: skip
            step = Step(epoch, len(self.history), value, lr)
            self.history.append(step)
            if self.on_step is not None:
                self.on_step(step, self.total_steps)
        self._pending = []


def train_model(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    recipe: TrainRecipe,
    targets: TeacherTargets | None = None,
    on_step: Callable[[Step, int], None] | None = None,
    on_epoch: Callable[[int, RetrievalModel], None] | None = None,
) -> list[Step]:
    """Train ``model`` in place on the split whose frames (n, T, D) / mask (n, T) are given; the
    model, frames, texts and targets live on one device.

    ``on_step(step, total_steps)`` is called for every step, in chunks (progress bars);
    ``on_epoch(epochs_done, model)`` after every epoch, with the model in eval mode (validation).
    Returns the history.
    """
    encoder = wrap(BatchEncoder(model), frames.device)  # DDP under torchrun
    optimizer = make_optimizer(model, recipe, frames.device)
    scaler = grad_scaler(frames.device, recipe.precision)  # enabled for fp16 only
    rng = np.random.default_rng(recipe.seed)
    n_clips = frames.shape[0]
    log = LossLog(recipe, recipe.epochs * (n_clips // min(recipe.batch_size, n_clips)), on_step)
    model.train()
    for epoch in range(recipe.epochs):
        cap_idx = sample_caption_indices(texts.tables, rng)
        lr = float(optimizer.param_groups[0]["lr"])
        for clips in epoch_batches(n_clips, recipe.batch_size, rng):
            batch = (texts, frames, mask, clips, cap_idx[clips], recipe, targets)
            log.add(epoch, lr, train_step(encoder, optimizer, scaler, *batch))
        decay_lr(optimizer, recipe.lr_decay)
        if on_epoch is not None:
            log.flush()  # a diverged epoch stops before it is validated
            model.eval()
            on_epoch(epoch + 1, model)
            model.train()
    log.flush()
    check_weights(model, lr=recipe.lr, temperature=recipe.temperature)  # the last step's update
    model.eval()
    return log.history


def decay_lr(optimizer: torch.optim.Optimizer, gamma: float) -> None:
    """Multiply every group's lr by ``gamma``: ``ExponentialLR.step()``'s arithmetic, by hand,
    because the scheduler warns when fp16's gradient scaler skipped the epoch's first step."""
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * gamma
