"""XLM-R base, the paper's teacher: HF AutoModel with masked mean pooling."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="xlmr",
    model="xlm-roberta-base",
    backend="hf-mean-pooled",
    dim=768,
    max_tokens=128,
    languages=(),  # 100 CommonCrawl languages
    licence="MIT",
    reference="Conneau et al. 2020, Unsupervised Cross-lingual Representation Learning at Scale",
    trainable=True,
    description="the paper's XLM-R teacher (hub cache or a local folder)",
)
