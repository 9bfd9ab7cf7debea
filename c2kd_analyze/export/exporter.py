"""``export_cell``: a run's cell -> a folder you can take away (text side + video tower).

All checks that need no model come first (run folder, cell, checkpoint on disk, a text encoder
that is a torch model, ``--out``), so a mistake costs nothing. The folder is written to a
temporary sibling of ``--out`` and renamed into place at the end: an interrupted or failed export
leaves ``--out`` as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import io
from ..errors import UserError
from ..layout import RunFolder
from ..owned import describe, walk_files
from .locate import CellModel, find_cell_model

log = logging.getLogger(__name__)

RECORD = "c2kd_export.json"
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.EPERM)


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    cell: str
    text: bool  # a sentence-transformers text side was written (False: --video-only)
    record: dict[str, Any]


def _check_out(out: Path, run_dir: Path, overwrite: bool) -> None:
    """``--out`` may be new, empty, or (with ``--overwrite``) a previous export holding only the
    files it recorded; never a run folder, a folder inside one, or one that holds a run."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; choose a folder (it is created)")
    run = run_dir.expanduser().absolute()
    for inside in (out, *out.parents):
        if inside == run or io.is_valid(RunFolder(inside).config):
            raise UserError(
                f"--out {out} is inside the run folder {inside}; export to a folder outside "
                "run folders"
            )
    if run.is_relative_to(out):
        raise UserError(f"--out {out} holds the run folder {run}; choose another folder")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"--out {out}: {parent} is a file, not a folder")
            break
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise UserError(
            f"--out {out} exists and is not empty; choose a new folder, or pass --overwrite"
        )
    foreign = _foreign_to_export(out)
    if foreign:
        raise UserError(
            f"--out {out} holds files no export wrote ({describe(foreign, out)}); --overwrite "
            "replaces only a previous export: choose another folder"
        )


def _foreign_to_export(out: Path) -> list[Path]:
    """Entries of folder ``out`` that the export recorded in its ``c2kd_export.json`` did not
    write (everything, when ``out`` holds no such record)."""
    listed: set[str] = set()
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
        listed = set(json.loads((out / RECORD).read_text()).get("files", []))
    found = []
    for path in walk_files(out):
        relative = path.relative_to(out).as_posix()
        if relative not in listed or path.is_symlink():
            found.append(path)
    return sorted(found)


def _check_text_encoder(model: CellModel) -> None:
    from ..teachers import get_spec

    spec = get_spec(model.encoder)
    if spec.backend == "muse-numpy":
        raise UserError(
            f"cell {model.cell!r} reads text with {model.encoder!r} ({spec.backend}), which is not "
            f"a torch model and cannot become a sentence-transformers folder; pass --video-only "
            f"to export its video tower, or export a cell trained with a torch student "
            f"(e.g. --student me5-small)"
        )


def _cell_metrics(model: CellModel):
    """The cell's own metrics (its checksummed file), or None when it cannot be read."""
    try:
        return io.read_parquet(RunFolder(model.run_dir).cell(model.cell).metrics)
    except (OSError, io.CorruptFileError):
        return None


def _record(model: CellModel, text: dict | None, video: dict) -> dict[str, Any]:
    from importlib.metadata import version

    from ..distill.provenance import versions

    return {
        "run_id": model.run_id,
        "run_dir": str(model.run_dir.resolve()),
        "cell": model.cell,
        "stage": model.meta.get("identity", {}).get("kind", model.meta.get("role")),
        "role": model.meta.get("role"),
        "checkpoint": model.key,
        "dataset": model.dataset.get("name"),
        "languages": model.dataset.get("languages"),
        "precision": model.precision,
        "text": text,
        "video": video,
        "c2kd_analyze": version("c2kd-analyze"),
        "versions": versions(),
    }


def _write(model, state, tmp: Path, out: Path, video_only: bool, encoder_options: dict) -> dict:
    from .card import folder_readme, video_readme
    from .text_side import write_text_model
    from .video_side import write_video_tower

    text = None
    if not video_only:
        text = write_text_model(model, state, tmp, **encoder_options)
    video = write_video_tower(model, state, tmp)
    record = _record(model, text, video)
    if text is not None:
        readme = folder_readme(out, model, record, _cell_metrics(model))
    else:
        readme = video_readme(out, record)
    (tmp / "README.md").write_text(readme)
    # every file of the export, so a later --overwrite can tell them from anything else
    files = sorted(p.relative_to(tmp).as_posix() for p in walk_files(tmp))
    record = {**record, "files": sorted([*files, RECORD])}
    (tmp / RECORD).write_text(_json(record))
    return record


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"


def _share_permissions(folder: Path) -> None:
    """The usual permissions (0o777/0o666 less the umask): the temporary folder and some writers
    (safetensors) create owner-only files, and an export is made to be shared."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _move_into_place(tmp: Path, out: Path, overwrite: bool) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` (empty, or any with --overwrite) is moved
    aside first and removed only once the new folder is in place."""
    old = None
    if out.is_dir() and any(out.iterdir()) and not overwrite:  # made meanwhile, by another export
        raise UserError(f"--out {out} was filled while exporting; choose another folder")
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_cell(
    run_dir: str | Path,
    cell: str,
    out: str | Path,
    *,
    teacher_dirs: dict[str, Path] | None = None,
    trust_remote_code: bool = False,
    ignore_model_id: bool = False,
    video_only: bool = False,
    overwrite: bool = False,
) -> ExportResult:
    """Write cell ``cell`` of run ``run_dir`` into folder ``out``.

    ``out`` gets a sentence-transformers model of the text side (``SentenceTransformer(out,
    trust_remote_code=True)``), ``video/`` with the video tower, ``c2kd_export.json`` and a
    README with loading code that needs no c2kd_analyze. ``video_only``: only ``video/`` and
    the record (the only choice for a ``muse`` text encoder). ``teacher_dirs``: ``{name:
    folder}`` for the cell's text encoder, when the folder the run recorded has moved;
    ``ignore_model_id``: accept an encoder whose model id is not the run's (a copied folder). Raises
    :class:`UserError` for every user mistake, before anything is loaded or written.
    """
    out = Path(out).expanduser().absolute()
    model = find_cell_model(run_dir, cell)
    if not video_only:
        _check_text_encoder(model)
    _check_out(out, model.run_dir, overwrite)
    state = model.weights()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise io.write_error(out.parent, exc) from exc
    encoder_options = {
        "teacher_dir": (teacher_dirs or {}).get(model.encoder),
        "trust_remote_code": trust_remote_code,
        "ignore_model_id": ignore_model_id,
    }
    try:
        try:
            record = _write(model, state, tmp, out, video_only, encoder_options)
            _share_permissions(tmp)
            _move_into_place(tmp, out, overwrite)
        except OSError as exc:
            if exc.errno in _WRITE_ERRNOS:  # the disk, not our code
                raise io.write_error(out, exc) from exc
            raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    log.info("exported cell %s of %s to %s", cell, model.run_dir, out)
    return ExportResult(out, cell, not video_only, record)
