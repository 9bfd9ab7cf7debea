"""Dataset speed: generating the demo set vs loading it from the cache."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def demo_cache(quick: bool) -> list[str]:
    """First run (generate + write cache) vs a later run (read the checksummed cache)."""
    from c2kd_analyze.data import load_dataset

    n_train, n_test = (500, 125) if quick else (2000, 500)
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("C2KD_CACHE")
        os.environ["C2KD_CACHE"] = tmp
        try:
            t0 = time.perf_counter()
            load_dataset("demo", n_train=n_train, n_test=n_test)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            load_dataset("demo", n_train=n_train, n_test=n_test)
            cached = time.perf_counter() - t0
            size = sum(f.stat().st_size for f in Path(tmp).rglob("*"))
        finally:
            if old is None:
                os.environ.pop("C2KD_CACHE", None)
            else:
                os.environ["C2KD_CACHE"] = old
    return [
        f"demo_cache: ratio={first / cached:.1f} (generate={first:.2f}s, cached={cached:.2f}s, "
        f"clips={n_train + n_test}, cache={size / 1e6:.0f}MB)"
    ]


BENCHMARKS = {"demo_cache": demo_cache}
