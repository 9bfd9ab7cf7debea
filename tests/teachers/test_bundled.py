"""The three bundled teachers, for real: contract, translation retrieval, the English control."""

from __future__ import annotations

import numpy as np
import pytest

from c2kd_analyze.teachers import get_spec, load_teacher
from c2kd_analyze.teachers.cache import encode_cached, encoder_key, forget_in_memory
from c2kd_analyze.teachers.check import check_teacher, translation_recall_at_1
from c2kd_analyze.teachers.loader import find_teacher
from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

pytestmark = pytest.mark.slow
BUNDLED = ("muse", "me5-small", "minilm-en")


@pytest.fixture(scope="module")
def reports():
    return {name: check_teacher(name) for name in BUNDLED}


def test_translation_recall_reference():
    """A hand-made case: row 0 finds its pair; rows 1 and 2 each prefer the other's."""
    src = np.eye(3, dtype=np.float32)
    tgt = np.array([[1, 0, 0], [0, 0.2, 0.9], [0, 0.5, 0.8]], dtype=np.float32)
    assert translation_recall_at_1(src, tgt) == pytest.approx(1 / 3)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_contract(reports, name):
    r = reports[name]
    assert r.ok and r.dim == get_spec(name).dim and r.max_norm_error < 1e-4
    assert set(r.recall_at_1) == {"de", "zh", "fr", "es"}


def test_muse_retrieves_every_translation(reports):
    assert reports["muse"].recall_at_1 == {"de": 1.0, "zh": 1.0, "fr": 1.0, "es": 1.0}


def test_me5_retrieves_translations(reports):
    r = reports["me5-small"].recall_at_1
    assert min(r.values()) >= 0.85 and np.mean(list(r.values())) >= 0.9


def test_multilingual_teachers_clearly_beat_the_english_only_one(reports):
    minilm = reports["minilm-en"].recall_at_1
    assert np.mean(list(minilm.values())) < 0.5
    for name in ("muse", "me5-small"):
        for lang, r1 in reports[name].recall_at_1.items():
            assert r1 >= minilm[lang] + 0.4, (name, lang, r1, minilm[lang])


def test_warm_cache_encodes_nothing_with_a_real_teacher():
    enc = load_teacher("muse")
    texts = [t for lang in PARALLEL_CAPTIONS.values() for t in lang]
    calls = []
    inner = enc.encode

    def counting(t, batch_size=64, progress=True):
        calls.append(len(t))
        return inner(t, batch_size=batch_size, progress=progress)

    enc.encode = counting
    cold = encode_cached(enc, texts)
    forget_in_memory()
    warm = encode_cached(enc, texts)
    assert calls == [len(texts)]
    np.testing.assert_array_equal(cold, warm)
    np.testing.assert_allclose(cold, inner(texts), atol=1e-6)


@pytest.mark.parametrize("name", BUNDLED)
def test_deferred_teacher_reads_the_cache_without_loading_its_model(name):
    """``find_teacher`` (what a run uses): the cache key is the loaded model's, and a fully
    cached encode never loads the model."""
    texts = PARALLEL_CAPTIONS["en"]
    loaded = load_teacher(name)
    cold = encode_cached(loaded, texts)
    forget_in_memory()
    deferred = find_teacher(name)
    assert encoder_key(deferred) == encoder_key(loaded)
    np.testing.assert_array_equal(encode_cached(deferred, texts), cold)
    assert deferred._loaded is None  # every text came from the cache
    new = ["a caption the cache has never seen"]
    np.testing.assert_allclose(encode_cached(deferred, new), loaded.encode(new), atol=1e-6)
    assert deferred._loaded is not None
