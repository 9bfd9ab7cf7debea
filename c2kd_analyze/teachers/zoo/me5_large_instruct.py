"""multilingual-e5-large-instruct: mE5-large tuned to follow a one-sentence task instruction.

Revision baa7be48 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/e5_instruct.py, which also gives the format "Instruct: {task}\\nQuery: "
on queries only) and seen in HF-cache snapshot paths; XLMRobertaModel config (1024-d, 24 layers,
514 positions) from the hub's config.json; MIT. The task is the card's symmetric one for
semantic similarity: a caption embedding should not depend on which side reads it.
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="me5-large-instruct",
    model="intfloat/multilingual-e5-large-instruct",
    revision="baa7be480a7de1539afce709c8f13f833a510e0a",
    backend="hf-pooled",
    pooling="mean",
    dim=1024,
    parameters=560_000_000,
    max_tokens=512,
    languages=XLMR,
    n_languages=100,
    licence="MIT",
    reference="Wang et al. 2024, Multilingual E5 Text Embeddings (instruct)",
    query_prompt="Instruct: Retrieve semantically similar text.\nQuery: ",
    description="instruction-tuned mE5-large (hub cache or a local folder)",
)
