"""``pool``/``pool_output`` against a naive per-row reference, under left and right padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.teachers.pooling import pool, pool_output


def naive(hidden: np.ndarray, mask: np.ndarray, how: str) -> np.ndarray:
    """Row by row: keep the real positions, then mean / first / last of them."""
    out = np.zeros((hidden.shape[0], hidden.shape[2]), dtype=np.float64)
    for b in range(hidden.shape[0]):
        real = hidden[b, mask[b].astype(bool)]
        if len(real):
            out[b] = {"mean": real.mean(0), "cls": real[0], "last-token": real[-1]}[how]
    return out


@st.composite
def padded_batches(draw):
    """(hidden (B, L, H), mask (B, L)) with each row padded on the left or on the right."""
    b, length, h = draw(st.integers(1, 5)), draw(st.integers(1, 9)), draw(st.integers(1, 4))
    side = draw(st.sampled_from(["left", "right", "mixed"]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(b, length, h))
    mask = np.zeros((b, length), dtype=np.int64)
    for i in range(b):
        n = draw(st.integers(0, length))
        left = side == "left" or (side == "mixed" and i % 2 == 1)
        if left:
            mask[i, length - n :] = 1
        else:
            mask[i, :n] = 1
    return hidden, mask


@pytest.mark.parametrize("how", ["mean", "cls", "last-token"])
@settings(max_examples=60, deadline=None)
@given(batch=padded_batches())
def test_pool_matches_naive_reference(how, batch):
    hidden, mask = batch
    got = pool(torch.from_numpy(hidden), torch.from_numpy(mask), how).numpy()
    np.testing.assert_allclose(got, naive(hidden, mask, how), atol=1e-12)


def test_cls_and_last_token_pick_the_right_position_under_both_paddings():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float32).reshape(2, 4, 1)  # value = position
    right = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    assert pool(hidden, right, "cls").flatten().tolist() == [0.0, 4.0]
    assert pool(hidden, right, "last-token").flatten().tolist() == [1.0, 7.0]
    assert pool(hidden, left, "cls").flatten().tolist() == [2.0, 4.0]
    assert pool(hidden, left, "last-token").flatten().tolist() == [3.0, 7.0]


def test_padding_states_that_are_nan_do_not_leak():
    """A left-padded decoder's pad rows can be NaN; no pooling may propagate them."""
    hidden = torch.tensor([[[float("nan")], [1.0], [3.0]]])
    mask = torch.tensor([[0, 1, 1]])
    for how, want in [("mean", 2.0), ("cls", 1.0), ("last-token", 3.0)]:
        assert pool(hidden, mask, how).item() == want


def test_all_padding_row_gives_zeros():
    hidden = torch.ones(1, 3, 2)
    mask = torch.zeros(1, 3, dtype=torch.long)
    for how in ("mean", "cls", "last-token"):
        assert torch.equal(pool(hidden, mask, how), torch.zeros(1, 2))


def test_pool_output_reads_the_pooler_and_refuses_what_it_cannot_pool():
    class Out:
        last_hidden_state = torch.ones(1, 2, 3)
        pooler_output = torch.full((1, 3), 7.0)

    mask = torch.ones(1, 2, dtype=torch.long)
    assert torch.equal(pool_output(Out(), mask, "pooler"), Out.pooler_output)
    assert torch.equal(pool_output(Out(), mask, "mean"), torch.ones(1, 3))
    with pytest.raises(ValueError, match="not computed from token states"):
        pool(Out.last_hidden_state, mask, "dan-cnn")
    Out.pooler_output = None
    with pytest.raises(ValueError, match="needs a model with a pooler layer"):
        pool_output(Out(), mask, "pooler")
