"""mBERT, the paper's teacher: HF AutoModel with masked mean pooling."""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="mbert",
    model="bert-base-multilingual-uncased",
    backend="hf-mean-pooled",
    dim=768,
    max_tokens=128,
    languages=(),  # 102 Wikipedia languages
    licence="Apache-2.0",
    reference="Devlin et al. 2019, BERT (multilingual uncased)",
    trainable=True,
    description="the paper's mBERT teacher (hub cache or a local folder)",
)
