"""The translation models: a scan of ``zoo/`` (see :mod:`..zoo_scan`)."""

from __future__ import annotations

import functools

from ..zoo_scan import scan_zoo, unknown_name
from .spec import TranslatorSpec, spec_problems

DEFAULT_TRANSLATOR = "nllb-600m"


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, TranslatorSpec]:
    from . import zoo

    return scan_zoo(zoo, TranslatorSpec, spec_problems)


def list_translators() -> list[TranslatorSpec]:
    return list(_registry().values())


def find_translator_spec(name: str) -> TranslatorSpec | None:
    return _registry().get(name)


def get_translator_spec(name: str) -> TranslatorSpec:
    spec = find_translator_spec(name)
    if spec is None:
        raise unknown_name(
            "translation model",
            name,
            list(_registry()),
            "or give a Hugging Face id (org/name) or a model folder",
        )
    return spec
