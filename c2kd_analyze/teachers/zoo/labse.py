"""LaBSE, the paper's student backbone and a teacher: a sentence-transformers model.

Revision e34fab64 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/sentence_transformers_models.py): 470,926,848 parameters, Apache-2.0,
109 languages (card); its folder pools the [CLS] state (then Dense + Normalize).
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="labse",
    model="sentence-transformers/LaBSE",
    revision="e34fab64a3011d2176c99545a93d5cbddc9a91b7",
    backend="sentence-transformers",
    dim=768,
    pooling="cls",
    parameters=470_926_848,
    max_tokens=128,
    n_languages=109,
    licence="Apache-2.0",
    reference="Feng et al. 2022, Language-agnostic BERT Sentence Embedding",
    trainable=True,
    description="the paper's LaBSE (hub cache or a local folder)",
)
