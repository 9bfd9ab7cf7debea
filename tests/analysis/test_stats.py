"""Bootstrap, the exact sign-flip test and Holm: against brute-force enumeration, hand-computed
p-values, the type-I error rate over simulated null data, power on a clear effect, and the
coverage of the intervals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.analysis import stats


def _brute_signflip_p(d: np.ndarray) -> float:
    """Two-sided p by enumerating all 2^n sign vectors."""
    observed = abs(d.sum())
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=d.size)))
    return float(np.mean(np.abs(signs @ d) >= observed - 1e-9))


THIRDS = [-1.0, -2 / 3, -1 / 3, 0.0, 1 / 3, 2 / 3, 1.0]  # hits averaged over 3 seeds


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(THIRDS), min_size=1, max_size=11))
def test_exact_signflip_matches_enumeration(values):
    d = np.array(values)
    assert stats.signflip_p(d) == pytest.approx(_brute_signflip_p(d), abs=1e-9)


@pytest.mark.parametrize(
    ("d", "p"),
    [
        ([1, 1, 1], 2 / 8),  # only +++ and --- reach |3|
        ([1, 1, 1, 0], 2 / 8),  # a tie changes nothing
        ([1, 1, 1, 1, 1], 2 / 32),
        ([1, 1, 1, 1, 1, 1], 2 / 64),  # the smallest two-sided p with six discordant queries
        ([1, -1], 1.0),
        ([1, 0.5], 2 / 4),  # sums +-1.5, +-0.5: |1.5| twice out of four
        ([1, 1, -1, 0.5], 10 / 16),  # |sum| >= 1.5: 4 with |+-1+-1+-1| = 3, 6 with 1 + 0.5
        ([0, 0, 0], 1.0),
    ],
)
def test_exact_signflip_hand_computed(d, p):
    assert stats.signflip_p(np.array(d, dtype=float)) == pytest.approx(p, abs=1e-12)


def test_signflip_without_grid_returns_none():
    assert stats.signflip_p(np.array([np.pi / 10, 0.5, -np.e / 7])) is None


def test_parallel_average_p_flips_whole_clips():
    """Parallel languages: the average's p flips one sign per clip in every language at once."""
    en = np.array([[1.0, 1.0, 0.0, 1.0, -1.0]])
    de = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    rs = stats.make_resampler([5, 5], 200, np.random.default_rng(0), parallel=True)
    res = stats.paired_test([en, de], rs)
    per_clip = (en[0] + de[0]) / 2  # [1, .5, .5, 1, -.5]
    assert res.p[0, 2] == pytest.approx(_brute_signflip_p(per_clip))
    assert res.p[0, 0] == pytest.approx(_brute_signflip_p(en[0]))
    assert res.exact.all()


def test_languages_with_equal_counts_but_other_clips_are_resampled_apart():
    """Same number of queries is not enough: unless told parallel, each language is on its own,
    and the average's p (no per-clip pairing) is a Monte Carlo estimate."""
    rs = stats.make_resampler([50, 50], 10, np.random.default_rng(1))
    assert not rs.parallel and rs.weights[0] is not rs.weights[1]
    assert not np.array_equal(rs.weights[0], rs.weights[1])
    rng = np.random.default_rng(2)
    d = [(rng.random((1, 50)) < 0.5) * 1.0 - (rng.random((1, 50)) < 0.5) for _ in range(2)]
    res = stats.paired_test(d, rs)
    assert res.exact.tolist() == [[True, True, False]]
    with pytest.raises(ValueError, match="equal query counts"):
        stats.make_resampler([50, 40], 10, np.random.default_rng(1), parallel=True)


def _simulated_pairs(n_sims: int, n: int, rate_a: float, rate_b: float, seed: int):
    rng = np.random.default_rng(seed)
    a = (rng.random((n_sims, n)) < rate_a).astype(float)
    b = (rng.random((n_sims, n)) < rate_b).astype(float)
    return a - b


def _sign_test_size(m: int, alpha: float) -> float:
    """Chance that the two-sided sign test of ``m`` discordant queries rejects a true null: the
    binomial(m, 1/2) mass of the counts whose p-value is below ``alpha`` (textbook formula)."""
    from math import comb

    pmf = [comb(m, k) / 2**m for k in range(m + 1)]

    def p(k: int) -> float:  # two-sided: counts at least as far from m / 2 as k
        return sum(q for j, q in enumerate(pmf) if abs(2 * j - m) >= abs(2 * k - m))

    return sum(q for k, q in enumerate(pmf) if p(k) < alpha)


def test_type_one_error_matches_the_exact_size():
    """1000 null data sets (both systems hit 40% of 60 queries at random): the share rejected at
    alpha matches the exact size of the sign test given each set's discordant queries (within
    three binomial standard errors), so a p-value off by a factor of two would fail."""
    n_sims, alpha = 1000, stats.ALPHA
    d = _simulated_pairs(n_sims, 60, 0.4, 0.4, seed=3)
    res = stats.paired_test([d], stats.make_resampler([60], 100, np.random.default_rng(4)))
    rate = float(np.mean(res.p[:, 0] < alpha))
    sizes = {m: _sign_test_size(m, alpha) for m in set((d != 0).sum(axis=1).tolist())}
    expected = float(np.mean([sizes[m] for m in (d != 0).sum(axis=1).tolist()]))
    assert expected <= alpha  # an exact test never exceeds its level
    assert abs(rate - expected) <= 3 * np.sqrt(expected * (1 - expected) / n_sims)


def test_power_on_a_clear_effect():
    """60% against 30% of 100 queries: the test finds the difference in nearly every data set."""
    d = _simulated_pairs(200, 100, 0.6, 0.3, seed=5)
    res = stats.paired_test([d], stats.make_resampler([100], 100, np.random.default_rng(6)))
    assert float(np.mean(res.p[:, 0] < stats.ALPHA)) >= 0.9
    assert float(np.mean(res.low[:, 0] > 0)) >= 0.9  # the paired interval excludes zero too


def test_identical_systems_interval_is_zero_and_p_is_one():
    rng = np.random.default_rng(1)
    hits = [rng.integers(0, 2, size=(1, 300)).astype(float) for _ in range(3)]
    rs = stats.make_resampler([300] * 3, 500, np.random.default_rng(0), parallel=True)
    res = stats.paired_test([h - h for h in hits], rs)
    assert np.all(res.diff == 0) and np.all(res.low == 0) and np.all(res.high == 0)
    assert np.all(res.p == 1.0)


def test_bootstrap_interval_coverage():
    """95% percentile intervals of a recall cover the true rate in about 95% of 300 data sets."""
    rng = np.random.default_rng(7)
    n, true = 200, 0.3
    hits = (rng.random((300, n)) < true).astype(float)  # 300 "systems", one data set each
    boot = stats.bootstrap_means([hits], stats.make_resampler([n], 1000, rng))
    low, high = stats.percentile_interval(boot[:, 0])
    coverage = float(np.mean((low <= true) & (true <= high)))
    assert 0.90 <= coverage <= 0.99


def test_monte_carlo_fallback_agrees_with_exact():
    """Averages of non-parallel languages use Monte Carlo: it must agree with the exact p."""
    rng = np.random.default_rng(4)
    d = (rng.random((1, 60)) < 0.55).astype(float) - (rng.random((1, 60)) < 0.45).astype(float)
    rs = stats.make_resampler([60], 20000, np.random.default_rng(5))
    mc = stats._monte_carlo_p([d], stats.point_means([d]), rs)[0, 0]
    assert mc == pytest.approx(stats.signflip_p(d[0]), abs=0.02)


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


def test_bootstrap_spread_matches_binomial_standard_error():
    rng = np.random.default_rng(6)
    n = 500
    hits = [(rng.random((2, n)) < np.array([[0.2], [0.7]])).astype(float)]
    boot = stats.bootstrap_means(hits, stats.make_resampler([n], 4000, np.random.default_rng(0)))
    p = stats.point_means(hits)[:, 0]
    se = np.sqrt(p * (1 - p) / n)
    assert boot[:, 0].std(axis=-1) == pytest.approx(se, rel=0.1)
    assert boot[:, 0].mean(axis=-1) == pytest.approx(p, abs=0.005)


def test_parallel_languages_share_resamples():
    par = stats.make_resampler([50, 50, 50], 10, np.random.default_rng(0), parallel=True)
    assert par.parallel and par.weights[0] is par.weights[2]
    assert np.all(par.weights[0].sum(axis=1) == 50)
    sep = stats.make_resampler([50, 40], 10, np.random.default_rng(0))
    assert not sep.parallel and sep.weights[1].shape == (10, 40)


def test_family_rng_depends_on_key_not_order():
    a = stats.family_rng(0, "demo", "t2v", 1).random(3)
    b = stats.family_rng(0, "demo", "t2v", 5).random(3)
    assert np.allclose(a, stats.family_rng(0, "demo", "t2v", 1).random(3))
    assert not np.allclose(a, b)
