"""The embedding cache: hits compute nothing, misses are deduped, bad shards are recomputed."""

from __future__ import annotations

import logging
import multiprocessing
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2kd_analyze.teachers import cache
from c2kd_analyze.teachers.backends.hf_pooled import HFPooledEncoder
from c2kd_analyze.teachers.cache import encode_cached, encoder_folder, forget_in_memory
from c2kd_analyze.teachers.spec import TeacherSpec

SPEC = TeacherSpec(name="tiny", model="test/tiny", backend="hf-pooled", dim=32, max_tokens=48)


class Counting:
    """A real encoder that records how many texts it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.spec, self.calls = inner, inner.spec, []

    dim = property(lambda self: self.inner.dim)
    model_id = property(lambda self: self.inner.model_id)

    def encode(self, texts, *, batch_size=64, progress=True):
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size=batch_size, progress=progress)

    @property
    def n_encoded(self):
        return sum(map(len, self.calls))


@pytest.fixture(scope="module")
def tiny_encoder(tiny_bert_dir):
    return HFPooledEncoder(SPEC, tiny_bert_dir, "test/tiny@1")


@pytest.fixture
def enc(tiny_encoder):
    forget_in_memory()
    yield Counting(tiny_encoder)
    forget_in_memory()


TEXTS = [f"a cook cuts {i} carrots" for i in range(40)]


def test_miss_then_hit(enc):
    first = encode_cached(enc, TEXTS)
    assert enc.n_encoded == 40
    np.testing.assert_allclose(first, enc.inner.encode(TEXTS), atol=1e-6)
    forget_in_memory()  # as a new process would: read the shards from disk
    second = encode_cached(enc, TEXTS)
    assert enc.n_encoded == 40, "a warm cache computes nothing"
    np.testing.assert_array_equal(first, second)


def test_only_misses_are_encoded_and_duplicates_once(enc):
    encode_cached(enc, TEXTS[:10])
    texts = TEXTS[5:20] + TEXTS[5:20] + ["new", "new"]
    out = encode_cached(enc, texts)
    assert enc.calls[-1] == [*TEXTS[10:20], "new"]
    np.testing.assert_array_equal(out[:15], out[15:30])
    np.testing.assert_allclose(out, enc.inner.encode(texts), atol=1e-6)


def test_empty_call(enc):
    assert encode_cached(enc, []).shape == (0, 32)
    assert enc.n_encoded == 0


def test_key_separates_encoders(tiny_bert_dir, tiny_encoder):
    other = HFPooledEncoder(
        TeacherSpec(name="tiny", model="test/tiny", backend="hf-pooled", dim=32, max_tokens=8),
        tiny_bert_dir, "test/tiny@1",
    )  # fmt: skip
    prefixed = HFPooledEncoder(
        TeacherSpec(name="tiny", model="test/tiny", backend="hf-pooled", dim=32, max_tokens=48,
                    query_prompt="query: "),
        tiny_bert_dir, "test/tiny@1",
    )  # fmt: skip
    folders = {encoder_folder(e) for e in (tiny_encoder, other, prefixed)}
    assert len(folders) == 3


def test_key_of_a_mean_pooled_teacher_survives_the_backend_rename(tiny_encoder, tiny_bert_dir):
    """Vectors cached when the backend was called hf-mean-pooled stay valid."""
    assert cache.encoder_key(tiny_encoder) == {
        "model_id": "test/tiny@1", "backend": "hf-mean-pooled", "pooling": "mean",
        "max_tokens": 48, "normalize": True, "prefix": "", "dim": 32,
    }  # fmt: skip
    cls = HFPooledEncoder(
        TeacherSpec(name="tiny", model="test/tiny", backend="hf-pooled", pooling="cls", dim=32,
                    max_tokens=48, query_prompt="query: "),
        tiny_bert_dir, "test/tiny@1",
    )  # fmt: skip
    key = cache.encoder_key(cls)
    assert (key["backend"], key["pooling"], key["prefix"]) == ("hf-pooled", "cls", "query: ")


def _shards(enc):
    return sorted(encoder_folder(enc).glob("shard-*.npz"))


def test_torn_write_is_never_read_as_valid(enc):
    encode_cached(enc, TEXTS[:10])
    (shard,) = _shards(enc)
    # A process killed after the data rename but before the checksum: sidecar missing.
    shard.with_name(shard.name + ".sha256").unlink()
    # A process killed mid-write leaves only a temporary file.
    (shard.parent / ".shard-x.npz.123.tmp").write_bytes(b"half a shard")
    forget_in_memory()
    out = encode_cached(enc, TEXTS[:10])
    assert enc.n_encoded == 20, "the torn shard's texts are encoded again"
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS[:10]), atol=1e-6)


def test_corrupt_shard_is_logged_and_recomputed(enc, caplog):
    encode_cached(enc, TEXTS[:10])
    (shard,) = _shards(enc)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    forget_in_memory()
    with caplog.at_level(logging.WARNING):
        out = encode_cached(enc, TEXTS[:10])
    assert "removed damaged" in caplog.text and shard.name in caplog.text
    assert enc.n_encoded == 20
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS[:10]), atol=1e-6)
    # healed: the damaged shard is gone (sidecar too), and a new process warns of nothing
    assert not shard.exists() and not shard.with_name(shard.name + ".sha256").exists()
    assert len(_shards(enc)) == 1
    forget_in_memory()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = encode_cached(enc, TEXTS[:10])
    assert caplog.text == "" and enc.n_encoded == 20
    np.testing.assert_array_equal(again, out)


def test_an_entry_that_is_a_folder_is_skipped_with_a_warning(enc, caplog):
    encode_cached(enc, TEXTS[:10])
    folder = encoder_folder(enc)
    (folder / "shard-00000000000000000000-1-deadbeef.npz").mkdir()  # nothing this cache writes
    (folder / "meta.json").unlink()
    (folder / "meta.json").mkdir()
    forget_in_memory()
    with caplog.at_level(logging.WARNING):
        out = encode_cached(enc, TEXTS[:12])
    assert "shard-00000000000000000000-1-deadbeef.npz" in caplog.text and "remove it" in caplog.text
    assert enc.n_encoded == 12, "the valid shard is read, the folder is not"
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS[:12]), atol=1e-6)
    assert (folder / "shard-00000000000000000000-1-deadbeef.npz").is_dir()  # not ours: kept


def test_a_shard_with_the_wrong_arrays_is_removed(enc, caplog):
    from c2kd_analyze import io

    encode_cached(enc, TEXTS[:10])
    (shard,) = _shards(enc)
    io.write_npz(shard, vectors=np.zeros((3, 5), np.float32))  # valid checksum, wrong contents
    forget_in_memory()
    with caplog.at_level(logging.WARNING):
        encode_cached(enc, TEXTS[:10])
    assert "removed damaged" in caplog.text and "unexpected contents" in caplog.text
    assert shard not in _shards(enc) and enc.n_encoded == 20


def test_a_damaged_shard_in_a_read_only_cache_is_skipped(enc, caplog, monkeypatch):
    from c2kd_analyze import io

    encode_cached(enc, TEXTS[:10])
    (shard,) = _shards(enc)
    shard.write_bytes(b"damaged")
    forget_in_memory()

    def read_only(path):
        raise io.write_error(path, PermissionError(13, "Permission denied"))

    monkeypatch.setattr(io, "remove", read_only)
    with caplog.at_level(logging.WARNING):
        out = encode_cached(enc, TEXTS[:10])
    assert "cannot remove it" in caplog.text and shard.exists()
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS[:10]), atol=1e-6)


def test_many_shards_are_merged(enc, monkeypatch):
    monkeypatch.setattr(cache, "MAX_SHARDS", 3)
    for i in range(8):
        encode_cached(enc, TEXTS[i * 5 : (i + 1) * 5])
    assert len(_shards(enc)) <= 3
    forget_in_memory()
    out = encode_cached(enc, TEXTS)
    assert enc.n_encoded == 40
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS), atol=1e-6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from([*TEXTS[:12], "", " ", "ünïcödé 字"]), max_size=20))
def test_cached_equals_direct_for_any_text_list(enc, texts):
    out = encode_cached(enc, texts)
    assert out.shape == (len(texts), 32) and out.dtype == np.float32
    if texts:
        np.testing.assert_allclose(out, enc.inner.encode(texts), atol=1e-5)


def _worker(args):
    cache_root, folder, texts = args
    os.environ["C2KD_CACHE"] = cache_root
    enc = HFPooledEncoder(SPEC, folder, "test/tiny@1")
    return encode_cached(enc, texts).shape


@pytest.mark.slow  # two spawned processes, each importing torch and transformers
def test_two_processes_writing_at_once(enc, tiny_bert_dir):
    root = os.environ["C2KD_CACHE"]
    jobs = [(root, str(tiny_bert_dir), TEXTS[:30]), (root, str(tiny_bert_dir), TEXTS[10:])]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert pool.map(_worker, jobs) == [(30, 32), (30, 32)]
    assert len(_shards(enc)) == 2
    out = encode_cached(enc, TEXTS)
    assert enc.n_encoded == 0, "both processes' shards are valid and complete"
    np.testing.assert_allclose(out, enc.inner.encode(TEXTS), atol=1e-6)
