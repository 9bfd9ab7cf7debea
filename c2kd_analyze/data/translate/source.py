"""``--model``: which translation model runs each direction, found (never downloaded) but not
loaded, so a missing or wrong model fails before any work."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...errors import UserError
from ..model_hub import (
    FoundModel,
    HubRef,
    cached_model,
    local_model,
    looks_like_folder,
    missing_message,
    model_folder,
    read_config,
)
from .families import Family, language_token
from .registry import get_translator_spec
from .spec import TranslatorSpec

WHAT = "translation model"


@dataclass(frozen=True)
class TranslatorSource:
    """One direction's model: where it is, its family, and how the user named it."""

    found: FoundModel
    family: Family
    label: str  # 'nllb-600m', 'org/name' or the folder, for messages
    spec: TranslatorSpec | None = None

    @property
    def model_id(self) -> str:
        return self.found.model_id


def resolve_translator(value: str, src: str, tgt: str, option: str = "--model") -> TranslatorSource:
    """The model for ``src`` -> ``tgt`` named by ``value`` (a registered name, a HF id or a
    folder). UserError (one line) when it is unknown, absent, not a translation model, or has
    no code for a language."""
    if looks_like_folder(value):
        found = local_model(model_folder(value, WHAT, option))
        source = _unregistered(found, str(found.folder), option)
    elif "/" in value:
        ref = HubRef(value)
        found = cached_model(ref, missing_message(WHAT, value, ref, option))
        source = _unregistered(found, value, option)
    else:
        spec = get_translator_spec(value)
        _check_codes(spec.family, spec.name, src, tgt)  # before looking for its weights
        source = _registered(spec, src, tgt, option)
    _check_codes(source.family, source.label, src, tgt)
    return source


def _registered(spec: TranslatorSpec, src: str, tgt: str, option: str) -> TranslatorSource:
    ref = spec.ref(src, tgt)
    if ref is None:
        have = ", ".join(f"{a}->{b}" for a, b, _ in spec.pairs)
        raise UserError(
            f"{WHAT} {spec.name!r} has no pinned {src}->{tgt} model (it has {have}); pass "
            f"{option} {spec.model.format(src=src, tgt=tgt)} (a cached copy) or {option} DIR"
        )
    found = cached_model(ref, missing_message(WHAT, spec.name, ref, option))
    _check_seq2seq(found, spec.name, option)
    return TranslatorSource(found, spec.family, spec.name, spec)


def _unregistered(found: FoundModel, label: str, option: str) -> TranslatorSource:
    _check_seq2seq(found, label, option)
    return TranslatorSource(found, detect_family(found.folder), label)


def _check_seq2seq(found: FoundModel, label: str, option: str) -> None:
    config = read_config(found.folder)
    if not config.get("is_encoder_decoder"):
        kind = config.get("model_type", "unknown")
        raise UserError(
            f"{option} {label} is a {kind!r} model, not a sequence-to-sequence translation model; "
            "give a translation model (e.g. nllb-600m, opus-mt, or a folder of one)"
        )


def detect_family(folder: Path) -> Family:
    """The family of an unregistered model, from its files (no weights are read)."""
    try:
        tok_config = json.loads((folder / "tokenizer_config.json").read_text())
    except (OSError, ValueError):
        tok_config = {}
    tokenizer = str(tok_config.get("tokenizer_class", ""))
    if tokenizer.startswith("Nllb"):
        return "nllb"
    if tokenizer.startswith("M2M100"):
        return "m2m100"
    if read_config(folder).get("model_type") in ("t5", "mt5", "umt5") and _has_token(
        folder, "<2en>"
    ):
        return "madlad"
    return "pair"


def _has_token(folder: Path, token: str) -> bool:
    path = folder / "tokenizer.json"
    if path.is_file():
        return json.dumps(token) in path.read_text(encoding="utf-8", errors="replace")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    return tok.convert_tokens_to_ids(token) != tok.unk_token_id


def _check_codes(family: Family, label: str, src: str, tgt: str) -> None:
    """UserError when the family's code table has no code for ``src`` or ``tgt`` (a madlad
    tokenizer is asked when it loads: :func:`.model.Seq2Seq.check_tokens`)."""
    for lang in (src, tgt):
        if family in ("nllb", "m2m100") and language_token(family, lang) is None:
            from .families import family_languages

            known = ", ".join(family_languages(family))
            raise UserError(
                f"{WHAT} {label!r} ({family}) has no code for {lang!r}; it translates {known}"
            )
