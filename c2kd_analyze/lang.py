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


#: Every ISO 639-1 code, so a typo such as ``xx`` is caught instead of becoming a language.
_ISO_639_1_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb "
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om "
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw "
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())


def iso_problems(codes) -> list[str]:
    """A problem line for each of ``codes`` that is not already an ISO 639-1 code (a spec's
    languages must be written as :func:`normalize_lang` writes them).

    >>> iso_problems(["de", "CZ", "xx"])
    ["language 'CZ' is not an ISO 639-1 code", "language 'xx' is not an ISO 639-1 code"]
    """
    problems = []
    for code in codes:
        try:
            ok = normalize_lang(code) == code
        except UserError:
            ok = False
        if not ok:
            problems.append(f"language {code!r} is not an ISO 639-1 code")
    return problems


def normalize_lang(code: str) -> str:
    """The ISO 639-1 code for ``code`` (case-insensitive; ``cz`` -> ``cs``, ``zh-CN`` -> ``zh``).

    >>> normalize_lang("CZ"), normalize_lang("zh-CN"), normalize_lang(" de ")
    ('cs', 'zh', 'de')
    """
    key = str(code).strip().lower().replace(" ", "")
    key = _ALIASES.get(key, key)
    if key in LANGUAGE_NAMES:
        return key
    base = key.replace("_", "-").split("-")[0]
    base = _ALIASES.get(base, base)
    if base in ISO_639_1:
        return base
    raise UserError(
        f"unknown language code {code!r}; use an ISO 639-1 code such as "
        f"{', '.join(sorted(LANGUAGE_NAMES)[:6])}, ..."
    )
