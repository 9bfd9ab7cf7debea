"""Bootstrap intervals and paired tests over queries, vectorised with numpy.

Everything works on per-query hits: ``hits[l]`` is an ``(n_systems, n_l)`` float array for
language ``l`` whose entry is 1 when the system ranked that query's true item within the top k
(averaged over seeds when there are several, and a probability under the ``mean`` tie policy, so
a value may lie between 0 and 1). A recall is the mean of a row.

**Intervals: percentile bootstrap over queries.** A bootstrap resample of ``n`` queries is a count
vector ``w`` (multinomial, summing to ``n``), and the resampled recall of every system at once is
``hits @ w / n``. When the languages are *parallel* (query ``q`` is the same clip in every
language: the caller compares the clips, :attr:`hits.QueryHits.parallel`), one set of count
vectors is shared by all languages, so the language average is resampled as the clips it is made
of, keeping the correlation between languages. Otherwise (a language lacks captions for some
clips) each language is resampled on its own.

**Tests: the paired sign-flip test.** For systems a and b, ``d = hits_a - hits_b`` per query.
Under the null hypothesis the two systems are exchangeable on each query, so ``d_q`` and
``-d_q`` are equally likely; the two-sided p-value is the share of the ``2^n`` sign vectors ``s``
with ``|sum(s_q d_q)| >= |sum(d_q)|`` (for the parallel average: one sign per clip, flipping all
its languages at once). It is computed **exactly** whenever ``d`` lies on a grid ``1 / s`` with
``s <= MAX_SCALE`` (always for 0/1 hits averaged over seeds, so for every language, and for the
parallel average): the distribution of the signed sum is a convolution of scaled binomials, one
FFT (:func:`signflip_p`). Otherwise (the average of non-parallel languages; fractional hits of
the ``mean`` tie policy) it is a Monte Carlo estimate over ``n_resamples`` random sign vectors,
``(1 + #{|perm| >= |observed|}) / (1 + n_resamples)``; :attr:`PairedResult.exact` says which.
Exactness matters: with Holm over dozens of tests, a Monte Carlo floor of ``1 / 1001`` would make
nothing significant. The interval of a difference is the paired bootstrap (the same count vectors
for both systems).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

#: two-sided level of every interval and test in the report
ALPHA = 0.05


@dataclass(frozen=True)
class Resampler:
    """Shared random draws for one family of comparisons (one dataset, direction and k).

    ``weights[l]``: ``(n_resamples, n_l)`` bootstrap counts; ``flips[l]``: ``(n_resamples, n_l)``
    signs in {-1, +1}. Parallel languages share the very same arrays.
    """

    weights: tuple[np.ndarray, ...]
    flips: tuple[np.ndarray, ...]
    parallel: bool

    @property
    def n_resamples(self) -> int:
        return int(self.weights[0].shape[0])


def family_rng(seed: int, *key: object) -> np.random.Generator:
    """A generator that depends on the seed and on the family's name, not on call order."""
    entropy = [int(seed)] + [zlib.crc32(str(part).encode()) for part in key]
    return np.random.default_rng(entropy)


def make_resampler(
    n_per_lang: list[int], n_resamples: int, rng: np.random.Generator, *, parallel: bool = False
) -> Resampler:
    """Draw bootstrap counts and sign flips, one set per language, or one set shared by all
    languages when ``parallel`` (the caller knows the query sets are the same clips)."""
    if parallel and len(set(n_per_lang)) != 1:
        raise ValueError(f"parallel languages need equal query counts, got {n_per_lang}")
    if parallel:
        n = n_per_lang[0]
        w = _bootstrap_counts(n, n_resamples, rng)
        f = _signs(n, n_resamples, rng)
        return Resampler((w,) * len(n_per_lang), (f,) * len(n_per_lang), True)
    ws = tuple(_bootstrap_counts(n, n_resamples, rng) for n in n_per_lang)
    fs = tuple(_signs(n, n_resamples, rng) for n in n_per_lang)
    return Resampler(ws, fs, False)


def _bootstrap_counts(n: int, b: int, rng: np.random.Generator) -> np.ndarray:
    # float so that `hits @ w.T` is one BLAS call; counts are exact in float64
    return rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(np.float64)


def _signs(n: int, b: int, rng: np.random.Generator) -> np.ndarray:
    return (2.0 * rng.integers(0, 2, size=(b, n)) - 1.0).astype(np.float64)


def bootstrap_means(hits: list[np.ndarray], rs: Resampler) -> np.ndarray:
    """Resampled recalls ``(n_systems, n_langs + 1, n_resamples)``; the last slot: the average."""
    if rs.parallel:  # one matrix product for every system and language
        h = np.stack(hits, axis=1)  # (S, L, n)
        stacked = (h.reshape(-1, h.shape[2]) @ rs.weights[0].T).reshape(*h.shape[:2], -1) / h.shape[
            2
        ]
    else:
        per_lang = [h @ w.T / h.shape[1] for h, w in zip(hits, rs.weights, strict=True)]
        stacked = np.stack(per_lang, axis=1)  # (S, L, B)
    return np.concatenate([stacked, stacked.mean(axis=1, keepdims=True)], axis=1)


def point_means(hits: list[np.ndarray]) -> np.ndarray:
    """Observed recalls: ``(n_systems, n_langs + 1)``; the last column is the language average."""
    per_lang = np.stack([h.mean(axis=1) for h in hits], axis=1)
    return np.concatenate([per_lang, per_lang.mean(axis=1, keepdims=True)], axis=1)


def percentile_interval(
    samples: np.ndarray, level: float = 1 - ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the last axis: ``(low, high)``, each ``samples.shape[:-1]``."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail], axis=-1)
    return low, high


@dataclass(frozen=True)
class PairedResult:
    """Paired comparisons of P pairs over L languages plus the average (last column).

    Every array is ``(P, L + 1)``: ``diff`` the observed difference of recalls (a - b), ``low`` and
    ``high`` its paired-bootstrap interval, ``p`` the two-sided sign-flip p-value, ``exact``
    whether that p-value is exact (else Monte Carlo).
    """

    diff: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p: np.ndarray
    exact: np.ndarray


def paired_test(diffs: list[np.ndarray], rs: Resampler) -> PairedResult:
    """Test P pairs at once; ``diffs[l]`` is ``(P, n_l)``: per-query hits of a minus hits of b."""
    observed = point_means(diffs)
    boot = bootstrap_means(diffs, rs)
    low, high = percentile_interval(boot)
    per_query = list(diffs)
    if rs.parallel:  # the average's per-query difference: one value per clip
        per_query.append(np.mean(np.stack(diffs, axis=1), axis=1))
    p = np.full(observed.shape, np.nan)
    for j, d in enumerate(per_query):
        for i in range(d.shape[0]):
            exact = signflip_p(d[i])
            p[i, j] = np.nan if exact is None else exact
    todo = np.isnan(p)
    if todo.any():
        p[todo] = _monte_carlo_p(diffs, observed, rs)[todo]
    return PairedResult(observed, low, high, p, ~todo)


def _monte_carlo_p(diffs: list[np.ndarray], observed: np.ndarray, rs: Resampler) -> np.ndarray:
    perm_lang = [d @ f.T / d.shape[1] for d, f in zip(diffs, rs.flips, strict=True)]
    perm = np.stack(perm_lang, axis=1)  # (P, L, B)
    perm = np.concatenate([perm, perm.mean(axis=1, keepdims=True)], axis=1)
    # a tolerance so that ties with the observed value (all of them, for identical systems) count
    extreme = np.abs(perm) >= np.abs(observed)[..., None] - 1e-12
    return (1.0 + extreme.sum(axis=-1)) / (1.0 + rs.n_resamples)


#: largest grid denominator for the exact test (seeds x languages stay far below it)
MAX_SCALE = 5040


def signflip_p(d: np.ndarray) -> float | None:
    """Exact two-sided p-value of the sign-flip test of ``mean(d) = 0``; ``d`` is ``(n,)``.

    Returns None when ``d`` is not on a grid ``1 / s`` with ``s <= MAX_SCALE``.

    >>> signflip_p(np.array([1.0, 1.0, 1.0]))  # P(|sum| >= 3) over 8 sign vectors = 2/8
    0.25
    """
    scale = _grid_scale(d)
    if scale is None:
        return None
    ints = np.rint(d * scale).astype(np.int64)
    observed = abs(int(ints.sum()))
    mags = np.abs(ints[ints != 0])
    if mags.size == 0:
        return 1.0
    # The sum of independent +-a_q has characteristic function prod_q cos(w a_q); sampled at the
    # m-th roots of unity (m > the support's width, so nothing wraps), one FFT gives the exact pmf.
    values, counts = np.unique(mags, return_counts=True)
    total = int(mags.sum())
    m = 2 * total + 1
    omega = 2 * np.pi * np.arange(m) / m
    phi = np.prod(np.cos(np.outer(values, omega)) ** counts[:, None], axis=0)
    pmf = np.fft.ifft(phi).real  # pmf[i] = P(sum = i) for i <= total, P(sum = i - m) above
    t = np.arange(m)
    t = np.where(t <= total, t, m - t)  # |sum|
    return float(np.clip(pmf[t >= observed].sum(), 0.0, 1.0))


def _grid_scale(d: np.ndarray) -> int | None:
    """Smallest ``s`` (<= MAX_SCALE) with ``d * s`` integral, from the distinct values of ``d``."""
    import math
    from fractions import Fraction

    values = np.unique(np.abs(d))
    if values.size > 10_000:
        return None
    scale = 1
    for v in values:
        frac = Fraction(float(v)).limit_denominator(MAX_SCALE)
        if abs(float(frac) - v) > 1e-9:
            return None
        scale = math.lcm(scale, frac.denominator)
        if scale > MAX_SCALE:
            return None
    return scale


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values for one family (any shape; NaN entries are left out).

    >>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    flat = np.asarray(p, dtype=float).ravel()
    out = np.full_like(flat, np.nan)
    ok = np.flatnonzero(~np.isnan(flat))
    m = ok.size
    if m == 0:
        return out.reshape(np.shape(p))
    order = ok[np.argsort(flat[ok], kind="stable")]
    scaled = (m - np.arange(m)) * flat[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out.reshape(np.shape(p))
