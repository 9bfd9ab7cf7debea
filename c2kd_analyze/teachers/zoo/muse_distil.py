"""mUSE as the original C2KD code loads it: the distilled multilingual DistilBERT.

Checked against the hub page of sentence-transformers/distiluse-base-multilingual-cased-v2: commit
8f30462e (Nov 2023, "Update README.md"), "50 languages", Apache-2.0, DistilBERT + mean pooling +
a 768->512 Dense layer; about 135M parameters (MTEB registry).
"""

from c2kd_analyze.teachers.languages import PARAPHRASE
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="muse-distil",
    model="sentence-transformers/distiluse-base-multilingual-cased-v2",
    revision="8f30462e2e8c07512874162d850fcbdb1c3738ce",
    backend="sentence-transformers",
    pooling="mean",
    dim=512,
    parameters=135_000_000,
    max_tokens=128,
    languages=PARAPHRASE,
    licence="Apache-2.0",
    reference="Reimers & Gurevych 2020, Making Monolingual Sentence Embeddings Multilingual",
    trainable=True,
    description="the PyTorch mUSE of the original code (hub cache or a local folder)",
)
