"""all-mpnet-base-v2: the strongest English-only sentence-transformers model of its size.

Revision 9a322596 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/sentence_transformers_models.py): MPNet, 768-d, 109,486,464 parameters,
max_seq_length 384, mean pooling, Apache-2.0. An English-only teacher beside ``simcse-en``.
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="mpnet-en",
    model="sentence-transformers/all-mpnet-base-v2",
    revision="9a3225965996d404b775526de6dbfe85d3368642",
    backend="sentence-transformers",
    pooling="mean",
    dim=768,
    parameters=109_486_464,
    max_tokens=384,
    languages=("en",),
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2019, Sentence-BERT; all-mpnet-base-v2 model card",
    description="English-only MPNet sentence embedder (hub cache or a local folder)",
)
