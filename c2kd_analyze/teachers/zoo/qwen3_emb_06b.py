"""Qwen3-Embedding-0.6B: a decoder embedder; last-token pooling, left padding, an instruction.

Revision b22da495 as pinned by the MTEB registry (embeddings-benchmark/mteb@a905523d,
model_implementations/qwen3_models.py: "Instruct: {task}\\nQuery:" on queries only, no space
after "Query:") -- the commit that added the Sentence Transformers files and the tokenizer's
automatic end-of-text token. 595,776,512 parameters, 1024-d, 28 layers, 32K context,
Apache-2.0, "over 100 languages" (card). The task is the symmetric similarity one: a caption
embedding should not depend on which side reads it.
"""

from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(
    name="qwen3-emb-0.6b",
    model="Qwen/Qwen3-Embedding-0.6B",
    revision="b22da495047858cce924d27d76261e96be6febc0",
    backend="hf-pooled",
    pooling="last-token",
    padding_side="left",
    dim=1024,
    parameters=595_776_512,
    max_tokens=32768,
    n_languages=100,
    licence="Apache-2.0",
    reference="Zhang et al. 2025, Qwen3 Embedding",
    query_prompt="Instruct: Retrieve semantically similar text.\nQuery:",
    description="Qwen3-Embedding 0.6B (hub cache or a local folder)",
)
