"""Dataset speed: generating the demo set vs loading it from the cache; the run id's data
fingerprint over the files a reader reads vs over every file in the folder."""

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


def _per_clip_folder(root: Path, n_clips: int) -> Path:
    """A generic folder (captions.parquet + features/<clip>.npy, 30 x 512 float32 per clip) with
    a run folder and notes inside it, as a user keeps them."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    (root / "features").mkdir(parents=True)
    rows = []
    for i in range(n_clips):
        split = "train" if i < n_clips * 4 // 5 else "test"
        np.save(root / "features" / f"c{i}.npy", rng.standard_normal((30, 512), np.float32))
        rows += [(f"c{i}", lang, f"{lang} caption {i}", split) for lang in ("en", "de")]
    pl.DataFrame(rows, schema=["clip_id", "lang", "caption", "split"], orient="row").write_parquet(
        root / "captions.parquet"
    )
    run = root / "runs" / "generic-0123456789" / "cells"
    for j in range(n_clips // 10):  # the run's own files: no reader reads them
        (run / f"cell{j}").mkdir(parents=True)
        (run / f"cell{j}" / "ranks.parquet").write_bytes(rng.bytes(200_000))
    (root / "README.txt").write_text("features: CLIP ViT-B/32, 1 fps")
    return root


def data_fingerprint(quick: bool) -> list[str]:
    """The run id's fingerprint: the files the generic reader declares (captions and each named
    clip's .npy) vs hashing every file under the folder (how it was done before), and the load."""
    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.data.fingerprint import files_fingerprint
    from c2kd_analyze.data.fingerprint import read_files_fingerprint as declared

    n_clips = 1000 if quick else 5000
    with tempfile.TemporaryDirectory() as tmp:
        folder = _per_clip_folder(Path(tmp) / "data", n_clips)
        files = [Path(d) / n for d, _, names in os.walk(folder) for n in names]
        files_fingerprint(folder, files)  # warm the page cache for both sides
        t0 = time.perf_counter()
        declared("generic", folder)
        exact = time.perf_counter() - t0
        t0 = time.perf_counter()
        files_fingerprint(folder, files)
        walk = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_dataset("generic", data_dir=folder)
        load = time.perf_counter() - t0
    return [
        f"data_fingerprint: ratio={walk / exact:.2f} (declared={exact:.2f}s, walk every "
        f"file={walk:.2f}s, load={load:.2f}s, clips={n_clips}, files in folder={len(files)})"
    ]


BENCHMARKS = {"demo_cache": demo_cache, "data_fingerprint": data_fingerprint}
