"""use-cmlm-multilingual: Google's USE-CMLM (LaBSE-based), ported to sentence-transformers.

Revision 6f8ff658 as the MTEB registry pinned it (embeddings-benchmark/mteb@96420a2a,
mteb/models/sentence_transformers_models.py; the entry was dropped in the next commit): 472M
parameters; the hub's upload commit 00f92560 gives mean pooling + Normalize (1_Pooling,
modules.json), BertModel 768-d, Apache-2.0, "109 languages" (card).
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="use-cmlm",
    model="sentence-transformers/use-cmlm-multilingual",
    revision="6f8ff6583c371cbc4d6d3b93a5e37a888fd54574",
    backend="sentence-transformers",
    pooling="mean",
    dim=768,
    parameters=472_000_000,
    max_tokens=256,
    n_languages=109,
    licence="Apache-2.0",
    reference="Yang et al. 2021, Universal Sentence Representation Learning with Conditional MLM",
    description="multilingual USE-CMLM (hub cache or a local folder)",
)
