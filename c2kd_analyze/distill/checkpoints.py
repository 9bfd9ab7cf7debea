"""Trained models on disk: safetensors weights plus a JSON config, never pickled.

A checkpoint lives in ``<cache>/checkpoints/<key>/``, where the key is the sha256 of everything
that determines its weights (dataset fingerprint, model id, mode, seed, recipe, teachers' keys).
So a teacher trained once is reused by every student and by later runs, in any run folder.

Files (all atomic with checksums, via :mod:`c2kd_analyze.io`): ``model.safetensors``,
``history.parquet`` (its training losses), optional ``embeddings.safetensors`` (a teacher's cached
train and test embeddings), optional ``validation.parquet`` (its per-epoch validation numbers, so a
cell that loads the checkpoint still has them; ``checkpoint.json`` then names the epoch kept under
``--select-on-val``), and ``checkpoint.json`` written **last**: a folder without a valid
``checkpoint.json`` is an unfinished write and is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..paths import cache_dir

if TYPE_CHECKING:
    import polars as pl
    import torch

log = logging.getLogger(__name__)

#: bump when the meaning of saved weights changes (architecture, loss), so old ones are not reused
# 2: frozen-mode inputs standardised with English train statistics
# 3: the standardisation is part of the model (buffers in the weights); precision in the key
# 4: keys built by distill.identity (the cell's whole TrainRecipe, declared fields only)
CHECKPOINT_FORMAT = 4
WEIGHTS = "model.safetensors"
EMBEDDINGS = "embeddings.safetensors"
HISTORY = "history.parquet"
VALIDATION = "validation.parquet"
META = "checkpoint.json"


def checkpoint_key(identity: dict[str, Any]) -> str:
    """A short stable hash of ``identity`` (JSON-able; key order does not matter)."""
    blob = json.dumps({"format": CHECKPOINT_FORMAT, **identity}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def checkpoint_dir(key: str) -> Path:
    return cache_dir() / "checkpoints" / key


def _tensors_to_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().contiguous().cpu() for k, v in tensors.items()})


def _bytes_to_tensors(data: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    return load(data)


def checkpoint_lock(key: str):
    """A file lock on checkpoint ``key`` (rank 0 only under torchrun), held while a process
    trains or loads it: two shards that need the same teacher train it once, the second
    waits and then loads it."""
    from .distributed import main_lock

    return main_lock(cache_dir() / "checkpoints" / f"{key}.lock")


def save_checkpoint(
    key: str,
    model: torch.nn.Module,
    meta: dict[str, Any],
    history: pl.DataFrame,
    embeddings: dict[str, torch.Tensor] | None = None,
    validation: pl.DataFrame | None = None,
) -> Path:
    """Write a checkpoint folder; ``checkpoint.json`` (identity, config, dims) goes last.

    Under torchrun only rank 0 writes (every rank holds the same weights).
    """
    from .distributed import is_main

    folder = checkpoint_dir(key)
    if not is_main():
        return folder
    io.remove(folder / META)  # a stale marker must never vouch for new weights
    io.write_bytes(folder / WEIGHTS, _tensors_to_bytes(model.state_dict()))
    io.write_parquet(folder / HISTORY, history)
    if embeddings is not None:
        io.write_bytes(folder / EMBEDDINGS, _tensors_to_bytes(embeddings))
    if validation is not None:
        io.write_parquet(folder / VALIDATION, validation)
    io.write_json(folder / META, {"key": key, "format": CHECKPOINT_FORMAT, **meta})
    log.info("saved checkpoint %s", folder)
    return folder


def has_checkpoint(key: str, with_embeddings: bool = False, with_validation: bool = False) -> bool:
    """Whether checkpoint ``key`` is complete on disk (with its embeddings / validation rows
    when asked). Under torchrun, rank 0's answer on every rank (a collective: every rank calls
    it at the same point), so all ranks train or all load."""
    from .distributed import agree

    folder = checkpoint_dir(key)
    files = [META, WEIGHTS, HISTORY] + ([EMBEDDINGS] if with_embeddings else [])
    files += [VALIDATION] if with_validation else []
    return agree(all(io.is_valid(folder / name) for name in files))


def load_weights(key: str, model: torch.nn.Module) -> None:
    """Load saved weights into ``model`` (strict: every key must match), on whatever device the
    model lives: weights are saved from the CPU in fp32, so a checkpoint written on a GPU loads
    on a CPU and the other way round, in any precision."""
    state = _bytes_to_tensors(io.read_bytes(checkpoint_dir(key) / WEIGHTS))
    model.load_state_dict(state, strict=True)


def load_embeddings(key: str) -> dict[str, torch.Tensor]:
    """A teacher's cached embeddings, as CPU tensors (the caller moves them to its device)."""
    return _bytes_to_tensors(io.read_bytes(checkpoint_dir(key) / EMBEDDINGS))


def load_history(key: str) -> pl.DataFrame:
    return io.read_parquet(checkpoint_dir(key) / HISTORY)


def load_validation(key: str) -> pl.DataFrame:
    """The per-epoch validation rows saved with checkpoint ``key`` (:mod:`.validation`)."""
    return io.read_parquet(checkpoint_dir(key) / VALIDATION)


def load_meta(key: str) -> dict[str, Any]:
    """Checkpoint ``key``'s ``checkpoint.json`` (identity, role, ``selected_epoch``, ...)."""
    return io.read_json(checkpoint_dir(key) / META)
