"""The frozen-encoding loop (tokenise once, batch by tokens in length order, pad with numpy, one
copy to the host) against naive references, and its GPU-shaped contract on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.teachers.backends.torch_utils import (
    encode_token_ids,
    length_batches,
    padded_batch,
)

id_lists = st.lists(st.lists(st.integers(2, 99), min_size=1, max_size=30), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=200), st.integers(1, 400),
       st.integers(1, 40))  # fmt: skip
def test_length_batches_cover_every_text_once_within_the_budget(lengths, budget, max_rows):
    lengths = np.sort(np.array(lengths))[::-1]
    batches = length_batches(lengths, budget, max_rows)
    assert [a for a, _ in batches] == [0] + [b for _, b in batches[:-1]]  # contiguous, in order
    assert batches[-1][1] == len(lengths)
    for start, stop in batches:
        rows = stop - start
        assert 1 <= rows <= max_rows
        # padded size within the budget, unless one text alone is longer than it
        assert rows * lengths[start] <= budget or rows == 1
        # and greedy: one more row would have broken a limit (or there was none left)
        if stop < len(lengths):
            assert rows == max_rows or (rows + 1) * lengths[start] > budget


@settings(max_examples=200, deadline=None)
@given(id_lists, st.booleans())
def test_padded_batch_matches_a_row_by_row_fill(ids, left):
    lengths = np.array([len(x) for x in ids])
    flat = np.array([t for x in ids for t in x])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    got, mask = padded_batch(flat, offsets[:-1], lengths, pad_id=1, left=left)
    width = lengths.max()
    want = np.full((len(ids), width), 1)
    want_mask = np.zeros((len(ids), width), bool)
    for r, x in enumerate(ids):
        cols = slice(width - len(x), width) if left else slice(0, len(x))
        want[r, cols], want_mask[r, cols] = x, True
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(mask, want_mask)


@settings(max_examples=60, deadline=None)
@given(id_lists, st.booleans(), st.integers(1, 200), st.integers(1, 16))
def test_the_loop_returns_each_texts_own_vector_in_input_order(ids, left, budget, max_rows):
    """A forward whose output for a row depends only on that row's real tokens (a masked sum
    of id embeddings): the loop's result equals encoding every text on its own."""
    table = torch.randn(100, 5, generator=torch.Generator().manual_seed(0))
    calls = []

    def forward(input_ids, attention_mask):
        calls.append(tuple(input_ids.shape))
        assert input_ids.dtype == torch.int64 and attention_mask.shape == input_ids.shape
        return (table[input_ids] * attention_mask[..., None]).sum(dim=1)

    got = encode_token_ids(ids, forward, dim=5, device=torch.device("cpu"), pad_id=1,
                           left=left, budget=budget, max_rows=max_rows, progress=False)  # fmt: skip
    want = np.stack([table[torch.tensor(x)].sum(dim=0).numpy() for x in ids])
    assert got.dtype == np.float32 and got.shape == (len(ids), 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert sum(rows for rows, _ in calls) == len(ids)
    widths = [width for _, width in calls]
    assert widths == sorted(widths, reverse=True)  # longest first


def test_outputs_stay_on_the_device_until_one_copy():
    """On the ``meta`` device (shapes, no data) the loop runs with no value read back to the
    host in between: every batch's output is written into one device buffer; only the final
    ``.cpu()`` would need data, so it is the first thing that fails."""
    ids = [[5, 6, 7], [8, 9], [10, 11, 12, 13], [14]]
    calls = []

    def forward(input_ids, attention_mask):
        assert input_ids.device.type == "meta" and attention_mask.device.type == "meta"
        calls.append(input_ids.shape[0])
        return torch.zeros(input_ids.shape[0], 4, device="meta")

    with pytest.raises(NotImplementedError):  # meta -> cpu: the one copy, at the end
        encode_token_ids(ids, forward, dim=4, device=torch.device("meta"), pad_id=0,
                         budget=8, max_rows=2, progress=False)  # fmt: skip
    assert calls == [2, 2]  # both batches ran before anything was read back
