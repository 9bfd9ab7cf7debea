"""LaBSE, the paper's student backbone and a teacher: a sentence-transformers model."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="labse",
    model="sentence-transformers/LaBSE",
    backend="sentence-transformers",
    dim=768,
    pooling="cls",
    max_tokens=128,
    languages=(),  # 109 languages
    licence="Apache-2.0",
    reference="Feng et al. 2022, Language-agnostic BERT Sentence Embedding",
    trainable=True,
    description="the paper's LaBSE (hub cache or a local folder)",
)
