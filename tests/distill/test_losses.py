"""Losses against direct numpy formulas, a hand computation, and their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from c2kd_analyze.distill.losses import (
    c2kd_kd_loss,
    cosine_sims,
    nce_loss,
    pool_teacher_sims,
)


def _log_softmax_rows(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def _nce_numpy(s: np.ndarray, t: float) -> float:
    b = s.shape[0]
    rows = _log_softmax_rows(s / t)
    cols = _log_softmax_rows(s.T / t)
    return float(-np.trace(rows) / b - np.trace(cols) / b)


def _kd_numpy(s: np.ndarray, teacher: np.ndarray, t: float) -> float:
    total = 0.0
    for a, b in ((s, teacher), (s.T, teacher.T)):
        log_q = _log_softmax_rows(a / t)
        log_p = _log_softmax_rows(b / t)
        total += float((np.exp(log_p) * (log_p - log_q)).sum() / a.shape[0])
    return total


@pytest.mark.parametrize("b", [2, 5, 17])
@pytest.mark.parametrize("temperature", [0.05, 0.1, 1.0])
def test_nce_matches_numpy_formula(b, temperature):
    rng = np.random.default_rng(b)
    s = rng.uniform(-1, 1, size=(b, b))
    got = nce_loss(torch.from_numpy(s), temperature).item()
    assert got == pytest.approx(_nce_numpy(s, temperature), rel=1e-10)


@pytest.mark.parametrize("b", [2, 5, 17])
@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_kd_matches_numpy_formula(b, temperature):
    rng = np.random.default_rng(100 + b)
    s = rng.uniform(-1, 1, size=(b, b))
    t = rng.uniform(-1, 1, size=(b, b))
    got = c2kd_kd_loss(torch.from_numpy(s), torch.from_numpy(t), temperature).item()
    assert got == pytest.approx(_kd_numpy(s, t, temperature), rel=1e-10)


def test_nce_hand_computed_2x2():
    # S = [[1, 0], [0, 1]], t = 1: each row and column is softmax([1, 0]) at the true entry,
    # so each direction is -log(e / (e + 1)) and the loss is twice that.
    s = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    expected = 2 * -math.log(math.e / (math.e + 1))
    assert nce_loss(s, 1.0).item() == pytest.approx(expected, rel=1e-12)
    # asymmetric: S = [[1, 0], [1, 0]], t = 1. Rows: row0 -log(e/(e+1)), row1 -log(1/(e+1)).
    # Columns: col0 = [1, 1] -> -log(1/2); col1 = [0, 0] -> -log(1/2).
    s = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    rows = (-math.log(math.e / (math.e + 1)) - math.log(1 / (math.e + 1))) / 2
    cols = (-math.log(0.5) - math.log(0.5)) / 2
    assert nce_loss(s, 1.0).item() == pytest.approx(rows + cols, rel=1e-12)


def test_kd_hand_computed_2x2():
    # teacher T = [[1, 0], [0, 1]], student S = 0, t = 1. Each teacher row is p = softmax([1, 0]),
    # each student row is q = [1/2, 1/2]; KL(p || q) = sum p log(2 p). Same for the columns.
    # batchmean over 2 rows of equal KL gives that KL; rows + columns gives twice it.
    p1 = math.e / (math.e + 1)
    p2 = 1 / (math.e + 1)
    kl = p1 * math.log(2 * p1) + p2 * math.log(2 * p2)
    t = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    s = torch.zeros(2, 2, dtype=torch.float64)
    assert c2kd_kd_loss(s, t, 1.0).item() == pytest.approx(2 * kl, rel=1e-12)


def test_kd_zero_when_student_equals_teacher():
    rng = np.random.default_rng(3)
    t = torch.from_numpy(rng.uniform(-1, 1, size=(8, 8)))
    assert c2kd_kd_loss(t.clone(), t, 0.1).item() == pytest.approx(0.0, abs=1e-12)
    # and strictly positive otherwise
    assert c2kd_kd_loss(t.flip(0), t, 0.1).item() > 1e-3


def test_gradients_finite_and_teacher_detached():
    torch.manual_seed(0)
    text = torch.randn(6, 16, requires_grad=True)
    video = torch.randn(6, 16, requires_grad=True)
    teacher = torch.randn(6, 6, requires_grad=True)
    s = cosine_sims(text, video)
    loss = 0.1 * nce_loss(s, 0.05) + 0.9 * c2kd_kd_loss(s, teacher, 0.1)
    loss.backward()
    for g in (text.grad, video.grad):
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0
    assert teacher.grad is None  # the teacher is a constant
    # extreme temperature: still finite (log-softmax, not log of softmax)
    s = cosine_sims(text, video)
    assert torch.isfinite(nce_loss(s, 1e-4)) and torch.isfinite(c2kd_kd_loss(s, s * 0.5, 1e-4))


def test_cosine_sims_matches_numpy():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    expected = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (
        b / np.linalg.norm(b, axis=1, keepdims=True)
    ).T
    got = cosine_sims(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pool_means_what_it_says():
    a = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    b = torch.tensor([[0.0, 3.0], [0.5, -1.0]])
    assert torch.equal(pool_teacher_sims([a, b], "max"), torch.tensor([[1.0, 3.0], [0.5, 0.0]]))
    assert torch.equal(pool_teacher_sims([a, b], "min"), torch.tensor([[0.0, -2.0], [0.5, -1.0]]))
    assert torch.equal(pool_teacher_sims([a, b], "mean"), torch.tensor([[0.5, 0.5], [0.5, -0.5]]))
    with pytest.raises(ValueError):
        pool_teacher_sims([a, b], "median")
