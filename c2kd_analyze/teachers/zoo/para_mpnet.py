"""paraphrase-multilingual-mpnet-base-v2: an XLM-R student of paraphrase-mpnet-base-v2.

Revision 79f2382c as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/sentence_transformers_models.py) and seen in HF-cache snapshot paths;
its config.json is an XLMRobertaModel (768-d, despite the name), 278,043,648 parameters, mean
pooling, max_seq_length 128, Apache-2.0, the card's 50 languages.
"""

from c2kd_analyze.teachers.languages import PARAPHRASE
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="para-mpnet",
    model="sentence-transformers/paraphrase-multilingual-mpnet-base-v2",
    revision="79f2382ceacceacdf38563d7c5d16b9ff8d725d6",
    backend="sentence-transformers",
    pooling="mean",
    dim=768,
    parameters=278_043_648,
    max_tokens=128,
    languages=PARAPHRASE,
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2020, Making Monolingual Sentence Embeddings Multilingual",
    description="multilingual paraphrase model, XLM-R base (hub cache or a local folder)",
)
