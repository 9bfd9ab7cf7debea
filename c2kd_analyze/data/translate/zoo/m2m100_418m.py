"""M2M-100 418M: 100 languages, tokens ``__de__``. Revision 55c2e61b of facebook/m2m100_418M."""

from c2kd_analyze.data.translate.spec import TranslatorSpec

SPEC = TranslatorSpec(
    name="m2m100-418m",
    model="facebook/m2m100_418M",
    revision="55c2e61bbf05dfb8d7abccdc3fae6fc8512fd636",
    family="m2m100",
    n_languages=100,
    size="418M",
    max_tokens=1024,
    licence="MIT",
    reference="Fan et al. 2021, Beyond English-Centric Multilingual Machine Translation",
    description="M2M-100 418M",
)
