"""BGE-M3's dense embedding: XLM-R large extended to 8,192 tokens, [CLS] pooling, normalised.

Revision 5617a9f6 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/bge_models.py) and seen in many HF-cache snapshot paths; config.json
(XLMRobertaModel, 1024-d, 24 layers, 8,194 positions) and 1_Pooling (cls) from the hub pages;
568M parameters, MIT, "more than 100 working languages", no instruction needed (card).
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="bge-m3",
    model="BAAI/bge-m3",
    revision="5617a9f61b028005a4858fdac845db406aefb181",
    backend="hf-pooled",
    pooling="cls",
    dim=1024,
    parameters=568_000_000,
    max_tokens=8192,
    n_languages=100,
    licence="MIT",
    reference="Chen et al. 2024, BGE M3-Embedding",
    description="BGE-M3 dense vectors (hub cache or a local folder)",
)
