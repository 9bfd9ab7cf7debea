"""Language codes: ISO 639-1 everywhere, through one normaliser."""

from __future__ import annotations

from .errors import UserError

#: Names of the languages the project knows about, by ISO 639-1 code.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "de": "German", "fr": "French", "cs": "Czech", "zh": "Chinese",
    "ru": "Russian", "vi": "Vietnamese", "es": "Spanish", "ja": "Japanese", "sw": "Swahili",
    "hi": "Hindi", "mr": "Marathi", "kn": "Kannada", "ta": "Tamil", "te": "Telugu",
    "ml": "Malayalam", "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish",
    "ar": "Arabic", "ko": "Korean", "th": "Thai", "tr": "Turkish",
}  # fmt: skip

# Spellings seen in the wild (the C2KD release spells Czech "cz") mapped to ISO 639-1.
_ALIASES: dict[str, str] = {
    "cz": "cs", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh_tw": "zh",
    "zh-hant": "zh", "jp": "ja", "ua": "uk", "en-us": "en", "en-gb": "en", "pt-br": "pt",
}  # fmt: skip


def normalize_lang(code: str) -> str:
    """Return the ISO 639-1 code for ``code`` (case-insensitive; ``cz`` -> ``cs``, ``zh-CN`` -> ``zh``).

    >>> normalize_lang("CZ"), normalize_lang("zh-CN"), normalize_lang(" de ")
    ('cs', 'zh', 'de')
    """
    key = str(code).strip().lower().replace(" ", "")
    key = _ALIASES.get(key, key)
    if key in LANGUAGE_NAMES:
        return key
    base = key.replace("_", "-").split("-")[0]
    base = _ALIASES.get(base, base)
    if len(base) == 2 and base.isalpha():
        return base
    raise UserError(
        f"unknown language code {code!r}; use an ISO 639-1 code such as "
        f"{', '.join(sorted(LANGUAGE_NAMES)[:6])}, ..."
    )
