"""Where extracted features go: a per-video cache (what makes extraction resumable), then the
output folder's ``features.safetensors`` or ``features/<clip_id>.npy`` and its manifest.

Cache: ``<cache_dir>/frames/<key>/<sha256 of the video file>.npz`` (``features`` (n, dim)
float32, ``times`` (n,) seconds, ``duration``), ``key`` hashing the model id, kind, sampling and
precision; each file is written atomically with a checksum as soon as its video is done.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ... import io
from ...errors import UserError
from ...paths import cache_dir

if TYPE_CHECKING:
    import numpy as np

Format = Literal["safetensors", "npy"]
FORMATS: tuple[str, ...] = ("safetensors", "npy")
MANIFEST = "features.manifest.json"
_TARGETS = {"safetensors": "features.safetensors", "npy": "features"}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class FrameCache:
    def __init__(self, key: dict) -> None:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
        self.folder = cache_dir() / "frames" / digest
        self.key = key

    def _path(self, video_sha: str) -> Path:
        return self.folder / f"{video_sha}.npz"

    def get(self, video_sha: str) -> dict[str, np.ndarray] | None:
        try:
            return io.read_npz(self._path(video_sha))
        except (FileNotFoundError, io.CorruptFileError):
            return None

    def put(self, video_sha: str, features, times, duration: float) -> None:
        import numpy as np

        if not (self.folder / "meta.json").exists():
            io.write_json(self.folder / "meta.json", self.key)
        io.write_npz(
            self._path(video_sha),
            features=np.asarray(features, np.float32),
            times=np.asarray(times, np.float64),
            duration=np.float64(duration),
        )


def check_out(out: Path, fmt: str) -> None:
    """UserError (before any work) when ``out`` cannot take ``fmt``'s features: a file, or a
    folder holding features this command did not write (the generic reader reads one source)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for the features")
    parent = out
    while not parent.exists():  # the folder is made at the end: can it be?
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"cannot create --out {out}: {parent} is a file; choose another folder")
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: use {' or '.join(FORMATS)}")
    ours = _manifest_format(out)
    for name in ("features.safetensors", "features.npz", "features"):
        if (out / name).exists() and name != _TARGETS.get(ours or "", ""):
            raise UserError(
                f"{out / name} exists and was not written by `features extract`; "
                "move it away or choose another --out (a folder holds one source of "
                "features)"
            )


def _manifest_format(out: Path) -> str | None:
    try:
        return str(io.read_json(out / MANIFEST).get("format"))
    except (OSError, io.CorruptFileError, AttributeError):
        return None


def write_outputs(out: Path, fmt: str, features: dict[str, np.ndarray], manifest: dict) -> Path:
    """The features in ``fmt`` and the manifest, each replaced atomically; the other format's
    output of an earlier extraction is removed after. Returns the features' path."""
    with io.disk_errors(out):
        out.mkdir(parents=True, exist_ok=True)
        target = out / _TARGETS[fmt]
        if fmt == "safetensors":
            from safetensors.numpy import save

            data = save({k: v.astype("float32") for k, v in features.items()})
            with io.atomic_path(target) as tmp:
                tmp.write_bytes(data)
        else:
            _swap_folder(target, features)
        io.write_json(out / MANIFEST, manifest)
        other = out / _TARGETS["npy" if fmt == "safetensors" else "safetensors"]
        if other.is_dir():
            shutil.rmtree(other)
        elif other.exists():
            other.unlink()
    return target


def _swap_folder(target: Path, features: dict[str, np.ndarray]) -> None:
    """``target/<clip>.npy`` for every clip, built beside it and renamed into place."""
    import numpy as np

    tag = uuid.uuid4().hex[:8]
    fresh, old = (
        target.with_name(f".{target.name}-{tag}.tmp"),
        target.with_name(f".{target.name}-{tag}.old"),
    )
    fresh.mkdir()
    try:
        for clip, array in features.items():
            np.save(fresh / f"{clip}.npy", array.astype(np.float32), allow_pickle=False)
        if target.exists():
            target.rename(old)
        fresh.rename(target)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
