"""``gpu_step`` and the paper cell: the project's full-mode training on an accelerator, measured.

    python benchmarks/bench_gpu.py [--sync-check]   # on a CUDA machine (about 2-4 min, H200)
    python benchmarks/bench_gpu.py --cpu-smoke      # the same code at toy size on a CPU

Everything is built here, nothing is downloaded: the demo captions in MSR-VTT's shape (20
captions per clip, 9 languages), a WordPiece tokenizer trained on them in-process (the
``tokenizers`` library) and a randomly initialised BERT of LaBSE's size (hidden 768, 12 layers,
LaBSE's 501,153-row vocabulary). Only torch, transformers (with tokenizers and safetensors) and
numpy are needed besides this package's training code: no polars, platformdirs or pydantic.

Phases (each prints its lines when it ends, so a run cut short still reports):

``gpu_step``: at batch 64 and 128 in the device's precision (bf16 on CUDA), median seconds per
    step of three sides on the same batches (the same real tokens and padding):
    ``project`` -- :func:`c2kd_analyze.distill.train.train_step`, 9 languages, captions cut at 35
    tokens, one cached teacher; ``bare`` -- :mod:`gpu_bare`, the same step written directly,
    independent of the project's model, inputs prepared before the timed loop, fused Adam;
    ``before`` -- :mod:`per_language`, the project's step as it was (one text forward per
    language). It prints real and padded tokens per step and model TFLOP/s on real tokens
    (6 x encoder parameters x real tokens, embeddings excluded). Targets: project <= 1.25 x bare
    at batch 128.
``step_counts``: ops per optimizer step at the dispatcher (:mod:`~c2kd_analyze.distill.
    dispatch_counts`), outside the optimizer: the 9-language C2KD step vs the zero-shot
    (English) step (target <= 1.6x), host reads (target 0) and dense embedding backwards
    (target: the number of embedding tables), for the project and the before side.
``sync_check`` (``--sync-check``, CUDA): three project steps under
    ``torch.cuda.set_sync_debug_mode("error")``: any call that waits for the GPU raises.
``paper_cell``: the parts of a paper-msrvtt run that are not training steps, each measured here
    (tokenising, loading and copying a model, the teachers' cached targets, evaluating 1,000
    test clips in 9 languages, writing a checkpoint), and the per-seed projection: measured step
    time x steps + those fixed costs, every term shown (target <= 30 min).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
# as `c2kd-analyze run` does: spinning OpenMP threads crawl on a CPU shared with other work
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # gpu_*, per_language; run from a checkout

from gpu_paper import paper_cell  # noqa: E402
from gpu_setup import (  # noqa: E402
    GPU,
    SIZES,
    Bench,
    Size,
    build_dataset,
    build_folder,
    free,
    median_s,
    project_side,
    timed,
)


# -- (a) the step ------------------------------------------------------------------------------
def _bare_inputs(bench: Bench, clips: np.ndarray):
    """The project batch's tensors, language-major, on the device (before the timed loop)."""
    import torch

    rows = np.concatenate([
        t.rows(clips, bench.cap[clips])[0] + bench.texts.offsets[lang]
        for lang, t in bench.texts.tables.items()
    ])  # fmt: skip
    index = torch.from_numpy(rows).to(bench.device)
    tokens = bench.texts.gather(index, bench.texts.width(rows))
    at = torch.from_numpy(clips).to(bench.device)
    en_rows, _ = bench.texts.tables["en"].rows(clips, bench.cap[clips])
    teacher = bench.targets.sims(en_rows, clips)
    n_lang = len(bench.texts.tables)
    return tokens["input_ids"], tokens["attention_mask"], bench.frames[at], bench.mask[at], \
        teacher, n_lang  # fmt: skip


def _bare_side(bench: Bench, batch: int) -> float:
    import gpu_bare
    import torch
    from transformers import AutoModel

    from c2kd_analyze.devices import autocast_dtype

    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(str(bench.folder))
    w = bench.size.width
    model = gpu_bare.BareModel(encoder, encoder.config.hidden_size, bench.dataset.feature_dim, w)
    model = model.to(bench.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True)
    prepared = [_bare_inputs(bench, c) for c in bench.batches(batch)]
    dtype, r = autocast_dtype(bench.precision), bench.recipe(batch)

    def one(i: int):
        return gpu_bare.step(model, optimizer, prepared[i % len(prepared)], dtype,
                             r.temperature, r.distill_temp, r.balance)  # fmt: skip

    return median_s(one, bench.size.steps, bench.size.warmup, bench.device)


def _before_side(bench: Bench, batch: int):
    import per_language

    model = bench.project_model()
    recipe = bench.recipe(batch)
    optimizer = per_language.optimizer(model, recipe.lr)
    batches = bench.batches(batch)

    def one(i: int):
        clips = batches[i % len(batches)]
        return per_language.step(model, optimizer, bench.texts, bench.frames, bench.mask, clips,
                                 bench.cap[clips], recipe, bench.targets)  # fmt: skip

    return median_s(one, bench.size.steps, bench.size.warmup, bench.device), (model, one)


def gpu_step(bench: Bench) -> list[str]:
    lines = []
    for batch in bench.size.step_batches:
        project, params, _ = project_side(bench, batch)
        free(bench.device)
        bare = _bare_side(bench, batch)
        free(bench.device)
        before, _ = _before_side(bench, batch)
        free(bench.device)
        bench.step_s[(batch, "nine")] = project
        n_caps, real, padded = bench.tokens(bench.batches(batch)[0])
        lines.append(
            f"gpu_step[batch={batch}]: ratio={project / bare:.2f} (project={1000 * project:.1f} "
            f"ms, bare={1000 * bare:.1f} ms, before={1000 * before:.1f} ms = "
            f"{before / project:.2f}x project; {n_caps} captions, {real:,} real / {padded:,} "
            f"padded tokens per step, {real / project:,.0f} real tokens/s, "
            f"{6 * params * real / project / 1e12:.2f} model TFLOP/s on real tokens, "
            f"{bench.precision})"
        )
        print(lines[-1], flush=True)
    first = bench.size.step_batches[0]
    english, _, _ = project_side(bench, first, ("en",), teacher=False)
    free(bench.device)
    bench.step_s[(first, "english")] = english
    lines.append(f"gpu_step[batch={first},zero-shot]: project={1000 * english:.1f} ms "
                 "(English captions only, no teacher)")  # fmt: skip
    return lines


# -- (b) what a step asks of the device ------------------------------------------------------
def _counts(one, warmup: int):
    from c2kd_analyze.distill.dispatch_counts import StepCounter

    one(warmup)  # past lazy initialisation
    with StepCounter() as counter:
        for i in range(2):
            one(warmup + 1 + i)
    return counter.steps[-1]


def step_counts(bench: Bench) -> list[str]:
    import torch

    batch = bench.size.step_batches[0]
    runs = {}
    for name, make in (
        ("c2kd", lambda: project_side(bench, batch)[2]),
        ("zero-shot", lambda: project_side(bench, batch, ("en",), teacher=False)[2]),
        ("before", lambda: _before_side(bench, batch)[1]),
    ):
        model, one = make()
        runs[name] = _counts(one, bench.size.warmup)
        tables = sum(isinstance(m, torch.nn.Embedding) for m in model.text.encoder.modules())
        del model, one
        free(bench.device)
    c2kd, zero, before = runs["c2kd"], runs["zero-shot"], runs["before"]
    return [
        f"step_counts[batch={batch}]: ratio={c2kd.ops / zero.ops:.2f} (aten ops per step, 9 "
        f"languages / English only: {c2kd.ops:,} / {zero.ops:,}; target <= 1.6), host_reads="
        f"{c2kd.host_reads} (zero-shot {zero.host_reads}; target 0), embedding_backwards="
        f"{c2kd.embedding_backwards} (embedding tables {tables}); before: {before.ops:,} ops = "
        f"{before.ops / zero.ops:.1f}x, host_reads={before.host_reads}, embedding_backwards="
        f"{before.embedding_backwards}"
    ]


def sync_check(bench: Bench) -> list[str]:
    """Three project steps with every synchronising CUDA call an error."""
    import torch

    if bench.device.type != "cuda":
        return ["sync_check: skipped (not a CUDA device)"]
    _, _, (model, one) = project_side(bench, bench.size.step_batches[0])
    torch.cuda.synchronize()
    try:
        torch.cuda.set_sync_debug_mode("error")
        for i in range(3):
            one(100 + i)
        torch.cuda.set_sync_debug_mode("default")
        torch.cuda.synchronize()
        line = "sync_check: 3 project steps under set_sync_debug_mode('error'): no sync"
    except RuntimeError as exc:
        torch.cuda.set_sync_debug_mode("default")
        bench.sync_failed = True
        line = f"sync_check: FAILED, a step synchronised: {str(exc).splitlines()[0]}"
    del model, one
    free(bench.device)
    return [line]


PHASES = {"step": gpu_step, "counts": step_counts, "sync": sync_check, "paper": paper_cell}


def run(size: Size, device_spec: str, work: Path, parts: list[str]) -> list[str]:
    from c2kd_analyze.devices import describe_device, resolve_device, resolve_precision

    device = resolve_device(device_spec)
    precision = resolve_precision("auto", device)
    info = describe_device(device)
    import torch
    import transformers

    lines = [f"# device {info['device']} ({info['name']}), precision {precision}, torch "
             f"{torch.__version__}, transformers {transformers.__version__}"]  # fmt: skip
    print(lines[0], flush=True)
    dataset, seconds = timed(lambda: build_dataset(size))
    lines.append(f"# data: {size.n_train} train clips x {size.train_captions} captions x 9 "
                 f"languages, {size.n_test} test clips, built in {seconds:.1f} s")  # fmt: skip
    print(lines[-1], flush=True)
    folder, seconds = timed(lambda: build_folder(work, dataset, size))
    lines.append(f"# tokenizer + BERT ({size.layers} layers, hidden {size.hidden}) built in "
                 f"{seconds:.1f} s")  # fmt: skip
    print(lines[-1], flush=True)
    bench = Bench(size, device, precision, dataset, folder, work)
    _, seconds = timed(bench.setup)
    lines.append(f"# captions tokenised and moved to the device in {seconds:.1f} s")
    print(lines[-1], flush=True)
    for name in parts:
        t0 = time.perf_counter()
        for line in PHASES[name](bench):
            if not line.startswith("gpu_step["):  # gpu_step prints its lines as they come
                print(line, flush=True)
            lines.append(line)
        print(f"# {name} took {time.perf_counter() - t0:.0f} s", flush=True)
    if bench.sync_failed:
        lines.append("# sync_check FAILED")
    return lines


def _cuda_benchmark(quick: bool) -> list[str]:
    """For ``benchmarks/run.py`` on a CUDA machine (``--quick``: the step only)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = ["step"] if quick else ["step", "counts", "paper"]
        return run(GPU, "cuda", Path(tmp), parts)


def _registry() -> dict:
    try:
        import torch
    except ImportError:
        return {}
    return {"gpu": _cuda_benchmark} if torch.cuda.is_available() else {}


BENCHMARKS = _registry()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="toy sizes on the CPU")
    parser.add_argument("--size", choices=list(SIZES), default=None,
                        help="gpu (default), smoke (= --cpu-smoke) or me5-cpu")  # fmt: skip
    parser.add_argument("--device", default=None, help="default: cuda, or cpu with --cpu-smoke")
    parser.add_argument("--parts", default="step,counts,paper", help=f"of {','.join(PHASES)}")
    parser.add_argument("--sync-check", action="store_true", help="add the sync check (CUDA)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per side")
    parser.add_argument("--work", default=None, help="folder for the model and checkpoint")
    args = parser.parse_args()
    size = SIZES[args.size or ("smoke" if args.cpu_smoke else "gpu")]
    if args.steps is not None:
        size = dataclasses.replace(size, steps=args.steps)
    device = args.device or ("cuda" if size is GPU else "cpu")
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if args.sync_check and "sync" not in parts:
        parts.insert(1, "sync")
    unknown = set(parts) - set(PHASES)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; known: {', '.join(PHASES)}")
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        work = Path(args.work) if args.work else Path(stack.enter_context(
            tempfile.TemporaryDirectory()))  # fmt: skip
        lines = run(size, device, work, parts)
    print("\n# summary")
    for line in lines:
        print(line)
    print(f"# bench_gpu took {time.perf_counter() - t0:.0f} s")
    if any(line == "# sync_check FAILED" for line in lines):
        sys.exit(1)


if __name__ == "__main__":
    main()
