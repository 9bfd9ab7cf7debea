"""mUSE as the original C2KD code loads it: the distilled multilingual DistilBERT."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="muse-distil",
    model="sentence-transformers/distiluse-base-multilingual-cased-v2",
    backend="sentence-transformers",
    dim=512,
    max_tokens=128,
    languages=(),  # 50+ languages
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2020, Making Monolingual Sentence Embeddings Multilingual",
    trainable=True,
    description="the PyTorch mUSE of the original code (hub cache or a local folder)",
)
