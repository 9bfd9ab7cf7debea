"""multilingual-e5-base: XLM-R base trained as an E5 embedder, mean pooling, "query: ".

Revision d13f1b27 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/e5_models.py): 768-d, 278,043,648 parameters, 514 positions, MIT;
prefixes and pooling from the intfloat card.
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-base",
    model="intfloat/multilingual-e5-base",
    revision="d13f1b27baf31030b7fd040960d60d909913633f",
    backend="hf-pooled",
    pooling="mean",
    dim=768,
    parameters=278_043_648,
    max_tokens=512,
    languages=XLMR,
    n_languages=100,
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings",
    query_prompt="query: ",
    document_prompt="passage: ",
    description="mE5-base (hub cache or a local folder)",
)
