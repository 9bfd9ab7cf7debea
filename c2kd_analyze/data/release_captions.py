"""How each C2KD release dataset stores captions in an item, read as the original code reads them.

One reader per record layout (docs/method.md §6), each returning the item's
captions in the dataset's fixed languages, the English the original's teachers read, and the
caption keys it ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError

#: Each dataset's languages: the key suffix the original reads -> ISO 639-1 code.
MSRVTT_KEYS = {k: k for k in ("en", "de", "fr", "cs", "zh", "ru", "vi", "sw", "es")}
VATEX_KEYS = {"en": "en", "zh": "zh"}
YOUCOOK_KEYS = {k: ("cs" if k == "cz" else k)
                for k in ("en", "de", "fr", "cz", "zh", "ru", "vi", "es", "ja")}  # fmt: skip
RUDDER_LANGUAGES = ("en", "hi", "mr", "kn")  # the languages the C2KD RUDDER runs use


def raw_text(caption: str) -> str:
    """The English text the original's MSR-VTT/VATEX/YouCook2 teachers read (``raw_text``).

    >>> raw_text("A man, who's cooking: eggs!")
    "A man who's cooking eggs"
    """
    return " ".join(re.findall(r"[\w']+", str(caption)))


@dataclass
class ItemCaptions:
    """One item's captions as read: ``{lang: [captions]}``, the teachers' English, odd keys."""

    captions: dict[str, list[str]]
    teacher: list[str] | None = None
    extra: list[str] = field(default_factory=list)


Reader = Callable[[dict, Path, str, bool], ItemCaptions]


def _text(value: Any, path: Path, cid: str, lang: str) -> str:
    """A caption as text; ``None`` reads as an empty caption."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise UserError(
            f"{path}: clip {cid!r} has a {lang} caption of type {type(value).__name__}; "
            "captions must be text"
        )
    try:  # Python 2 pickles read as latin1 turn UTF-8 text into mojibake; undo it
        fixed = value.encode("latin1").decode("utf-8")
        return fixed if fixed != value else value
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _texts(value: Any, path: Path, cid: str, lang: str) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return [_text(v, path, cid, lang) for v in values]


def _keyed(item: dict, prefix: str, keys: dict[str, str], path: Path, cid: str) -> ItemCaptions:
    """Captions under ``<prefix><suffix>`` for the dataset's suffixes; other caption keys of
    either release prefix are reported as extra."""
    out = ItemCaptions({})
    for key, value in item.items():
        if not isinstance(key, str):
            continue
        for pre in ("eval_caption_", "caption_"):
            if key.startswith(pre):
                suffix = key[len(pre) :]
                if suffix not in keys:
                    out.extra.append(key)
                elif pre == prefix:
                    out.captions[keys[suffix]] = _texts(value, path, cid, keys[suffix])
                break
    return out


def msrvtt_reader(keys: dict[str, str]) -> Reader:
    """MSR-VTT and VATEX (``MSRVTT_Dataset``): caption lists in train, one eval caption in test;
    teachers read ``raw_text`` of the English caption."""

    def read(item: dict, path: Path, cid: str, eval_split: bool) -> ItemCaptions:
        out = _keyed(item, "eval_caption_" if eval_split else "caption_", keys, path, cid)
        if "en" in out.captions:
            out.teacher = [raw_text(c) for c in out.captions["en"]]
        return out

    return read


def youcook_reader(item: dict, path: Path, cid: str, eval_split: bool) -> ItemCaptions:
    """YouCook2 (``Youcook_Dataset``): one ``caption_<l>`` string per language; the teachers read
    ``raw_text`` of the plain ``caption`` field, which also stands in for a missing
    ``caption_en``."""
    out = _keyed(item, "caption_", YOUCOOK_KEYS, path, cid)
    plain = [_text(item["caption"], path, cid, "en")] if "caption" in item else None
    if "en" not in out.captions and plain is not None:
        out.captions["en"] = plain
    if "en" in out.captions:
        out.teacher = [raw_text(c) for c in (plain or out.captions["en"])]
    return out


def rudder_reader(languages: tuple[str, ...]) -> Reader:
    """RUDDER (``RUDDER_Dataset``): a ``captions`` dict {lang: caption}; teachers read the
    caption itself (no ``raw_text``)."""

    def read(item: dict, path: Path, cid: str, eval_split: bool) -> ItemCaptions:
        raw = item.get("captions")
        if not isinstance(raw, dict):
            raise UserError(f"{path}: clip {cid!r} has no 'captions' dict {{lang: caption}}")
        out = ItemCaptions({})
        for key, value in raw.items():
            if key in languages:
                out.captions[key] = [_text(value, path, cid, str(key))]
            else:
                out.extra.append(f"captions[{key!r}]")
        return out

    return read
