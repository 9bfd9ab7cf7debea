"""Tiny Hugging Face towers with real tokenizers for the training-step tests: the same fixtures
the teacher tests build (tests/teachers/conftest.py), borrowed rather than built twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "teachers_conftest", Path(__file__).parents[1] / "teachers" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_teachers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_teachers)

minilm_dir = _teachers.minilm_dir
tiny_bert_dir = _teachers.tiny_bert_dir
xlmr_tokenizer_dir = _teachers.xlmr_tokenizer_dir
tiny_xlmr_dir = _teachers.tiny_xlmr_dir
tiny_distilbert_dir = _teachers.tiny_distilbert_dir
tiny_mpnet_dir = _teachers.tiny_mpnet_dir
tiny_roberta_dir = _teachers.tiny_roberta_dir
tiny_qwen3_dir = _teachers.tiny_qwen3_dir
