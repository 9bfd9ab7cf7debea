"""XLM-R base, the paper's teacher: HF AutoModel with masked mean pooling.

Revision e73636d4 (FacebookAI/xlm-roberta-base, which the old id redirects to) as pinned by the MTEB
registry (embeddings-benchmark/mteb@a905523d, model_implementations/facebookai.py) and seen in
HF-cache snapshot paths (models--xlm-roberta-base/snapshots/e73636d4...); 278,043,648 parameters,
MIT, 100 CommonCrawl languages.
"""

from c2kd_analyze.teachers.languages import XLMR
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="xlmr",
    model="xlm-roberta-base",
    revision="e73636d4f797dec63c3081bb6ed5c7b0bb3f2089",
    backend="hf-pooled",
    pooling="mean",
    dim=768,
    parameters=278_043_648,
    max_tokens=128,
    languages=XLMR,
    n_languages=100,
    licence="MIT",
    reference="Conneau et al. 2020, Unsupervised Cross-lingual Representation Learning at Scale",
    trainable=True,
    description="the paper's XLM-R teacher (hub cache or a local folder)",
)
