"""MADLAD-400 3B: a T5 that reads ``<2de>`` before the text; 419 languages (card), which its
tokenizer is asked for when it loads. Revision fa184c67 of google/madlad400-3b-mt."""

from c2kd_analyze.data.translate.spec import TranslatorSpec

SPEC = TranslatorSpec(
    name="madlad400-3b",
    model="google/madlad400-3b-mt",
    revision="fa184c675da0b5c9e1c8694fccd4e12e2d422094",
    family="madlad",
    n_languages=419,
    size="3B",
    max_tokens=256,
    licence="Apache-2.0",
    reference=(
        "Kudugunta et al. 2023, MADLAD-400: A Multilingual And Document-Level Large Audited Dataset"
    ),
    description="MADLAD-400 3B (T5; large)",
)
