"""NLLB-200 distilled 600M: 200 languages (FLORES-200 codes), the default translator.

Revision f8d333a0 of facebook/nllb-200-distilled-600M; licence CC-BY-NC-4.0 (card: research use).
"""

from c2kd_analyze.data.translate.spec import TranslatorSpec

SPEC = TranslatorSpec(
    name="nllb-600m",
    model="facebook/nllb-200-distilled-600M",
    revision="f8d333a098d19b4fd9a8b18f94170487ad3f821d",
    family="nllb",
    n_languages=200,
    size="600M",
    max_tokens=512,
    licence="CC-BY-NC-4.0",
    reference="NLLB Team et al. 2022, No Language Left Behind",
    description="NLLB-200 distilled 600M (the default)",
)
