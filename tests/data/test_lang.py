"""Language codes: one normaliser, ISO 639-1 out, clear errors for anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2kd_analyze.errors import UserError
from c2kd_analyze.lang import ISO_639_1, LANGUAGE_NAMES, normalize_lang


@pytest.mark.parametrize(
    "raw,code",
    [("cz", "cs"), ("CZ", "cs"), ("cs", "cs"), ("zh-CN", "zh"), ("zh_cn", "zh"), ("zh-Hant", "zh"),
     (" de ", "de"), ("EN-us", "en"), ("pt_BR", "pt"), ("jp", "ja"), ("sw", "sw"), ("hi", "hi")],
)  # fmt: skip
def test_known_spellings(raw, code):
    assert normalize_lang(raw) == code


@pytest.mark.parametrize("raw", ["xx", "english", "", "c-", "12", "zz-ZZ", "cze"])
def test_unknown_codes_are_user_errors(raw):
    with pytest.raises(UserError, match="unknown language code"):
        normalize_lang(raw)


@given(st.sampled_from(sorted(ISO_639_1)), st.sampled_from(["", "-XX", "_yy", "-Latn"]))
def test_every_iso_code_and_region_variant_maps_to_itself(code, suffix):
    variant = (code + suffix).upper() if suffix.startswith("-X") else code + suffix
    assert normalize_lang(variant) == code
    assert normalize_lang(normalize_lang(variant)) == code  # idempotent


def test_named_languages_are_iso():
    assert set(LANGUAGE_NAMES) <= ISO_639_1 and len(ISO_639_1) == 184
