"""Bootstrap, exact sign-flip test and Holm against brute force and known cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.analysis import stats


def _brute_signflip_p(d: np.ndarray) -> float:
    observed = abs(d.sum())
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=d.size)))
    return float(np.mean(np.abs(signs @ d) >= observed - 1e-9))


THIRDS = [-1.0, -2 / 3, -1 / 3, 0.0, 1 / 3, 2 / 3, 1.0]  # hits averaged over 3 seeds


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(THIRDS), min_size=1, max_size=11))
def test_exact_signflip_matches_enumeration(values):
    d = np.array(values)
    assert stats.signflip_p(d) == pytest.approx(_brute_signflip_p(d), abs=1e-9)


def test_signflip_without_grid_returns_none():
    assert stats.signflip_p(np.array([np.pi / 10, 0.5, -np.e / 7])) is None


def test_holm_matches_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    assert stats.holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_properties(values):
    p = np.array(values)
    adj = stats.holm(p)
    assert np.all(adj >= p - 1e-15) and np.all(adj <= 1)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-15)  # monotone in the raw p-values


def _resampler(n_per_lang, b=2000, seed=0):
    return stats.make_resampler(n_per_lang, b, np.random.default_rng(seed))


def test_identical_systems_interval_contains_zero_and_p_is_one():
    rng = np.random.default_rng(1)
    hits = [rng.integers(0, 2, size=(1, 300)).astype(float) for _ in range(3)]
    res = stats.paired_test([h - h for h in hits], _resampler([300] * 3))
    assert np.all(res.diff == 0)
    assert np.all(res.low <= 0) and np.all(res.high >= 0)
    assert np.all(res.p == pytest.approx(1.0))


def test_clearly_different_systems_are_significant():
    rng = np.random.default_rng(2)
    a = [(rng.random((1, 300)) < 0.6).astype(float) for _ in range(3)]
    b = [(rng.random((1, 300)) < 0.3).astype(float) for _ in range(3)]
    res = stats.paired_test([x - y for x, y in zip(a, b, strict=True)], _resampler([300] * 3))
    assert np.all(res.p < 0.01)
    assert np.all(res.low > 0)


def test_same_rate_different_queries_is_not_significant():
    rng = np.random.default_rng(3)
    a = (rng.random((1, 400)) < 0.4).astype(float)
    b = (rng.random((1, 400)) < 0.4).astype(float)
    res = stats.paired_test([a - b], _resampler([400]))
    assert res.p[0, 0] > 0.05 or abs(res.diff[0, 0]) < 0.1


def test_monte_carlo_fallback_agrees_with_exact():
    """Averages of non-parallel languages use Monte Carlo: it must agree with the exact p."""
    rng = np.random.default_rng(4)
    d = (rng.random((1, 60)) < 0.55).astype(float) - (rng.random((1, 60)) < 0.45).astype(float)
    rs = _resampler([60], b=20000, seed=5)
    mc = stats._monte_carlo_p([d], stats.point_means([d]), rs)[0, 0]
    assert mc == pytest.approx(stats.signflip_p(d[0]), abs=0.02)


def test_bootstrap_spread_matches_binomial_standard_error():
    rng = np.random.default_rng(6)
    n = 500
    hits = [(rng.random((2, n)) < np.array([[0.2], [0.7]])).astype(float)]
    boot = stats.bootstrap_means(hits, _resampler([n], b=4000))
    p = stats.point_means(hits)[:, 0]
    se = np.sqrt(p * (1 - p) / n)
    assert boot[:, 0].std(axis=-1) == pytest.approx(se, rel=0.1)
    assert boot[:, 0].mean(axis=-1) == pytest.approx(p, abs=0.005)


def test_parallel_languages_share_resamples_and_unequal_do_not():
    par = _resampler([50, 50, 50], b=10)
    assert par.parallel and par.weights[0] is par.weights[2]
    assert np.all(par.weights[0].sum(axis=1) == 50)
    sep = _resampler([50, 40], b=10)
    assert not sep.parallel and sep.weights[1].shape == (10, 40)


def test_family_rng_depends_on_key_not_order():
    a = stats.family_rng(0, "demo", "t2v", 1).random(3)
    b = stats.family_rng(0, "demo", "t2v", 5).random(3)
    assert np.allclose(a, stats.family_rng(0, "demo", "t2v", 1).random(3))
    assert not np.allclose(a, b)
