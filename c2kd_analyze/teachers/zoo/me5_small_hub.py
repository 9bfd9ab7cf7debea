"""multilingual-e5-small, the hub original (``me5-small`` is its offline 4-bit copy).

Revision fd1525a9 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/e5_models.py): 384-d, 117,653,760 parameters (96,014,208 in the
embeddings), MIT, mean pooling, "query: "/"passage: " prefixes (intfloat card).
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-small-hub",
    model="intfloat/multilingual-e5-small",
    revision="fd1525a9fd15316a2d503bf26ab031a61d056e98",
    backend="hf-pooled",
    pooling="mean",
    dim=384,
    parameters=117_653_760,
    max_tokens=512,
    languages=XLMR,
    n_languages=100,
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings",
    query_prompt="query: ",
    document_prompt="passage: ",
    description="mE5-small fp32 from the hub (hub cache or a local folder)",
)
