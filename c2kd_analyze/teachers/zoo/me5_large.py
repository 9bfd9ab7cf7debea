"""multilingual-e5-large: XLM-R large trained as an E5 embedder, mean pooling, "query: ".

Revision ab10c1a7 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/e5_models.py) and seen in HF-cache snapshot paths: 1024-d, 24 layers,
560M parameters, 514 positions, MIT.
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-large",
    model="intfloat/multilingual-e5-large",
    revision="ab10c1a7f42e74530fe7ae5be82e6d4f11a719eb",
    backend="hf-pooled",
    pooling="mean",
    dim=1024,
    parameters=560_000_000,
    max_tokens=512,
    languages=XLMR,
    n_languages=100,
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings",
    query_prompt="query: ",
    document_prompt="passage: ",
    description="mE5-large (hub cache or a local folder)",
)
