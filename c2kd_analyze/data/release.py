"""Readers for the C2KD release data (``data.tar.gz``): Multi-MSRVTT, Multi-YouCook2, VATEX, RUDDER.

Each release file is a pickled list of dicts, one per video or clip (reference/c2kd-method.md
section 5). These readers unpickle only those files, at their fixed paths under the folder given
as ``--data-dir`` (the extracted ``data/`` folder), through the restricted unpickler in
``pickles.py``. Conventions kept from the release:

- Czech is stored as ``cz``; it becomes ``cs`` here (every code goes through ``normalize_lang``).
- MSR-VTT and VATEX training items hold a list of captions per language (``caption_<l>``),
  index-aligned across languages; their test items hold one ``eval_caption_<l>`` string.
  YouCook2 items hold one ``caption_<l>`` string in train and val.
- Recall denominators: the MSR-VTT 1k-A test counts 1000 queries and the YouCook2 val set 3350,
  so items missing from the feature files count as misses (``full_denominator=False`` divides by
  the items present instead). VATEX and RUDDER divide by the items present.
- RUDDER: a clip without a caption in some language is *masked* (``None``) for that language. The
  original code filled it with another language's caption; we do not, so a language is scored
  only on clips that have it.
- Features: CLIP 512-d (key ``2d``, ``2d_raw`` for YouCook2) or S3D 1024-d (key ``s3d``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..lang import normalize_lang
from .pickles import load_release_pickle
from .types import Dataset, Split
from .validate import (
    check_captions,
    check_dataset_consistency,
    check_unique,
    order_languages,
    pack_clips,
)

log = logging.getLogger(__name__)

FEATURE_DIMS = {"clip": 512, "s3d": 1024}

# (dataset, features) -> (train file, test file, feature key), relative to the data/ folder.
RELEASE_FILES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("multi-msrvtt", "clip"): ("msrvtt/clip/msrvtt_train_multilingual.pkl",
                               "msrvtt/clip/msrvtt_jsfusion_test_multilingual.pkl", "2d"),
    ("multi-msrvtt", "s3d"): ("msrvtt/s3d/msrvtt_train_multilingual.pkl",
                              "msrvtt/s3d/msrvtt_jsfusion_test_multilingual.pkl", "s3d"),
    ("multi-youcook2", "s3d"): ("youcook2/s3d/youcook_train_audio_multilingual.pkl",
                                "youcook2/s3d/youcook_val_audio_multilingual_fixed.pkl", "s3d"),
    ("multi-youcook2", "clip"): ("youcook2/clip/youcook_train_audio_multilingual.pkl",
                                 "youcook2/clip/youcook_val_audio_multilingual.pkl", "2d_raw"),
    ("vatex", "clip"): ("vatex/clip/vatex_train_multilingual.pkl",
                        "vatex/clip/vatex_test_multilingual.pkl", "2d"),
    ("rudder", "clip"): ("rudder/clip/rudder_train.pkl", "rudder/clip/rudder_test.pkl", "2d"),
}  # fmt: skip

#: Benchmark sizes that count missing test items as misses.
COMPLETE_TEST_SIZE = {"multi-msrvtt": 1000, "multi-youcook2": 3350}
RUDDER_LANGUAGES = ("en", "hi", "mr", "kn")  # the languages the C2KD RUDDER runs use

Captions = dict[str, list[list[str] | None]]


def _root(data_dir: Path, first_file: str) -> Path:
    """Accept the data/ folder itself or the folder that contains it."""
    if not (data_dir / first_file.split("/")[0]).exists() and (data_dir / "data").is_dir():
        return data_dir / "data"
    return data_dir


def _text(value: Any, path: Path, cid: str, lang: str) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise UserError(f"{path}: clip {cid!r} has a {lang} caption of type {type(value).__name__}")
    try:  # Python 2 pickles read as latin1 turn UTF-8 text into mojibake; undo it
        fixed = value.encode("latin1").decode("utf-8")
        return fixed if fixed != value else value
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _lang(suffix: str, path: Path) -> str:
    try:
        return normalize_lang(suffix)
    except UserError as exc:
        raise UserError(f"{path}: caption key for language {suffix!r}: {exc}") from None


def _prefixed(item: dict, prefix: str, path: Path, cid: str) -> dict[str, list[str]]:
    """``{lang: [captions]}`` from keys ``<prefix><lang>`` (a string or a list of strings)."""
    out: dict[str, list[str]] = {}
    for key, value in item.items():
        if isinstance(key, str) and key.startswith(prefix) and len(key) > len(prefix):
            lang = _lang(key[len(prefix) :], path)
            values = value if isinstance(value, (list, tuple)) else [value]
            out[lang] = [_text(v, path, cid, lang) for v in values]
    return out


def _read_items(path: Path, feature_key: str) -> list[dict]:
    data = load_release_pickle(path)
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise UserError(
            f"{path}: expected a list of dicts (one per video), got {type(data).__name__}"
        )
    if not data:
        raise UserError(f"{path}: the file holds no items")
    for i, item in enumerate(data):
        if "id" not in item:
            raise UserError(f"{path}: item {i} has no 'id' key; is this a C2KD release file?")
        if feature_key not in item:
            keys = ", ".join(sorted(k for k in item if isinstance(k, str)))
            raise UserError(
                f"{path}: clip {item['id']!r} has no {feature_key!r} features (keys: {keys}); "
                "check --features"
            )
    return data


def _align(per_lang: list[dict[str, list[str]]], langs: tuple[str, ...]) -> Captions:
    """Clip-major caption dicts -> ``{lang: [captions of clip i or None]}``; lists are cut to
    the shortest language of a clip so caption j means the same sentence in every language."""
    out: Captions = {lang: [] for lang in langs}
    for caps in per_lang:
        present = [len(caps[lang]) for lang in langs if caps.get(lang)]
        keep = min(present) if present else 0
        if present and max(present) != keep:
            log.warning("clip has %s captions per language; keeping the first %d", present, keep)
        for lang in langs:
            out[lang].append(caps[lang][:keep] if caps.get(lang) else None)
    return out


def _split(
    path: Path, items: list[dict], captions: list[dict[str, list[str]]], langs: tuple[str, ...],
    feature_key: str, features: str, n_queries: int, eval_split: bool,
) -> Split:  # fmt: skip
    ids = [str(item["id"]) for item in items]
    check_unique(ids, str(path))
    aligned = _align(captions, langs)
    check_captions(aligned, ids, str(path), eval_split=eval_split)
    feats, mask = pack_clips(
        [item[feature_key] for item in items], ids, source=str(path),
        expected_dim=FEATURE_DIMS[features], kind=features.upper(),
    )  # fmt: skip
    return Split(tuple(ids), feats, mask, aligned, n_queries=max(n_queries, len(ids)))


def _load(
    name: str, data_dir: Path, features: str, train_caps, test_caps, *,
    full_denominator: bool = True, only: tuple[str, ...] | None = None,
) -> Dataset:  # fmt: skip
    train_file, test_file, key = RELEASE_FILES[(name, features)]
    root = _root(data_dir, train_file)
    paths = (root / train_file, root / test_file)
    splits = []
    langs: list[str] = []
    parsed = []
    for path, get in zip(paths, (train_caps, test_caps), strict=True):
        items = _read_items(path, key)
        caps = [get(item, path, str(item["id"])) for item in items]
        if only is not None:
            caps = [{k: v for k, v in c.items() if k in only} for c in caps]
        langs += [lang for c in caps for lang in c if lang not in langs]
        parsed.append((path, items, caps))
    order = order_languages(langs)
    for (path, items, caps), is_test in zip(parsed, (False, True), strict=True):
        complete = COMPLETE_TEST_SIZE.get(name, 0) if is_test and full_denominator else 0
        splits.append(_split(path, items, caps, order, key, features, complete, is_test))
    ds = Dataset(
        name=name, languages=order, train=splits[0], test=splits[1], feature_kind=features,
        synthetic=False, source=str(root),
        info={"description": f"{name} (C2KD release, {features.upper()} features)",
              "train_file": str(paths[0]), "test_file": str(paths[1])},
    )  # fmt: skip
    return check_dataset_consistency(ds, str(root))


def _train_lists(item: dict, path: Path, cid: str) -> dict[str, list[str]]:
    return _prefixed(item, "caption_", path, cid)


def _eval_one(item: dict, path: Path, cid: str) -> dict[str, list[str]]:
    caps = _prefixed(item, "eval_caption_", path, cid)
    if not caps:
        raise UserError(
            f"{path}: clip {cid!r} has no eval_caption_<lang> keys; is this a test file?"
        )
    return caps


def _youcook_caps(item: dict, path: Path, cid: str) -> dict[str, list[str]]:
    caps = _prefixed(item, "caption_", path, cid)
    if "en" not in caps and "caption" in item:  # English also lives under plain 'caption'
        caps["en"] = [_text(item["caption"], path, cid, "en")]
    return caps


def _rudder_caps(item: dict, path: Path, cid: str) -> dict[str, list[str]]:
    raw = item.get("captions")
    if not isinstance(raw, dict):
        raise UserError(f"{path}: clip {cid!r} has no 'captions' dict {{lang: caption}}")
    return {_lang(k, path): [_text(v, path, cid, k)] for k, v in raw.items()}


def load_msrvtt(data_dir: Path, features: str = "clip", full_denominator: bool = True) -> Dataset:
    """Multi-MSRVTT: 9k training videos with caption lists, the 1k-A test with one caption."""
    return _load("multi-msrvtt", data_dir, features, _train_lists, _eval_one,
                 full_denominator=full_denominator)  # fmt: skip


def load_youcook2(data_dir: Path, features: str = "s3d", full_denominator: bool = True) -> Dataset:
    """Multi-YouCook2: one caption per clip and language (``cz`` read as ``cs``); val = test."""
    return _load("multi-youcook2", data_dir, features, _youcook_caps, _youcook_caps,
                 full_denominator=full_denominator)  # fmt: skip


def load_vatex(data_dir: Path, features: str = "clip") -> Dataset:
    """VATEX: English and Chinese caption lists in train, one eval caption per test video."""
    return _load("vatex", data_dir, features, _train_lists, _eval_one)


def load_rudder(
    data_dir: Path, features: str = "clip", languages: tuple[str, ...] = RUDDER_LANGUAGES
) -> Dataset:
    """RUDDER: ``captions`` {lang: str} per clip; a missing language is masked (None)."""
    only = tuple(normalize_lang(x) for x in languages)
    return _load("rudder", data_dir, features, _rudder_caps, _rudder_caps, only=only)
