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

One process and many share one step (:func:`~c2kd_analyze.distill.train.step_loss`): the model
embeds the rank's slice (the whole batch in one process), :func:`gather_rows` sits beside the loss
(the identity in one process, as open_clip gathers features in its loss), and the loss is the
same function of the global batch. This module imports nothing of the training code.

Rank 0 alone writes (run folder, checkpoints); the others wait at barriers. Decisions that read
the disk (which cells are pending, whether a checkpoint exists) are taken on rank 0 and
broadcast, so the ranks never disagree on which collectives come next. Each rank computes on its
own device (``cuda:LOCAL_RANK`` on GPUs; ``--device cuda:N`` would put every rank on one GPU and
is refused); the backend is NCCL on CUDA and gloo on the CPU (``C2KD_DIST_BACKEND`` overrides
it).

The longest wait is the first one: the other ranks wait at a barrier while rank 0 encodes every
caption into the shared cache (hours for a large frozen sweep on a slow device). The group's
timeout is therefore :data:`DEFAULT_TIMEOUT_MIN` minutes (``C2KD_DIST_TIMEOUT`` in minutes
overrides it), far longer than that encoding; a rank that fails does not leave the others
waiting for it, as torchrun stops them all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

BACKEND_ENV = "C2KD_DIST_BACKEND"
TIMEOUT_ENV = "C2KD_DIST_TIMEOUT"
#: the process group's timeout: longer than rank 0's first encoding, which the others wait for
DEFAULT_TIMEOUT_MIN = 24 * 60
_CUDA_N = re.compile(r"cuda:\d+")


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


def backend_for(device: torch.device) -> str:
    """NCCL for CUDA devices, gloo otherwise; ``$C2KD_DIST_BACKEND`` wins."""
    return os.environ.get(BACKEND_ENV) or ("nccl" if device.type == "cuda" else "gloo")


def _world_from_env() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


class EveryRankError(UserError):
    """A mistake every rank finds alike, from the same command line: only rank 0 prints it."""


def check_rank_device(device_spec: str) -> None:
    """Refuse ``--device cuda:N`` under torchrun (every rank would compute on that one GPU):
    one line (from rank 0), before anything is written."""
    spec = str(device_spec).strip().lower()
    if _world_from_env() > 1 and _CUDA_N.fullmatch(spec):
        raise EveryRankError(
            f"--device {spec} under torchrun would put all {_world_from_env()} ranks on one GPU; "
            "use --device cuda or auto (each rank takes cuda:LOCAL_RANK) and choose the GPUs "
            "with CUDA_VISIBLE_DEVICES"
        )


def group_timeout() -> timedelta:
    """The process group's timeout: ``$C2KD_DIST_TIMEOUT`` minutes, else
    :data:`DEFAULT_TIMEOUT_MIN`."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        minutes = float(value) if value else DEFAULT_TIMEOUT_MIN
    except ValueError:
        raise UserError(f"{TIMEOUT_ENV}={value!r}: give the timeout in minutes") from None
    if not minutes > 0:
        raise UserError(f"{TIMEOUT_ENV}={value!r}: give a positive number of minutes")
    return timedelta(minutes=minutes)


def init_from_env(device: torch.device) -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1 in the environment), with
    this rank computing on ``device``.

    Returns True when this call created the group (the caller then destroys it at the end).
    """
    if _world_from_env() <= 1 or _dist() is not None:
        return False
    import torch
    import torch.distributed as dist

    backend = backend_for(device)
    timeout = group_timeout()
    if device.type == "cuda":
        torch.cuda.set_device(device)  # NCCL's collectives run on the current device
        # bound to its GPU from the start: NCCL connects eagerly, no guessing of the device
        dist.init_process_group(backend=backend, device_id=device, timeout=timeout)
    else:
        dist.init_process_group(backend=backend, timeout=timeout)
    log.info(
        "rank %d of %d joined (%s, %s)", dist.get_rank(), dist.get_world_size(), backend, device
    )
    return True


@contextlib.contextmanager
def session(device_spec: str = "auto") -> Iterator[None]:
    """Initialise from torchrun's environment for the block (this rank on the device
    ``device_spec`` resolves to: ``cuda:LOCAL_RANK`` for ``auto`` on GPUs); tear down what it
    created. Outside torchrun nothing happens (and torch is not imported)."""
    created = False
    if _world_from_env() > 1:
        from ..devices import resolve_device

        check_rank_device(device_spec)
        created = init_from_env(resolve_device(device_spec))
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
    """Every rank's (n_r, ...) slice of a global batch of ``n`` as one (n, ...) tensor,
    differentiably; ``x`` itself in one process.

    Slices are padded to ceil(n / world) rows because all_gather needs equal shapes.
    """
    _, world = rank_and_world()
    if world == 1:
        return x
    import torch
    from torch.distributed.nn.functional import all_gather

    chunk = -(-n // world)
    padded = (
        torch.cat([x, x.new_zeros(chunk - x.shape[0], *x.shape[1:])]) if x.shape[0] < chunk else x
    )
    return torch.cat(all_gather(padded))[:n]


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` under DistributedDataParallel when several ranks train it, else itself.

    Every trainable parameter takes part in every step (a clip without frames reads the
    masking token through a branch-free ``where``; a pooler nothing reads is frozen and not
    run), so DDP need not search the graph for unused ones each step. Buffers are constants
    (standardisation statistics, position ids): nothing to broadcast.
    """
    _, world = rank_and_world()
    if world == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False,
                                   gradient_as_bucket_view=True)  # fmt: skip


def on_main(fn, *args):
    """``fn(*args)`` on rank 0 only, its result on every rank; a UserError there is raised on
    every rank (none hangs)."""
    error, result = None, None
    if is_main():
        try:
            result = fn(*args)
        except UserError as exc:
            error = str(exc)
    error, result = agree((error, result))
    if error is not None:
        raise UserError(error)
    return result
