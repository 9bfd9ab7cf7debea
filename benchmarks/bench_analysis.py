"""Analysis statistics: the vectorised bootstrap against a per-resample loop, and the full
statistics of a report-sized run (500 queries x 9 languages x 7 methods x 3 seeds)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _bootstrap(quick: bool) -> list[str]:
    from c2kd_analyze.analysis import stats

    n, n_langs, n_methods, b = 500, 9, 7, 1000 if quick else 5000
    rng = np.random.default_rng(0)
    hits = [(rng.random((n_methods, n)) < 0.3).astype(float) for _ in range(n_langs)]
    t0 = time.perf_counter()
    rs = stats.make_resampler([n] * n_langs, b, np.random.default_rng(1), parallel=True)
    fast = stats.bootstrap_means(hits, rs)
    t_fast = time.perf_counter() - t0

    t0 = time.perf_counter()
    loop_rng = np.random.default_rng(1)
    slow = np.empty((n_methods, n_langs + 1, b))
    for i in range(b):  # the textbook way: draw indices, index every array, average
        idx = loop_rng.integers(0, n, n)
        per_lang = np.stack([h[:, idx].mean(axis=1) for h in hits], axis=1)
        slow[:, :n_langs, i] = per_lang
        slow[:, n_langs, i] = per_lang.mean(axis=1)
    t_slow = time.perf_counter() - t0
    assert np.allclose(fast.mean(axis=-1), slow.mean(axis=-1), atol=0.01)
    return [f"analysis_bootstrap: ratio={t_slow / t_fast:.1f} (loop={t_slow:.2f}s, "
            f"vectorised={t_fast:.2f}s, {b} resamples, {n}x{n_langs}x{n_methods})"]  # fmt: skip


def _report_statistics(quick: bool) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))
    from synthetic_runs import RunSpec, write_run

    from c2kd_analyze.analysis.compare import compute_statistics
    from c2kd_analyze.analysis.load import load_runs
    from c2kd_analyze.analysis.systems import add_methods

    langs = ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")
    spec = RunSpec(langs=langs, seeds=(0, 1, 2), n_queries=500, pool=True, absent=0)
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(Path(tmp), spec)
        results, ranks, _, _ = load_runs([run])
        results, ranks = add_methods(results), add_methods(ranks)
        timings = {}
        for b in (1000, 5000):
            t0 = time.perf_counter()
            compute_statistics(results, ranks, n_resamples=b, seed=0)
            timings[b] = time.perf_counter() - t0
    # most of the time is the exact tests, which do not depend on the resample count
    return [f"analysis_statistics: ratio={timings[5000] / timings[1000]:.2f} (5000 resamples="
            f"{timings[5000]:.2f}s, 1000 resamples={timings[1000]:.2f}s; 6 families of 9 languages "
            "x 7 methods x 500 queries x 3 seeds)"]  # fmt: skip


BENCHMARKS = {"analysis_bootstrap": _bootstrap, "analysis_statistics": _report_statistics}
