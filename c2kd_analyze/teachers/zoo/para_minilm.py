"""paraphrase-multilingual-MiniLM-L12-v2: a 12 x 384 multilingual MiniLM student.

Revision bf3bf13a as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/sentence_transformers_models.py): 117,653,760 parameters, Apache-2.0, the
card's 50 languages; its config.json is a BertModel (384-d, XLM-R's 250,037 pieces), mean pooling,
max_seq_length 128.
"""

from c2kd_analyze.teachers.languages import PARAPHRASE
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="para-minilm",
    model="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
    revision="bf3bf13ab40c3157080a7ab344c831b9ad18b5eb",
    backend="sentence-transformers",
    pooling="mean",
    dim=384,
    parameters=117_653_760,
    max_tokens=128,
    languages=PARAPHRASE,
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2020, Making Monolingual Sentence Embeddings Multilingual",
    description="small multilingual paraphrase model (hub cache or a local folder)",
)
