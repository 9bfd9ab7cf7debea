"""Data-parallel training on PyTorch's own engine: ``torchrun`` + ``DistributedDataParallel``.

Launch any run unchanged under torchrun (``python -m c2kd_analyze`` is the CLI)::

    torchrun --nproc_per_node 2 -m c2kd_analyze run --teachers muse,me5-small

How one step stays the single-process step at the same global batch B:

- every rank holds the whole dataset and the same seed, so all ranks draw the same global batch
  (clips (B,) and caption indices); rank r embeds only its contiguous slice
  ``clips[r*ceil(B/W) : (r+1)*ceil(B/W)]`` (:func:`local_slice`);
- the slices' video and text embeddings are gathered with autograd
  (``torch.distributed.nn.functional.all_gather``), back into the global (B, P) layout, so the
  in-batch negatives of every language's B x B matrix span all ranks;
- the teacher matrix T (B x B) is a lookup in the teachers' cached embeddings, which every rank
  holds, so each rank builds the global T from the global indices: what gathering the teacher
  rows would give, without the traffic;
- every rank then computes the same global loss L. all_gather's backward sums the W ranks'
  gradients into each slice's owner (W x dL/d slice); DDP averages parameter gradients over the
  W ranks (/ W): exactly dL/d theta of one process with the whole batch.

Rank 0 alone writes (run folder, checkpoints); the others wait at barriers. Decisions that read
the disk (which cells are pending, whether a checkpoint exists) are taken on rank 0 and
broadcast, so the ranks never disagree on which collectives come next. The backend is gloo
(``C2KD_DIST_BACKEND`` overrides it): the training code runs on the CPU.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UserError

if TYPE_CHECKING:
    import torch

    from .inputs import TextInputs
    from .models import RetrievalModel
    from .train import Recipe, TeacherTargets

log = logging.getLogger(__name__)

BACKEND_ENV = "C2KD_DIST_BACKEND"


def _dist():
    """torch.distributed when a process group is up, else None. Never imports torch: a group
    exists only if torch.distributed was imported, and a resumed run must stay light."""
    dist = sys.modules.get("torch.distributed")
    return dist if dist is not None and dist.is_available() and dist.is_initialized() else None


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside torchrun."""
    dist = _dist()
    return (dist.get_rank(), dist.get_world_size()) if dist else (0, 1)


def is_main() -> bool:
    """True on rank 0 (and in a single process): the one process that writes.

    Outside an initialised group it reads torchrun's ``RANK``, so it still answers after the
    group is gone (the CLI prints the table on rank 0 only).
    """
    dist = _dist()
    return dist.get_rank() == 0 if dist else os.environ.get("RANK", "0") == "0"


def init_from_env() -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1 in the environment).

    Returns True when this call created the group (the caller then destroys it at the end).
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or _dist() is not None:
        return False
    import torch.distributed as dist

    backend = os.environ.get(BACKEND_ENV, "gloo")
    dist.init_process_group(backend=backend)
    log.info("rank %d of %d joined (%s)", dist.get_rank(), dist.get_world_size(), backend)
    return True


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Initialise from torchrun's environment for the block; tear down what it created."""
    created = init_from_env()
    try:
        yield
    finally:
        if created:
            import torch.distributed as dist

            dist.destroy_process_group()


def barrier() -> None:
    dist = _dist()
    if dist:
        dist.barrier()


def agree(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (a picklable object); ``value`` itself in one process."""
    dist = _dist()
    if not dist:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (e.g. fills a cache), then the others run it (reading it)."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


@contextlib.contextmanager
def main_lock(path: Path) -> Iterator[None]:
    """An inter-process file lock held by rank 0 only (other ranks follow rank 0 by
    :func:`agree`; if they also waited on the lock, a rank holding it would wait for them)."""
    if not is_main():
        yield
        return
    from filelock import FileLock

    lock = FileLock(str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as exc:  # read-only, below a regular file, no space: a user's folder problem
        raise UserError(
            f"cannot write {path.parent}: {exc.strerror or exc}; choose a folder you can write to"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def local_slice(n: int, rank: int, world: int) -> slice:
    """Rank ``rank``'s contiguous share of a global batch of ``n``: ceil(n / world) items
    (the last ranks may get fewer, or none)."""
    chunk = -(-n // world)
    return slice(min(rank * chunk, n), min((rank + 1) * chunk, n))


def gather_rows(x: torch.Tensor, n: int) -> torch.Tensor:
    """Concatenate every rank's (n_r, P) slice into (n, P), differentiably.

    Slices are padded to ceil(n / world) rows because all_gather needs equal shapes.
    """
    import torch
    from torch.distributed.nn.functional import all_gather

    _, world = rank_and_world()
    chunk = -(-n // world)
    padded = (
        torch.cat([x, x.new_zeros(chunk - x.shape[0], *x.shape[1:])]) if x.shape[0] < chunk else x
    )
    return torch.cat(all_gather(padded))[:n]


class _BatchEncoder:
    """Factory for the DDP-wrapped module (kept lazy: torch only when training)."""

    @staticmethod
    def build(model: RetrievalModel):
        from torch import nn

        from .train import embed_batch

        class BatchEncoder(nn.Module):
            """forward = :func:`~c2kd_analyze.distill.train.embed_batch`; DDP syncs its grads."""

            def __init__(self, inner: RetrievalModel) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, texts, frames, mask, clips, cap_idx, languages):
                emb = embed_batch(self.inner, texts, frames, mask, clips, cap_idx, languages)
                return emb.video, emb.text

        return BatchEncoder(model)


class DataParallel:
    """A model's data-parallel training step (see the module docstring)."""

    def __init__(self, model: RetrievalModel) -> None:
        from torch.nn.parallel import DistributedDataParallel

        self.rank, self.world = rank_and_world()
        # unused parameters exist (a masking token used only for clips without frames, an HF
        # model's pooler), so DDP must look for them every step
        self.ddp = DistributedDataParallel(_BatchEncoder.build(model), find_unused_parameters=True)

    def batch_loss(
        self,
        texts: TextInputs,
        frames: torch.Tensor,
        mask: torch.Tensor,
        clips: np.ndarray,
        cap_idx: np.ndarray,
        recipe: Recipe,
        targets: TeacherTargets | None,
    ) -> torch.Tensor:
        """The global batch's loss (the same on every rank); this rank embeds only its slice."""
        import torch

        from .train import BatchEmbeddings, stage_loss

        n = len(clips)
        valid = {lang: texts.tables[lang].rows(clips, cap_idx)[1] for lang in recipe.languages}
        if all(v.sum() < 2 for v in valid.values()):
            # no language has an in-batch negative: as in one process, no loss and no step;
            # decided from the global batch, so every rank skips the forward alike
            return torch.zeros(())
        part = local_slice(n, self.rank, self.world)
        video, text = self.ddp(texts, frames, mask, clips[part], cap_idx[part], recipe.languages)
        emb = BatchEmbeddings(
            gather_rows(video, n), {lang: gather_rows(t, n) for lang, t in text.items()}, valid
        )
        return stage_loss(emb, texts, clips, cap_idx, recipe, targets)


def data_parallel(model: RetrievalModel) -> DataParallel | None:
    """The data-parallel step for ``model`` under torchrun, or None in a single process."""
    _, world = rank_and_world()
    return DataParallel(model) if world > 1 else None
