"""Readers for the C2KD release data (``data.tar.gz``): Multi-MSRVTT, Multi-YouCook2, VATEX, RUDDER.

Each release file is a pickled list of dicts, one per video or clip (docs/method.md
§6). These readers unpickle only those files, at their fixed paths under the folder given
as ``--data-dir`` (the extracted ``data/`` folder), through the restricted unpickler in
``pickles.py``. They are as tolerant as the original loaders, and say what they tolerated
(``Dataset.tolerated``, printed by ``datasets check``):

- Each dataset reads its fixed language list, under the exact keys the original reads
  (``msrvtt_dataset.py:78``, ``youcook_dataset.py:89``, ``rudder_dataset.py:75``); any other
  ``caption_*`` / ``eval_caption_*`` key (or RUDDER ``captions`` entry) is counted and ignored.
  Czech is stored as ``cz`` in YouCook2; it becomes ``cs``. A language no file holds is left out.
- MSR-VTT and VATEX training items hold a list of captions per language (``caption_<l>``),
  index-aligned across languages; their test items hold one ``eval_caption_<l>`` string.
  YouCook2 items hold one ``caption_<l>`` string in train and val.
- An empty caption is masked (``None``) in the test split and kept as ``""`` in a training list
  (the trainer leaves it out of the loss), so lists stay index-aligned. A clip without a language
  is masked for it; the original filled RUDDER's from another language, we do not.
- Duplicate clip ids are kept; evaluation averages clips with equal ids, as the original's
  ``average_embeddings``, and the recall denominator counts distinct ids.
- YouCook2's ``2d_full`` filter: when some items of a file have a ``2d_full`` key, only those are
  used (``youcook_dataset.py:54-61``). The original then takes the multilingual captions from the
  unfiltered list by position, which misaligns them; each clip here keeps its own captions.
- Teachers read English as the original's do (``Split.teacher_english``): YouCook2's plain
  ``caption`` field, MSR-VTT's and VATEX's ``raw_text`` (``' '.join(re.findall(r"[\\w']+", c))``);
  RUDDER's teachers read the caption itself.
- Recall denominators: the MSR-VTT 1k-A test counts 1000 queries and the YouCook2 val set 3350,
  so items missing from the feature files count as misses (``full_denominator=False`` divides by
  the items present instead). VATEX and RUDDER divide by the items present.
- Features: CLIP 512-d (key ``2d``, ``2d_raw`` for YouCook2) or S3D 1024-d (key ``s3d``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..lang import normalize_lang
from .files import DataFiles, checked_file
from .fingerprint import files_fingerprint
from .pickles import MISSING_HINT, load_release_pickle
from .release_captions import (
    MSRVTT_KEYS,
    RUDDER_LANGUAGES,
    VATEX_KEYS,
    YOUCOOK_KEYS,
    ItemCaptions,
    Reader,
    msrvtt_reader,
    rudder_reader,
    youcook_reader,
)
from .types import Dataset, Split, Tolerated
from .validate import (
    check_dataset_consistency,
    duplicate_count,
    mask_empty_captions,
    order_languages,
    pack_clips,
)

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

Captions = dict[str, list[list[str] | None]]


def _root(data_dir: Path, first_file: str) -> Path:
    """Accept the data/ folder itself or the folder that contains it."""
    if not (data_dir / first_file.split("/")[0]).exists() and (data_dir / "data").is_dir():
        return data_dir / "data"
    return data_dir


def release_files(name: str, data_dir: Path, features: str) -> DataFiles:
    """The two pickles (train, test) dataset ``name`` reads with ``features``, each checked."""
    train_file, test_file, _ = RELEASE_FILES[(name, features)]
    root = _root(Path(data_dir), train_file)
    paths = tuple(checked_file(root / f, missing=MISSING_HINT) for f in (train_file, test_file))
    return DataFiles(root, paths)


def msrvtt_files(data_dir: Path, features: str = "clip") -> DataFiles:
    return release_files("multi-msrvtt", data_dir, features)


def youcook2_files(data_dir: Path, features: str = "s3d") -> DataFiles:
    return release_files("multi-youcook2", data_dir, features)


def vatex_files(data_dir: Path, features: str = "clip") -> DataFiles:
    return release_files("vatex", data_dir, features)


def rudder_files(data_dir: Path, features: str = "clip") -> DataFiles:
    return release_files("rudder", data_dir, features)


def _read_items(path: Path, feature_key: str, youcook: bool) -> tuple[list[dict], int]:
    """The file's items (YouCook2: only those with ``2d_full`` when any has it) and how many
    were left out."""
    data = load_release_pickle(path)
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise UserError(
            f"{path}: expected a list of dicts (one per video), got {type(data).__name__}"
        )
    dropped = 0
    if youcook and any("2d_full" in x for x in data):
        kept = [x for x in data if "2d_full" in x]
        data, dropped = kept, len(data) - len(kept)
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
    return data, dropped


def _align(items: list[ItemCaptions], langs: tuple[str, ...]) -> tuple[Captions, list | None]:
    """Clip-major captions -> ``{lang: [captions of clip i or None]}`` and the teachers' English
    aligned with English. Lists are cut to the shortest language of a clip, so caption j means the
    same sentence in every language (the original samples one index for all languages)."""
    out: Captions = {lang: [] for lang in langs}
    teacher: list[list[str] | None] = []
    for item in items:
        caps = item.captions
        present = [len(caps[lang]) for lang in langs if caps.get(lang)]
        keep = min(present) if present else 0
        for lang in langs:
            out[lang].append(caps[lang][:keep] if caps.get(lang) else None)
        en = out["en"][-1] if "en" in out else None
        teacher.append(item.teacher[:keep] if en is not None and item.teacher else None)
    has_teacher = "en" in out and any(item.teacher is not None for item in items)
    return out, (teacher if has_teacher else None)


@dataclass
class _Parsed:
    path: Path
    items: list[dict]
    read: list[ItemCaptions]
    dropped: int


def _split(
    p: _Parsed, langs: tuple[str, ...], feature_key: str, features: str, complete: int,
    eval_split: bool,
) -> tuple[Split, int]:  # fmt: skip
    """The split and its number of empty captions."""
    ids = [str(item["id"]) for item in p.items]
    aligned, teacher = _align(p.read, langs)
    captions, n_empty = mask_empty_captions(aligned, ids, str(p.path), eval_split=eval_split)
    if teacher is not None:  # a masked English query has no teacher query either
        english = captions["en"]
        teacher = [t if e is not None else None for t, e in zip(teacher, english, strict=True)]
    feats, mask = pack_clips(
        [item[feature_key] for item in p.items], ids, source=str(p.path),
        expected_dim=FEATURE_DIMS[features], kind=features.upper(),
    )  # fmt: skip
    n_queries = max(complete, len(set(ids)))
    return Split(tuple(ids), feats, mask, captions, n_queries, teacher_english=teacher), n_empty


def _load(
    name: str, data_dir: Path, features: str, reader: Reader, language_list: tuple[str, ...],
    *, full_denominator: bool = True,
) -> Dataset:  # fmt: skip
    key = RELEASE_FILES[(name, features)][2]
    files = release_files(name, data_dir, features)  # what run fingerprints, checked the same
    root, paths = files.root, files.paths
    parsed = []
    for path, eval_split in zip(paths, (False, True), strict=True):
        items, dropped = _read_items(path, key, youcook=name == "multi-youcook2")
        read = [reader(item, path, str(item["id"]), eval_split) for item in items]
        if eval_split and not any(r.captions for r in read):
            raise UserError(
                f"{path}: no item holds a caption in {', '.join(language_list)}; "
                "is this the test file of the release?"
            )
        parsed.append(_Parsed(path, items, read, dropped))
    present = {lang for p in parsed for r in p.read for lang in r.captions}
    langs = order_languages([x for x in language_list if x in present])
    train, test = parsed
    complete = COMPLETE_TEST_SIZE.get(name, 0) if full_denominator else 0
    train_split, empty_train = _split(train, langs, key, features, 0, False)
    test_split, empty_test = _split(test, langs, key, features, complete, True)
    tolerated = Tolerated(
        empty_train=empty_train, empty_test=empty_test,
        duplicate_train=duplicate_count(train_split.clip_ids),
        duplicate_test=duplicate_count(test_split.clip_ids),
        extra_keys=tuple(sorted({k for p in parsed for r in p.read for k in r.extra})),
        absent_languages=tuple(x for x in language_list if x not in present),
        dropped_clips=train.dropped + test.dropped,
    )  # fmt: skip
    ds = Dataset(
        name=name, languages=langs, train=train_split, test=test_split, feature_kind=features,
        synthetic=False, source=str(root),
        info={"description": f"{name} (C2KD release, {features.upper()} features)",
              "train_file": str(paths[0]), "test_file": str(paths[1])},
        source_fingerprint=files_fingerprint(root, paths), tolerated=tolerated,
    )  # fmt: skip
    return check_dataset_consistency(ds, str(root))


def load_msrvtt(data_dir: Path, features: str = "clip", full_denominator: bool = True) -> Dataset:
    """Multi-MSRVTT: 9k training videos with caption lists, the 1k-A test with one caption;
    en, de, fr, cs, zh, ru, vi, sw, es."""
    return _load("multi-msrvtt", data_dir, features, msrvtt_reader(MSRVTT_KEYS),
                 tuple(MSRVTT_KEYS.values()), full_denominator=full_denominator)  # fmt: skip


def load_youcook2(data_dir: Path, features: str = "s3d", full_denominator: bool = True) -> Dataset:
    """Multi-YouCook2: one caption per clip and language (``cz`` read as ``cs``); val = test."""
    return _load("multi-youcook2", data_dir, features, youcook_reader,
                 tuple(YOUCOOK_KEYS.values()), full_denominator=full_denominator)  # fmt: skip


def load_vatex(data_dir: Path, features: str = "clip") -> Dataset:
    """VATEX: English and Chinese caption lists in train, one eval caption per test video."""
    return _load("vatex", data_dir, features, msrvtt_reader(VATEX_KEYS), ("en", "zh"))


def load_rudder(
    data_dir: Path, features: str = "clip", languages: tuple[str, ...] = RUDDER_LANGUAGES
) -> Dataset:
    """RUDDER: ``captions`` {lang: str} per clip; a missing language is masked (None)."""
    langs = tuple(dict.fromkeys(normalize_lang(x) for x in languages))
    return _load("rudder", data_dir, features, rudder_reader(langs), langs)
