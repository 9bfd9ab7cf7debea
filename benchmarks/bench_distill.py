"""Retrieval metrics: our ``retrieval_metrics`` (per-query counts of items above and tied with
the true item, two comparisons per cache-sized chunk of rows) against the plain sort-based way,
on 9 languages of N x N similarity matrices.

Two references, both sorting every row:

- ``sort_based``: the original code's (model/metric.py): sort, first position of the true score
  (optimistic ranks only, no tie counts);
- ``sort_ties``: the same sort, then each query's position found from both sides
  (``searchsorted`` left and right), which gives the counts ours gives (higher and tied), so
  both sides do the same work.

``ratio`` = reference seconds / ours (above 1: ours is faster). Matrices: scores like a trained
model's (true pair boosted) and, in --quick too, 3000 x 3000 scores with no signal (every query
far from the top: the worst case for nothing) and 3000 x 3000 scores rounded to 0.01, where most
queries tie with some items (the case the tie counts are for).
"""

from __future__ import annotations

import time

import numpy as np

N_LANGUAGES = 9


def sort_based_metrics(sims: np.ndarray, ks=(1, 5, 10)) -> dict[str, float]:
    """As the C2KD code (model/metric.py): full row sort, first position of the true score."""
    sorted_neg = np.sort(-sims, axis=1)
    diag = np.diag(-sims)[:, None]
    rows, cols = np.where(sorted_neg - diag == 0)
    _, first = np.unique(rows, return_index=True)  # first hit = optimistic tie-breaking
    ranks = cols[first] + 1
    out = {f"R{k}": float((ranks <= k).mean()) for k in ks}
    out["MedR"] = float(np.median(ranks))
    out["MeanR"] = float(ranks.mean())
    return out


def sort_tie_counts(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(higher, tied) per query, sort-based: each row sorted, the true score's block of equal
    scores found by binary search from the left and from the right."""
    ordered = np.sort(sims, axis=1)
    n_items = sims.shape[1]
    higher = np.empty(sims.shape[0], dtype=np.int64)
    tied = np.empty(sims.shape[0], dtype=np.int64)
    for i, row in enumerate(ordered):
        left = np.searchsorted(row, sims[i, i], side="left")
        right = np.searchsorted(row, sims[i, i], side="right")
        higher[i], tied[i] = n_items - right, right - left - 1
    return higher, tied


def ours(sims: np.ndarray, ks=(1, 5, 10)) -> dict[str, float]:
    from c2kd_analyze.distill.metrics import retrieval_metrics

    m = retrieval_metrics(sims, ks=ks)
    return {**{f"R{k}": m.recall[k] for k in ks}, "MedR": m.median_rank, "MeanR": m.mean_rank}


def ours_counts(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from c2kd_analyze.distill.metrics import retrieval_metrics

    m = retrieval_metrics(sims, ks=(1, 5, 10))
    return m.higher, m.tied


def _time(fn, mats, repeats: int = 5) -> tuple[float, list]:
    """Best of ``repeats`` passes over ``mats`` (a shared machine: the least disturbed pass)."""
    best, out = float("inf"), []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = [fn(m) for m in mats]
        best = min(best, time.perf_counter() - t0)
    return best, out


def _matrices(n: int, signal: float, step: float = 0.0) -> list[np.ndarray]:
    """float32 as evaluation uses; ``signal`` boosts the true pair as a trained model does;
    ``step`` > 0 rounds every score to a multiple of it, so ties are common (as duplicate
    captions or clips, or a reduced-precision model's scores, make them)."""
    rng = np.random.default_rng(n)
    mats = [(rng.normal(size=(n, n)) + signal * np.eye(n)) for _ in range(N_LANGUAGES)]
    if step:
        mats = [np.round(m / step) * step for m in mats]
    return [m.astype(np.float32) for m in mats]


def bench_metrics(quick: bool) -> list[str]:
    lines = []
    ours(np.eye(10, dtype=np.float32))  # import outside the timing
    cases = ((1000, 2.0, 0.0), (3000, 2.0, 0.0), (5000, 2.0, 0.0), (3000, 0.0, 0.0),
             (3000, 2.0, 0.01))  # fmt: skip
    for n, signal, step in cases:
        mats = _matrices(n, signal, step)
        t_ours, a = _time(ours, mats)
        t_sort, b = _time(sort_based_metrics, mats)
        _, counts = _time(ours_counts, mats, repeats=1)
        t_ties, ref = _time(sort_tie_counts, mats, repeats=1 if quick else 3)
        same = all(
            np.array_equal(h, rh) and np.array_equal(t, rt)
            for (h, t), (rh, rt) in zip(counts, ref, strict=True)
        )
        kind = ("" if signal else ",no_signal") + (f",ties_step={step}" if step else "")
        lines.append(
            f"metrics_N={n}x{N_LANGUAGES}langs{kind}: ratio={t_sort / t_ours:.2f} "
            f"(ours={t_ours:.3f}s, sort_based={t_sort:.3f}s, identical={a == b})"
        )
        lines.append(
            f"metrics_ties_N={n}x{N_LANGUAGES}langs{kind}: ratio={t_ties / t_ours:.2f} "
            f"(ours={t_ours:.3f}s, sort_ties={t_ties:.3f}s, same_counts={same})"
        )
    return lines


BENCHMARKS = {"metrics": bench_metrics}
