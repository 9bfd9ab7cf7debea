"""The generic format for your own clips: a captions table plus frame features. No pickle.

A folder with:

- ``captions.parquet`` or ``captions.csv``: columns ``clip_id``, ``lang``, ``caption``, ``split``
  (``train`` or ``test``; ``val`` counts as test), optionally ``caption_idx`` to align several
  training captions across languages (caption j of a clip in every language says the same thing;
  without the column, the order of the rows decides). A test clip has at most one caption per
  language; a clip may lack a language (it is masked for that language, not filled). An empty
  caption is masked in the test split and kept as ``""`` (left out of the loss) in training,
  as the release readers do; ``datasets check`` counts them.
- features, one of: ``features/<clip_id>.npy`` per clip, one ``features.npz``, or one
  ``features.safetensors``, keyed by clip id; each (frames, dim) or (dim,) float. Loaded with
  ``allow_pickle=False``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..lang import normalize_lang
from .fingerprint import files_fingerprint
from .types import Dataset, Split, Tolerated
from .validate import (
    check_dataset_consistency,
    mask_empty_captions,
    order_languages,
    pack_clips,
)

REQUIRED = ("clip_id", "lang", "caption", "split")
_SPLITS = {"train": "train", "test": "test", "val": "test", "valid": "test", "validation": "test"}


def _read_table(folder: Path):
    import polars as pl

    parquet, csv = folder / "captions.parquet", folder / "captions.csv"
    path = parquet if parquet.is_file() else csv
    if not path.is_file():
        raise UserError(
            f"{folder}: no captions.parquet or captions.csv (columns {', '.join(REQUIRED)})"
        )
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
    cols = [*REQUIRED, *(["caption_idx"] if "caption_idx" in table.columns else [])]
    return path, table.select(pl.col(c).cast(pl.String) for c in cols)


def _rows(path: Path, table) -> dict[str, dict[str, dict[str, list[tuple[int, str]]]]]:
    """``{split: {clip: {lang: [(caption_idx, text)]}}}``, clips in first-seen order."""
    codes: dict[str, str] = {}
    out: dict[str, dict[str, dict[str, list[tuple[int, str]]]]] = {"train": {}, "test": {}}
    has_idx = "caption_idx" in table.columns
    for row_no, row in enumerate(table.iter_rows(named=True), start=2):
        cid, text = row["clip_id"], row["caption"]
        if cid is None or not str(cid).strip():
            raise UserError(f"{path}: row {row_no} has no clip_id")
        split = _SPLITS.get(str(row["split"]).strip().lower())
        if split is None:
            raise UserError(f"{path}: row {row_no} has split {row['split']!r}; use train or test")
        raw = str(row["lang"])
        if raw not in codes:
            try:
                codes[raw] = normalize_lang(raw)
            except UserError as exc:
                raise UserError(f"{path}: row {row_no}: {exc}") from None
        idx = _caption_idx(row, row_no, path) if has_idx else row_no
        out[split].setdefault(cid, {}).setdefault(codes[raw], []).append((idx, text or ""))
    both = set(out["train"]) & set(out["test"])
    if both:
        raise UserError(f"{path}: clip id {sorted(both)[0]!r} appears in both train and test")
    return out


def _caption_idx(row: dict, row_no: int, path: Path) -> int:
    value = row["caption_idx"]
    if value is None or not str(value).strip():
        return row_no
    try:
        return int(str(value).strip())
    except ValueError:
        raise UserError(
            f"{path}: row {row_no} has caption_idx {value!r}; use a whole number or leave it empty"
        ) from None


class _Features:
    """Per-clip feature arrays from whichever single source the folder holds."""

    def __init__(self, folder: Path):
        sources = [p for p in (folder / "features.safetensors", folder / "features.npz",
                               folder / "features") if p.exists()]  # fmt: skip
        if not sources:
            raise UserError(
                f"{folder}: no features; add features/<clip_id>.npy files, features.npz "
                "or features.safetensors"
            )
        if len(sources) > 1:
            names = " and ".join(p.name for p in sources)
            raise UserError(f"{folder}: both {names} exist; keep one source of features")
        self.path = sources[0]
        self.read: list[Path] = [] if self.path.is_dir() else [self.path]  # files read so far
        self.table: dict[str, np.ndarray] | None = None
        try:
            if self.path.suffix == ".safetensors":
                from safetensors.numpy import load_file

                self.table = load_file(str(self.path))
            elif self.path.suffix == ".npz":
                with np.load(self.path, allow_pickle=False) as npz:
                    self.table = {k: npz[k] for k in npz.files}
        except Exception as exc:
            raise UserError(f"cannot read {self.path}: {exc}".splitlines()[0]) from None

    def get(self, cid: str) -> np.ndarray:
        if self.table is not None:
            if cid not in self.table:
                raise UserError(f"{self.path}: no features for clip {cid!r}")
            return self.table[cid]
        if "/" in cid or "\\" in cid or cid in (".", ".."):
            raise UserError(f"clip id {cid!r} cannot name a file in {self.path}; use .npz instead")
        file = self.path / f"{cid}.npy"
        if not file.is_file():
            raise UserError(f"{file} not found: clip {cid!r} has captions but no features")
        self.read.append(file)
        try:
            return np.load(file, allow_pickle=False)
        except Exception as exc:
            raise UserError(f"cannot read {file}: {exc}".splitlines()[0]) from None


def _split(
    name: str, clips: dict, langs: tuple[str, ...], feats: _Features, source: str
) -> tuple[Split, int]:
    """The split and its number of empty captions."""
    ids = list(clips)
    captions: dict[str, list[list[str] | None]] = {lang: [] for lang in langs}
    for cid in ids:
        for lang in langs:
            caps = clips[cid].get(lang)
            captions[lang].append(
                [t for _, t in sorted(caps, key=lambda x: x[0])] if caps else None
            )
    where = f"{source} ({name} split)"
    captions, n_empty = mask_empty_captions(captions, ids, where, eval_split=name == "test")
    arrays, mask = pack_clips([feats.get(c) for c in ids], ids, source=str(feats.path))
    return Split(tuple(ids), arrays, mask, captions, n_queries=len(ids)), n_empty


def load_generic(data_dir: Path, features: str = "user") -> Dataset:
    """Read a generic-format folder (see the module docstring) into a validated Dataset."""
    path, table = _read_table(data_dir)
    rows = _rows(path, table)
    for split in ("train", "test"):
        if not rows[split]:
            raise UserError(f"{path}: no {split} rows; the split column needs train and test")
    langs = order_languages(
        [lang for s in ("train", "test") for clip in rows[s].values() for lang in clip]
    )
    feats = _Features(data_dir)
    train, empty_train = _split("train", rows["train"], langs, feats, str(path))
    test, empty_test = _split("test", rows["test"], langs, feats, str(path))
    ds = Dataset(
        name="generic", languages=langs, train=train, test=test, feature_kind="user",
        source=str(data_dir),
        info={"description": f"your data from {data_dir}", "captions": str(path),
              "features": str(feats.path)},
        source_fingerprint=files_fingerprint(data_dir, [path, *feats.read]),
        tolerated=Tolerated(empty_train=empty_train, empty_test=empty_test),
    )  # fmt: skip
    return check_dataset_consistency(ds, str(path))
