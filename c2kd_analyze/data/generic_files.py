"""Which files a generic-format folder's reader reads, and its captions table read as text.

The layout decides: one captions table (``captions.parquet`` or ``captions.csv``, never both) and
one source of features (``features.npz``, ``features.safetensors`` or a ``features/`` folder of
``<clip_id>.npy`` files, never two). For a folder of per-clip files the table names the files:
``features/<clip_id>.npy`` for each clip id in it, and nothing else in ``features/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from .files import DataFiles, checked_file, name_fits

if TYPE_CHECKING:
    import polars as pl

REQUIRED = ("clip_id", "lang", "caption", "split")
OPTIONAL = ("caption_idx",)
_TABLES = ("captions.parquet", "captions.csv")
_FEATURES = ("features.safetensors", "features.npz", "features")


@dataclass(frozen=True)
class GenericLayout:
    """The two sources of a generic-format folder."""

    folder: Path
    captions: Path  # captions.parquet or captions.csv
    features: Path  # features.npz, features.safetensors, or the features/ folder

    @property
    def per_clip(self) -> bool:
        return self.features.name == "features"

    def clip_file(self, clip_id: str) -> Path:
        """``features/<clip_id>.npy``; UserError when the id cannot name a file there."""
        if "/" in clip_id or "\\" in clip_id or clip_id in (".", "..") or "\0" in clip_id:
            raise UserError(
                f"clip id {clip_id!r} cannot name a file in {self.features}; "
                "use features.npz or features.safetensors instead"
            )
        name = f"{clip_id}.npy"
        if not name_fits(self.features, name):
            raise UserError(
                f"clip id {clip_id[:40]!r}... ({len(clip_id)} characters) is too long to name a "
                f"file in {self.features}; use features.npz or features.safetensors instead"
            )
        return self.features / name


def _present(folder: Path, names: tuple[str, ...]) -> list[Path]:
    # lexists: a dangling link is there (and named as such by checked_file), not absent
    return [folder / n for n in names if os.path.lexists(folder / n)]


def captions_path(folder: Path) -> Path:
    """The folder's one captions table (``captions.parquet`` or ``captions.csv``), checked."""
    tables = _present(folder, _TABLES)
    if not tables:
        raise UserError(
            f"{folder}: no captions.parquet or captions.csv (columns {', '.join(REQUIRED)})"
        )
    if len(tables) > 1:
        raise UserError(
            f"{folder}: both captions.parquet and captions.csv exist; keep one table of captions"
        )
    return checked_file(tables[0])


def generic_layout(folder: Path) -> GenericLayout:
    """The folder's captions table and features source, each checked (one line on a problem)."""
    captions = captions_path(folder)
    sources = _present(folder, _FEATURES)
    if not sources:
        raise UserError(
            f"{folder}: no features; add features/<clip_id>.npy files, features.npz "
            "or features.safetensors"
        )
    if len(sources) > 1:
        names = " and ".join(p.name for p in sources)
        raise UserError(f"{folder}: both {names} exist; keep one source of features")
    features = sources[0]
    if features.name == "features":
        _check_folder(features)
    else:
        checked_file(features)
    return GenericLayout(folder, captions, features)


def _check_folder(path: Path) -> None:
    if not path.is_dir():
        kind = "a dangling symbolic link" if not path.exists() else "not a folder"
        raise UserError(f"{path} is {kind}; features/ must be a folder of <clip_id>.npy files")
    try:
        os.listdir(path)
    except PermissionError:
        raise UserError(
            f"cannot read {path}: permission denied; make the folder readable (chmod a+rx) "
            "or run as a user who can read it"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_table(path: Path) -> pl.DataFrame:
    """The captions table with the required (and optional) columns, every one as text."""
    table = read_raw(path)
    return text_columns(table, path, [*REQUIRED, *(c for c in OPTIONAL if c in table.columns)])


def read_raw(path: Path) -> pl.DataFrame:
    """The captions table as stored, every column, once the required ones are checked to be
    there."""
    import polars as pl

    try:
        if path.suffix == ".parquet":
            table = pl.read_parquet(path)
        else:
            table = pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several error types for unreadable files
        raise UserError(f"cannot read {path}: {exc}".splitlines()[0]) from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}"
        )
    return table


def text_columns(table: pl.DataFrame, path: Path, names: list[str]) -> pl.DataFrame:
    """Columns ``names`` of ``table`` as text (one line naming a column that holds no texts)."""
    import polars as pl

    return pl.DataFrame([_text_column(table, c, path) for c in names])


def _text_column(table: pl.DataFrame, name: str, path: Path) -> pl.Series:
    """Column ``name`` as text; UserError for values that are no single text (lists, structs,
    bytes that are not UTF-8)."""
    import polars as pl

    dtype = table.schema[name]
    if dtype.is_nested() or dtype == pl.Object:
        raise UserError(f"{path}: column {name!r} holds {dtype} values; it needs one text per row")
    try:
        return table[name].cast(pl.String)
    except Exception:  # polars: ComputeError "invalid utf8" for bytes, others for odd types
        what = "bytes that are not UTF-8 text" if dtype == pl.Binary else f"{dtype} values"
        raise UserError(f"{path}: column {name!r} holds {what}; write it as text") from None


def clip_ids(table: pl.DataFrame) -> list[str]:
    """The table's clip ids, each once, in first-seen order (empty ones left to the reader)."""
    ids = table["clip_id"].drop_nulls().unique(maintain_order=True).to_list()
    return [cid for cid in ids if cid.strip()]


def declared_files(folder: Path) -> tuple[GenericLayout, pl.DataFrame | None, DataFiles]:
    """The layout, the captions table when the layout needed it (per-clip features: the table
    names the files), and every file the reader will read, each checked."""
    layout = generic_layout(folder)
    if not layout.per_clip:
        return layout, None, DataFiles(folder, (layout.captions, layout.features))
    table = read_table(layout.captions)
    per_clip = [layout.clip_file(cid) for cid in clip_ids(table)]
    for file in per_clip:
        checked_file(file, missing=f"clip {file.stem!r} has captions but no features")
    return layout, table, DataFiles(folder, (layout.captions, *per_clip))


def generic_files(data_dir: Path, features: str = "user") -> DataFiles:
    """What :func:`.generic.load_generic` reads under ``data_dir`` (the registry's hook)."""
    return declared_files(Path(data_dir))[2]
