"""The generic format for your own clips: a captions table plus frame features. No pickle.

A folder with:

- ``captions.parquet`` or ``captions.csv`` (one of them): columns ``clip_id``, ``lang``,
  ``caption``, ``split`` (``train`` or ``test``; ``val`` counts as test), optionally
  ``caption_idx`` to align several training captions across languages (caption j of a clip in
  every language says the same thing; without the column, the order of the rows decides). A test
  clip has at most one caption per language; a clip may lack a language (it is masked for that
  language, not filled). An empty caption (or one of only spaces and invisible characters) is
  masked in the test split and kept as ``""`` (left out of the loss) in training, as the release
  readers do; ``datasets check`` counts them.
- features, one of: ``features/<clip_id>.npy`` per clip, one ``features.npz``, or one
  ``features.safetensors``, keyed by clip id; each (frames, dim) or (dim,) of real numbers.
  Loaded with ``allow_pickle=False``.

Which files are read is :mod:`.generic_files`' business; this module turns them into a Dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from ..lang import normalize_lang
from .fingerprint import files_fingerprint
from .generic_files import GenericLayout, declared_files, read_table
from .types import Dataset, Split, Tolerated
from .validate import (
    check_dataset_consistency,
    mask_empty_captions,
    order_languages,
    pack_clips,
)

_SPLITS = {"train": "train", "test": "test", "val": "test", "valid": "test", "validation": "test"}

Rows = dict[str, dict[str, dict[str, list[tuple[int, str]]]]]


def _row_namer(path: Path):
    """How messages name a row: a parquet table's rows count from 1; a CSV file's by their line
    (the header is line 1)."""
    if path.suffix == ".csv":
        return lambda i: f"line {i + 2}"
    return lambda i: f"row {i + 1}"


def _rows(path: Path, table) -> Rows:
    """``{split: {clip: {lang: [(caption_idx, text)]}}}``, clips in first-seen order."""
    codes: dict[str, str] = {}
    out: Rows = {"train": {}, "test": {}}
    has_idx = "caption_idx" in table.columns
    row_name = _row_namer(path)
    for i, row in enumerate(table.iter_rows(named=True)):
        cid, text, raw = row["clip_id"], row["caption"], row["lang"]
        if cid is None or not str(cid).strip():
            raise UserError(f"{path}: {row_name(i)} has no clip_id")
        split = _SPLITS.get(str(row["split"]).strip().lower())
        if split is None:
            raise UserError(f"{path}: {row_name(i)} has split {row['split']!r}; use train or test")
        if raw is None or not raw.strip():
            raise UserError(
                f"{path}: {row_name(i)} has no language (lang is empty); give an ISO 639-1 "
                "code such as en or de"
            )
        if raw not in codes:
            try:
                codes[raw] = normalize_lang(raw)
            except UserError as exc:
                raise UserError(f"{path}: {row_name(i)}: {exc}") from None
        idx = _caption_idx(row, i, row_name, path) if has_idx else i
        out[split].setdefault(cid, {}).setdefault(codes[raw], []).append((idx, text or ""))
    both = set(out["train"]) & set(out["test"])
    if both:
        raise UserError(f"{path}: clip id {sorted(both)[0]!r} appears in both train and test")
    return out


def _caption_idx(row: dict, i: int, row_name, path: Path) -> int:
    value = row["caption_idx"]
    if value is None or not str(value).strip():
        return i
    try:
        return int(str(value).strip())
    except ValueError:
        raise UserError(
            f"{path}: {row_name(i)} has caption_idx {value!r}; use a whole number or leave it empty"
        ) from None


class _Features:
    """Per-clip feature arrays from the folder's one source of features."""

    def __init__(self, layout: GenericLayout):
        self.layout, self.path = layout, layout.features
        self.table: dict[str, np.ndarray] | None = None
        if layout.per_clip:
            return
        try:
            if self.path.suffix == ".safetensors":
                from safetensors.numpy import load_file

                self.table = load_file(str(self.path))
            else:
                with np.load(self.path, allow_pickle=False) as npz:
                    self.table = {k: npz[k] for k in npz.files}
        except Exception as exc:
            raise UserError(f"cannot read {self.path}: {exc}".splitlines()[0]) from None

    def get(self, cid: str) -> np.ndarray:
        if self.table is not None:
            if cid not in self.table:
                raise UserError(f"{self.path}: no features for clip {cid!r}")
            return self.table[cid]
        file = self.layout.clip_file(cid)  # checked when the files were declared
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
    layout, table, files = declared_files(data_dir)  # what run fingerprints, in the same order
    path = layout.captions
    rows = _rows(path, table if table is not None else read_table(path))
    for split in ("train", "test"):
        if not rows[split]:
            raise UserError(f"{path}: no {split} rows; the split column needs train and test")
    langs = order_languages(
        [lang for s in ("train", "test") for clip in rows[s].values() for lang in clip]
    )
    feats = _Features(layout)
    train, empty_train = _split("train", rows["train"], langs, feats, str(path))
    test, empty_test = _split("test", rows["test"], langs, feats, str(path))
    ds = Dataset(
        name="generic", languages=langs, train=train, test=test, feature_kind="user",
        source=str(data_dir),
        info={"description": f"your data from {data_dir}", "captions": str(path),
              "features": str(feats.path)},
        source_fingerprint=files_fingerprint(files.root, files.paths),
        tolerated=Tolerated(empty_train=empty_train, empty_test=empty_test),
    )  # fmt: skip
    return check_dataset_consistency(ds, str(path))
