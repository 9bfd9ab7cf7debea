"""Where a data-building model's weights are: a folder the user names, or the local Hugging Face
cache. Nothing here touches the network; an absent model fails at once with one line saying how
to provide it (the same wording as a hub teacher's).

``--model`` takes a registered name (a pinned spec), a Hugging Face id (``org/name``: any revision
the cache holds) or a model folder.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubRef:
    """A model on the hub: its id and the revision to load (a commit; ``main`` when unpinned)."""

    model: str
    revision: str = "main"

    @property
    def pinned(self) -> bool:
        return len(self.revision) == 40 and all(c in "0123456789abcdef" for c in self.revision)


@dataclass(frozen=True)
class FoundModel:
    """A model folder on this machine and what a record says ran: ``id@commit`` for a hub
    snapshot, ``local:<folder>#<fingerprint>`` for a folder (after ``<commit>+`` when the folder
    records the commit it was downloaded at)."""

    folder: Path
    model_id: str

    def config(self) -> dict:
        """The folder's ``config.json``."""
        return read_config(self.folder)


def offline_env() -> None:
    """Every load reads local folders only; this also stops any library from retrying the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def quiet_transformers() -> None:
    """No per-tensor load bars, and no advice lines (e.g. 'install torchvision') on stderr."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def read_config(folder: Path) -> dict:
    path = folder / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot read {path}: {exc}; point --model at a saved model folder"
        ) from None


def looks_like_folder(value: str) -> bool:
    """``--model`` names a folder: it exists, or it is written as a path (``./x``, ``/x``,
    ``~/x``)."""
    path = Path(value).expanduser()
    return path.exists() or value.startswith((".", "/", "~"))


def model_folder(value: str, what: str, option: str = "--model") -> Path:
    """``value`` as a model folder (UserError when it is none)."""
    folder = Path(value).expanduser()
    if not folder.exists():
        raise UserError(
            f"{option} {value}: no such folder; give a saved {what} folder, a "
            "registered name or a Hugging Face id (org/name)"
        )
    if not folder.is_dir():
        raise UserError(f"{option} {value} is a file; give a saved {what} folder")
    if not (folder / "config.json").is_file():
        raise UserError(
            f"{option} {folder} has no config.json; point it at a saved Hugging Face {what} folder"
        )
    return folder.resolve()


def local_model(folder: Path) -> FoundModel:
    """A folder the user named, with its provenance (the commit it records, a fingerprint)."""
    from ..teachers.sources import recorded_revision
    from .fingerprint import files_fingerprint

    files = [p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts]
    local = f"local:{folder}#{files_fingerprint(folder, files)[:12]}"
    revision = recorded_revision(folder)
    return FoundModel(folder, f"{revision}+{local}" if revision else local)


def cached_model(ref: HubRef, missing: str) -> FoundModel:
    """``ref`` from the local HF cache: the pinned commit, else (one warning) another cached one.
    Raises UserError(``missing``) when the cache has none."""
    from ..teachers.sources import hf_cache_snapshot

    offline_env()
    snapshot = hf_cache_snapshot(ref)
    if snapshot is None:
        raise UserError(missing)
    if ref.pinned and snapshot.name != ref.revision:
        log.warning(
            "%s: the cache holds revision %s, not the pinned %s; the record names the one that ran",
            ref.model,
            snapshot.name,
            ref.revision,
        )
    return FoundModel(snapshot, f"{ref.model}@{snapshot.name}")


def missing_message(what: str, name: str, ref: HubRef, option: str = "--model") -> str:
    """One line: what is missing, how to provide it (as for a hub teacher)."""
    at = f" --revision {ref.revision}" if ref.revision != "main" else ""
    return (
        f"{what} {name!r} needs {ref.model} ({ref.revision}), which is not in the local Hugging "
        f"Face cache; run `hf download {ref.model}{at}` where the hub is reachable (then copy "
        f"the cache here), or pass {option} DIR to a saved model folder"
    )
