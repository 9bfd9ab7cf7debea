"""Language lists that several model cards share, as ISO 639-1 codes (for zoo specs).

Taken from the cards' language lists as the MTEB registry records them (embeddings-benchmark/mteb
@ a905523d, ``mteb/models/model_implementations/{facebookai,sentence_transformers_models}.py``),
converted from ISO 639-3 with Debian's iso-codes tables. Languages without a 639-1 code (none in
these two lists) are counted in a spec's ``n_languages`` only.
"""

from __future__ import annotations

#: XLM-R's CommonCrawl languages that have an ISO 639-1 code (93 of the 100; the rest are
#: romanised variants of listed languages). Shared by every XLM-R-vocabulary model (mE5).
_XLMR = (
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he "
    "hi hr hu hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my nb ne nl om "
    "or pa pl ps pt ro ru sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh"
)
XLMR: tuple[str, ...] = tuple(_XLMR.split(" "))

#: The 50 languages of sentence-transformers' multilingual paraphrase models and of
#: distiluse-base-multilingual-cased-v2 (their cards list the same set; fr-ca, pt-br, zh-cn and
#: zh-tw fold into fr, pt and zh).
_PARAPHRASE = (
    "ar bg ca cs da de el en es et fa fi fr gl gu he hi hr hu hy id it ja ka ko ku lt lv mk mn mr "
    "ms my nb nl pl pt ro ru sk sl sq sr sv th tr uk ur vi zh"
)
PARAPHRASE: tuple[str, ...] = tuple(_PARAPHRASE.split(" "))
