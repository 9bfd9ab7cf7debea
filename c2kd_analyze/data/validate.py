"""Checks every reader runs before a dataset is used: one clear line per problem, naming the file.

Also the one place features are packed into the in-memory form: at most 30 frames per clip (the
first ones, as C2KD reads them), each real frame L2-normalised, zero padding, and a mask.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from ..errors import UserError
from .types import Dataset, Split

MAX_FRAMES = 30


def pack_clips(
    clips: Sequence[np.ndarray],
    clip_ids: Sequence[str],
    *,
    source: str,
    expected_dim: int | None = None,
    kind: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Pad per-clip frame arrays ((T_i, D) or (D,)) into ``features`` (n, T, D) float32 and
    ``mask`` (n, T) bool, T = min(30, longest clip). Raises UserError on a bad shape, a clip whose
    feature size differs from ``expected_dim`` (or from the first clip), or NaN/inf values."""
    arrays: list[np.ndarray] = []
    dim = expected_dim
    for cid, raw in zip(clip_ids, clips, strict=True):
        arr = np.asarray(raw)
        if arr.ndim == 1:
            arr = arr[None, :]
        if np.issubdtype(arr.dtype, np.complexfloating):
            raise UserError(
                f"{source}: clip {cid!r} has complex features ({arr.dtype}); expected real "
                "numbers (keep the real part, or the magnitude, when you extract them)"
            )
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
            raise UserError(
                f"{source}: clip {cid!r} has features of shape {arr.shape} ({arr.dtype}); "
                "expected a (frames, dim) array of numbers"
            )
        if dim is None:
            dim = arr.shape[1]
        if arr.shape[1] != dim:
            what = (
                f"{kind} features are {dim}-d" if kind else f"the first clip's features are {dim}-d"
            )
            raise UserError(
                f"{source}: clip {cid!r} has {arr.shape[1]}-d features but {what}; "
                "check --features and that every clip comes from the same extractor"
            )
        arrays.append(_as_float32(arr[:MAX_FRAMES], cid, source))
    n, t_max = len(arrays), max((a.shape[0] for a in arrays), default=1)
    features = np.zeros((n, max(t_max, 1), dim or 0), dtype=np.float32)
    mask = np.zeros((n, max(t_max, 1)), dtype=bool)
    for i, arr in enumerate(arrays):
        features[i, : arr.shape[0]] = arr
        mask[i, : arr.shape[0]] = True
    return normalize_frames(features, mask), mask


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _as_float32(arr: np.ndarray, cid: str, source: str) -> np.ndarray:
    """``arr`` as float32; UserError for NaN or inf, or finite values float32 cannot hold."""
    if not np.isfinite(arr).all():
        raise UserError(
            f"{source}: clip {cid!r} has NaN or inf feature values; re-extract its features"
        )
    if arr.size and np.issubdtype(arr.dtype, np.floating) and arr.dtype.itemsize > 4:
        peak = float(np.abs(arr).max())
        if peak > _FLOAT32_MAX:
            raise UserError(
                f"{source}: clip {cid!r} has feature values up to {peak:.3g}, beyond float32's "
                f"range ({_FLOAT32_MAX:.3g}); scale the features down (each frame is "
                "L2-normalised anyway)"
            )
    return arr.astype(np.float32)  # integers (at most 64 bits) always fit


def pack_flat(frames: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pad frames stored clip after clip ((F, D), ``offsets`` (n + 1,)) into (n, T, D) + mask."""
    lengths = np.minimum(np.diff(offsets), MAX_FRAMES)
    n, t_max = len(lengths), max(int(lengths.max(initial=1)), 1)
    features = np.zeros((n, t_max, frames.shape[1]), dtype=np.float32)
    mask = np.arange(t_max)[None, :] < lengths[:, None]
    rows, cols = np.nonzero(mask)
    features[rows, cols] = frames[offsets[rows] + cols]
    return normalize_frames(features, mask), mask


def normalize_frames(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """L2-normalise every real frame in place (zero frames stay zero); padding stays zero."""
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(features, axis=-1, keepdims=True)
    huge = ~np.isfinite(norms[..., 0])  # squares past float32's range (values above ~1e19)
    if huge.any():
        norms[huge] = np.linalg.norm(features[huge].astype(np.float64), axis=-1, keepdims=True)
    np.divide(features, np.maximum(norms, 1e-8), out=features)
    features[~mask] = 0.0
    return features


def duplicate_count(clip_ids: Sequence[str]) -> int:
    """Clips whose id repeats an earlier clip's (``a, a, b, a`` -> 2)."""
    return len(clip_ids) - len(set(clip_ids))


def mask_empty_captions(
    captions: dict[str, list[list[str] | None]],
    clip_ids: Sequence[str],
    source: str,
    *,
    eval_split: bool,
) -> tuple[dict[str, list[list[str] | None]], int]:
    """Captions with empty ones handled, and how many were empty.

    In an evaluation split an empty (or blank: :func:`is_blank`) caption becomes ``None``: that
    clip has no query in that language. In a training split it stays in the list as ``""`` so
    caption ``j`` keeps meaning the same sentence in every language; the trainer leaves it out
    of the loss. An evaluation split holds at most one caption per clip and language (UserError
    otherwise).
    """
    out: dict[str, list[list[str] | None]] = {}
    empty = 0
    for lang, per_clip in captions.items():
        cleaned: list[list[str] | None] = []
        for cid, caps in zip(clip_ids, per_clip, strict=True):
            if caps is None:
                cleaned.append(None)
                continue
            if eval_split and len(caps) > 1:
                raise UserError(
                    f"{source}: clip {cid!r} has {len(caps)} {lang} captions in the test split; "
                    "a test split holds at most one caption per clip and language"
                )
            texts = ["" if is_blank(t) else t for t in caps]
            n_empty = sum(not t for t in texts)
            empty += n_empty
            cleaned.append(None if eval_split and (n_empty or not texts) else texts)
        out[lang] = cleaned
    return out, empty


#: Unicode categories with nothing to read: controls, format characters (zero-width space,
#: joiners, the byte-order mark, soft hyphen) and separators
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def is_blank(text: str) -> bool:
    """True when ``text`` has nothing to read: empty, spaces, or invisible characters only.

    Stops at the first visible character, so real captions cost one lookup.

    >>> is_blank(""), is_blank(" \\u200b\\u200b "), is_blank("\\ufeff"), is_blank("\\u200bcut")
    (True, True, True, False)
    """
    return all(unicodedata.category(ch) in _INVISIBLE for ch in text)


def check_dataset_consistency(ds: Dataset, source: str) -> Dataset:
    """Structural invariants every reader guarantees (a failure is a bug, not a user mistake).
    What makes a dataset usable is :func:`.usable.check_usable`."""
    for split_name, split in (("train", ds.train), ("test", ds.test)):
        _check_split_shapes(split, split_name, source)
    if ds.languages and ds.languages[0] != "en" and "en" in ds.languages:
        raise ValueError("bug: English must come first in Dataset.languages")
    return ds


def _check_split_shapes(split: Split, name: str, source: str) -> None:
    n = split.n_clips
    if split.features.shape[0] != n or split.mask.shape != split.features.shape[:2]:
        raise ValueError(f"bug: {source} {name} features/mask do not match {n} clips")
    for lang, caps in split.captions.items():
        if len(caps) != n:
            raise ValueError(
                f"bug: {source} {name} {lang} has {len(caps)} caption lists for {n} clips"
            )
    teacher = split.teacher_english
    if teacher is not None:
        english = split.captions.get("en", [None] * n)
        if len(teacher) != n or any(
            (t is None) != (e is None) or (t is not None and e is not None and len(t) != len(e))
            for t, e in zip(teacher, english, strict=True)
        ):
            raise ValueError(f"bug: {source} {name} teacher_english is not aligned with en")


def order_languages(langs: Sequence[str]) -> tuple[str, ...]:
    """English first, then the others in their given order, each once."""
    seen = list(dict.fromkeys(langs))
    return tuple((["en"] if "en" in seen else []) + [lang for lang in seen if lang != "en"])
