"""Marian opus-mt: one small model per direction (Helsinki-NLP/opus-mt-{src}-{tgt}), the pinned
ones below; any other direction loads by id (``--model Helsinki-NLP/opus-mt-en-xx``) or folder."""

from c2kd_analyze.data.translate.spec import TranslatorSpec

SPEC = TranslatorSpec(
    name="opus-mt",
    model="Helsinki-NLP/opus-mt-{src}-{tgt}",
    family="pair",
    pairs=(
        ("en", "de", "6183067f769a302e3861815543b9f312c71b0ca4"),
        ("en", "fr", "dd7f6540a7a48a7f4db59e5c0b9c42c8eea67f18"),
        ("en", "zh", "408d9bc410a388e1d9aef112a2daba955b945255"),
        ("de", "en", "1a922f3b32a8e809e17a47d4b32142d8105924e5"),
        ("zh", "en", "cf109095479db38d6df799875e34039d4938aaa6"),
    ),
    size="75M each",
    max_tokens=512,
    licence="CC-BY-4.0 / Apache-2.0 (per model card)",
    reference="Tiedemann and Thottingal 2020, OPUS-MT: Building open translation services",
    description="Marian opus-mt, one model per direction",
)
