"""Retrieval metrics: our block-wise vectorised ``retrieval_metrics`` against the straightforward
sort-based way of the original code (sort every row, find where the true score lands), on 9
languages of N x N similarity matrices. Also checks that both give identical values on tie-free
input. ``ratio`` = sort-based seconds / ours (above 1: ours is faster).
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


def ours(sims: np.ndarray, ks=(1, 5, 10)) -> dict[str, float]:
    from c2kd_analyze.distill.metrics import retrieval_metrics

    m = retrieval_metrics(sims, ks=ks)
    return {**{f"R{k}": m.recall[k] for k in ks}, "MedR": m.median_rank, "MeanR": m.mean_rank}


def _time(fn, mats) -> tuple[float, list]:
    t0 = time.perf_counter()
    out = [fn(m) for m in mats]
    return time.perf_counter() - t0, out


def bench_metrics(quick: bool) -> list[str]:
    lines = []
    for n in (1000, 3000, 5000):  # the sizes, in --quick too (about 10 s each way)
        rng = np.random.default_rng(n)
        # correlated scores like a trained model's (true pair boosted), float32 as evaluation uses
        mats = [
            (rng.normal(size=(n, n)) + 2.0 * np.eye(n)).astype(np.float32)
            for _ in range(N_LANGUAGES)
        ]
        ours(mats[0][:10, :10])  # import outside the timing
        t_ours, a = _time(ours, mats)
        t_sort, b = _time(sort_based_metrics, mats)
        identical = a == b
        lines.append(
            f"metrics_N={n}x{N_LANGUAGES}langs: ratio={t_sort / t_ours:.2f} "
            f"(ours={t_ours:.3f}s, sort_based={t_sort:.3f}s, identical={identical})"
        )
    return lines


BENCHMARKS = {"metrics": bench_metrics}
