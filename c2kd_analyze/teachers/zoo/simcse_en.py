"""Supervised SimCSE (RoBERTa-base): the paper's English-only teacher.

Revision 4bf73c6b: the hub file pages of princeton-nlp/sup-simcse-roberta-base (tokenizer_config
at blob/4bf73c6b..., the repo has no card) and HF-cache snapshot paths. RoBERTa-base config (768,
514 positions, 124,645,632 parameters with the pooler). Pooling as princeton-nlp/SimCSE's
simcse/tool.py (@4461daa8) embeds: ``pooler_output``, the [CLS] state through the trained MLP.
Licence: the SimCSE repository's MIT.
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="simcse-en",
    model="princeton-nlp/sup-simcse-roberta-base",
    revision="4bf73c6b5df517f74188c5e9ec159b2208c89c08",
    backend="hf-pooled",
    pooling="pooler",
    dim=768,
    parameters=124_645_632,
    max_tokens=128,  # SimCSE's own encode() truncates at 128
    languages=("en",),
    licence="MIT",
    reference="Gao, Yao & Chen 2021, SimCSE: Simple Contrastive Learning of Sentence Embeddings",
    trainable=True,
    description="the paper's English-only supervised SimCSE teacher",
)
