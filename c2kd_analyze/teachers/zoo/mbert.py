"""mBERT, the paper's teacher: HF AutoModel with masked mean pooling.

Checked against the hub page of google-bert/bert-base-multilingual-uncased (the old id redirects
there): commit list ending at 1ff074ba (Mar 2024, "Adding ONNX file"; the weights date from 2019),
card "102 languages", Apache-2.0; 167,356,416 parameters counted from its config (BERT-base,
vocabulary 105,879).
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="mbert",
    model="bert-base-multilingual-uncased",
    revision="1ff074baabe4fb7ba0f3dab68af55d91126da11f",
    backend="hf-pooled",
    pooling="mean",
    dim=768,
    parameters=167_356_416,
    max_tokens=128,
    n_languages=102,  # the Wikipedia languages; the card lists names, not codes
    licence="Apache-2.0",
    reference="Devlin et al. 2019, BERT (multilingual uncased)",
    trainable=True,
    description="the paper's mBERT teacher (hub cache or a local folder)",
)
