"""Small files in exactly the C2KD release layout and record format (docs/method.md §6).

Built in the tests into tmp folders; never committed. Each item is a dict as the released
pickles hold them: ``id``, features under the release's key, captions under its keys, audio.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

MSRVTT_LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "sw", "es")
YOUCOOK_KEYS = ("de", "fr", "cz", "zh", "ru", "vi", "es", "en", "ja")  # Czech stored as 'cz'
RUDDER_ALL = ("en", "hi", "mr", "kn", "ta")

FILES = {
    ("multi-msrvtt", "clip"): ("msrvtt/clip/msrvtt_train_multilingual.pkl",
                               "msrvtt/clip/msrvtt_jsfusion_test_multilingual.pkl", "2d", 512),
    ("multi-msrvtt", "s3d"): ("msrvtt/s3d/msrvtt_train_multilingual.pkl",
                              "msrvtt/s3d/msrvtt_jsfusion_test_multilingual.pkl", "s3d", 1024),
    ("multi-youcook2", "s3d"): ("youcook2/s3d/youcook_train_audio_multilingual.pkl",
                                "youcook2/s3d/youcook_val_audio_multilingual_fixed.pkl",
                                "s3d", 1024),
    ("multi-youcook2", "clip"): ("youcook2/clip/youcook_train_audio_multilingual.pkl",
                                 "youcook2/clip/youcook_val_audio_multilingual.pkl", "2d_raw", 512),
    ("vatex", "clip"): ("vatex/clip/vatex_train_multilingual.pkl",
                        "vatex/clip/vatex_test_multilingual.pkl", "2d", 512),
    ("rudder", "clip"): ("rudder/clip/rudder_train.pkl", "rudder/clip/rudder_test.pkl", "2d", 512),
}  # fmt: skip


def _caption(lang: str, split: str, i: int, j: int = 0) -> str:
    return f"{lang} {split} caption {j} of clip {i}: ćšž 中文"


def make_items(dataset: str, split: str, n: int, key: str, dim: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng([seed, n, dim, split == "train"])
    items = []
    for i in range(n):
        frames = 40 if i == 0 else int(rng.integers(1, 31))  # clip 0 is longer than 30 frames
        item: dict = {"id": f"{split}_{i:03d}", key: rng.standard_normal((frames, dim)) * 3}
        if dataset in ("multi-msrvtt", "vatex"):
            langs = MSRVTT_LANGS if dataset == "multi-msrvtt" else ("en", "zh")
            for lang in langs:
                if split == "train":
                    item[f"caption_{lang}"] = [_caption(lang, split, i, j) for j in range(2)]
                else:
                    item[f"eval_caption_{lang}"] = _caption(lang, split, i)
            if dataset == "multi-msrvtt":
                item["audio"] = rng.standard_normal((40, 12)).astype(np.float32)
        elif dataset == "multi-youcook2":
            item["caption"] = _caption("en", split, i)
            item["audio"] = rng.standard_normal((40, 12)).astype(np.float32)
            for code in YOUCOOK_KEYS:
                item[f"caption_{code}"] = _caption(code, split, i)
        else:  # rudder: a clip lacks some languages (clip 1 has no Hindi, clip 2 no English)
            langs = [
                x for x in RUDDER_ALL if not (i == 1 and x == "hi") and not (i == 2 and x == "en")
            ]
            item["captions"] = {x: _caption(x, split, i) for x in langs}
            item["audios"] = {x: rng.standard_normal((40, 8)).astype(np.float32) for x in langs}
        items.append(item)
    return items


def write_pickle(path: Path, items: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(items, protocol=4))
    return path


def write_release(
    root: Path, dataset: str, features: str = "clip", n_train: int = 6, n_test: int = 4
) -> tuple[Path, Path]:
    """Write train and test pickles of ``dataset`` under ``root`` (the ``data/`` folder)."""
    train, test, key, dim = FILES[(dataset, features)]
    return (
        write_pickle(root / train, make_items(dataset, "train", n_train, key, dim)),
        write_pickle(root / test, make_items(dataset, "test", n_test, key, dim)),
    )


def write_edited(
    root: Path, dataset: str, features: str = "clip", *, edit_train=None, edit_test=None,
    n_train: int = 6, n_test: int = 4,
) -> tuple[Path, Path]:  # fmt: skip
    """Like :func:`write_release`, with ``edit_train(items)`` / ``edit_test(items)`` applied to
    the items before they are pickled (to build one tolerated or fatal case at a time)."""
    train, test, key, dim = FILES[(dataset, features)]
    out = []
    for path, split, n, edit in ((train, "train", n_train, edit_train),
                                 (test, "test", n_test, edit_test)):  # fmt: skip
        items = make_items(dataset, split, n, key, dim)
        if edit is not None:
            edit(items)
        out.append(write_pickle(root / path, items))
    return out[0], out[1]
