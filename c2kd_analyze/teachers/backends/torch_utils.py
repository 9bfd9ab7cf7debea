"""What the torch backends share: identity and device, and one encoding loop over token ids.

The loop (:func:`encode_token_ids`) is built for a GPU and pays on a CPU too: texts are tokenised
once per call (never per batch), batched by tokens in length order (a batch is as many texts as
fit a token budget at its own longest length, so short captions go in large batches and nothing
pads to a long outlier), padded with numpy from one flat id array (no ``tokenizer.pad``), and the
pooled vectors stay on the device in one preallocated buffer that is copied to the host once per
call (one call = one shard of the encoding cache), so the device never waits for the host between
batches.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...progress import progress_bar
from ..spec import EncoderIdentity

if TYPE_CHECKING:
    import torch

    from ...devices import Precision
    from ..spec import TeacherSpec

#: padded tokens per forward pass: rows x longest row. Measured for me5-small on this project's
#: 2-core CPU (bf16 and fp32 alike): throughput is flat from 2k to 8k tokens and falls below 1k.
CPU_TOKEN_BUDGET = 4096
#: an accelerator wants large batches (a GPU is starved by 64 short captions); 32k tokens of a
#: 768-wide 12-layer encoder keep activations well under 1 GB in bf16.
GPU_TOKEN_BUDGET = 32768


def encode_batch_size(device: torch.device, requested: int | None) -> int:
    """Texts per forward pass: ``requested``, else 64 on a CPU and 512 on an accelerator (a GPU
    is starved by 64 short captions; a CPU gains nothing from more)."""
    if requested:
        return int(requested)
    return 64 if device.type == "cpu" else 512


def token_budget(device: torch.device, batch_size: int | None) -> tuple[int, int]:
    """(padded tokens, texts) per forward pass on ``device``; ``batch_size`` caps the texts."""
    budget = CPU_TOKEN_BUDGET if device.type == "cpu" else GPU_TOKEN_BUDGET
    return budget, int(batch_size) if batch_size else budget


def length_batches(lengths: np.ndarray, budget: int, max_rows: int) -> list[tuple[int, int]]:
    """Cut texts sorted by length, longest first, into batches: ``(start, stop)`` slices of that
    order, each with ``rows x its longest length <= budget`` (at least one row) and at most
    ``max_rows`` rows. ``lengths``: (n,) token counts, already sorted descending."""
    out, start, n = [], 0, len(lengths)
    while start < n:
        width = max(int(lengths[start]), 1)  # the first row is the batch's longest
        rows = max(1, min(max_rows, budget // width, n - start))
        out.append((start, start + rows))
        start += rows
    return out


def padded_batch(
    flat: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, pad_id: int, left: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (rows, longest) int64 and attention mask (rows, longest) of one batch, from its
    rows' ids laid end to end in ``flat`` (``offsets``: where each row starts). Right padding
    puts a row's ids first, left padding last; both fill the mask's True cells in row order."""
    width = max(int(lengths.max()), 1)
    positions = np.arange(width)
    mask = positions >= width - lengths[:, None] if left else positions < lengths[:, None]
    ids = np.full(mask.shape, pad_id, dtype=np.int64)
    ids[mask] = flat[offsets[0] : offsets[0] + int(lengths.sum())]
    return ids, mask


def encode_token_ids(
    ids: Sequence[Sequence[int]],
    forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    dim: int,
    device: torch.device,
    pad_id: int,
    left: bool = False,
    budget: int = CPU_TOKEN_BUDGET,
    max_rows: int = CPU_TOKEN_BUDGET,
    description: str = "encoding",
    progress: bool = True,
) -> np.ndarray:
    """``forward(input_ids, attention_mask)`` -> (B, dim) over every text of ``ids`` (one list of
    token ids per text), batched by tokens in length order: float32 (n_texts, dim) on the host,
    in the order of ``ids``. The caller holds inference mode and autocast."""
    import torch

    n = len(ids)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
    order = np.argsort(-lengths, kind="stable")  # longest first: peak memory early
    lengths = lengths[order]
    flat = np.fromiter(
        itertools.chain.from_iterable(ids[i] for i in order), dtype=np.int64, count=lengths.sum()
    )
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    out = torch.empty((n, dim), dtype=torch.float32, device=device)  # sorted order, on device
    pin = device.type == "cuda"
    with progress_bar(n, description, progress) as advance:
        for start, stop in length_batches(lengths, budget, max_rows):
            batch_ids, mask = padded_batch(
                flat, offsets[start:stop], lengths[start:stop], pad_id, left
            )
            tensors = [torch.from_numpy(a) for a in (batch_ids, mask.astype(np.int64))]
            if pin:  # an asynchronous copy: the host pads the next batch meanwhile
                tensors = [t.pin_memory() for t in tensors]
            input_ids, attention_mask = (t.to(device, non_blocking=True) for t in tensors)
            out[start:stop] = forward(input_ids, attention_mask).float()
            advance(stop - start)
    host = np.empty((n, dim), dtype=np.float32)
    host[order] = out.cpu().numpy()  # the one copy to the host
    return host


class TorchEncoder(EncoderIdentity):
    """What every torch backend shares: its identity (spec, the model that actually ran, the
    autocast precision: the encoding cache's key) and the device it encodes on."""

    def __init__(
        self,
        spec: TeacherSpec,
        model_id: str,
        device: torch.device | str = "cpu",
        precision: Precision = "fp32",
    ) -> None:
        import torch

        super().__init__(spec, model_id, precision)
        self.device = torch.device(device)
