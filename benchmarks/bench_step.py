"""``train_step``: the frozen-mode training step (a bare run's cells) before and after fusing.

The demo preset's shapes: batch 64, 9 languages, frozen me5-small features (384-d) under the
text head, projection 256, a 2-layer video tower 128 wide over 30 frames of 512-d features.
``before`` is the per-language step (:mod:`per_language`: nine head calls, nine losses, the
video blocks through ``nn.TransformerEncoder``, per-parameter Adam); ``after`` is the
project's :func:`~c2kd_analyze.distill.train.train_step` (one head call over every language,
losses batched over languages, batch-first attention blocks, fused Adam). ``ratio`` =
before / after, CPU time on one torch thread (median over steps), so that a shared machine's
neighbours do not set the figure; both sides alternate step by step in this process.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _setup(n_train: int):
    import torch
    import torch.nn.functional as F

    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.distill.captions import caption_tables, sample_caption_indices
    from c2kd_analyze.distill.inputs import FrozenTexts
    from c2kd_analyze.distill.run_data import split_tensors
    from c2kd_analyze.distill.train import TeacherTargets

    ds = load_dataset("demo", n_train=n_train, n_test=10)
    tables = caption_tables(ds.train, ds.languages)
    frames, mask = split_tensors(ds.train, 30)
    g = torch.Generator().manual_seed(0)
    feats = {lang: F.normalize(torch.randn(len(t.texts), 384, generator=g), dim=-1)
             for lang, t in tables.items()}  # fmt: skip
    n_en = len(tables["en"].texts)
    targets = TeacherTargets(
        (F.normalize(torch.randn(n_en, 256, generator=g), dim=-1),),
        (F.normalize(torch.randn(n_train, 256, generator=g), dim=-1),),
    )
    cap = sample_caption_indices(tables, np.random.default_rng(0))
    return ds, FrozenTexts(tables, feats), frames, mask, targets, cap


def _model(feature_dim: int):
    import torch

    from c2kd_analyze.distill.models import RetrievalModel, Standardize, TextHead, VideoTower

    torch.manual_seed(0)
    head = TextHead(384, 256, Standardize(torch.zeros(384), torch.ones(384)))
    return RetrievalModel(head, VideoTower(feature_dim, 256, width=128)).train()


def _time_stage(ds, texts, frames, mask, cap, batches, targets, steps: int) -> tuple[float, float]:
    """Median CPU ms per step, (before, after), the two sides alternating step by step."""
    import per_language
    import torch

    from c2kd_analyze.devices import grad_scaler
    from c2kd_analyze.distill.train import BatchEncoder, TrainRecipe, make_optimizer, train_step

    recipe = TrainRecipe(languages=ds.languages, epochs=1, lr=1e-3, lr_decay=0.9, batch_size=64,
                    temperature=0.05, seed=0, balance=0.5)  # fmt: skip
    old, new = _model(ds.feature_dim), _model(ds.feature_dim)
    old_opt = per_language.optimizer(old, recipe.lr)
    new_opt = make_optimizer(new, recipe, torch.device("cpu"))
    scaler, encoder = grad_scaler(torch.device("cpu"), "fp32"), BatchEncoder(new)

    def before(c):
        per_language.step(old, old_opt, texts, frames, mask, c, cap[c], recipe, targets)

    def after(c):
        train_step(encoder, new_opt, scaler, texts, frames, mask, c, cap[c], recipe, targets)

    times: dict[str, list[float]] = {"before": [], "after": []}
    for i in range(steps + 2):
        for name, step in (("before", before), ("after", after)):
            t0 = time.process_time()
            step(batches[i % len(batches)])
            if i >= 2:  # warm-up: allocator, lazy inits
                times[name].append(time.process_time() - t0)
    return 1000 * statistics.median(times["before"]), 1000 * statistics.median(times["after"])


def _fixture(quick: bool):
    """(steps, the demo data with its texts, frames, mask, targets and caption choice, batches)
    on one torch thread; the caller restores the thread count it gets last."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    n_train, steps = (256, 8) if quick else (512, 30)
    data = _setup(n_train)
    rng = np.random.default_rng(1)
    batches = [rng.choice(n_train, 64, replace=False) for _ in range(8)]
    return steps, data, batches, threads


def train_step(quick: bool) -> list[str]:
    import torch

    steps, (ds, texts, frames, mask, targets, cap), batches, threads = _fixture(quick)
    lines = []
    try:
        for stage, tg in (("translate-train", None), ("c2kd", targets)):
            before, after = _time_stage(ds, texts, frames, mask, cap, batches, tg, steps)
            lines.append(
                f"train_step[frozen,{stage},B=64,9langs]: ratio={before / after:.2f} "
                f"(before={before:.1f} ms, after={after:.1f} ms, CPU time, 1 thread)"
            )
    finally:
        torch.set_num_threads(threads)
    return lines


def step_precision(quick: bool) -> list[str]:
    """The frozen step (C2KD, the demo preset's model) in fp32 vs under bf16 autocast of the
    heads and video tower on this CPU: what ``--precision auto`` leaves in fp32 on a CPU, and
    why (``ratio`` = fp32 ms / bf16 ms; below 1: bf16 is slower at these small shapes)."""
    import contextlib

    import torch

    from c2kd_analyze.devices import grad_scaler
    from c2kd_analyze.distill.train import BatchEncoder, TrainRecipe, make_optimizer
    from c2kd_analyze.distill.train import train_step as step

    steps, (ds, texts, frames, mask, targets, cap), batches, threads = _fixture(quick)
    recipe = TrainRecipe(languages=ds.languages, epochs=1, lr=1e-3, lr_decay=0.9, batch_size=64,
                         temperature=0.05, seed=0, balance=0.5)  # fmt: skip
    sides = {}
    for name in ("fp32", "bf16"):
        model = _model(ds.feature_dim)
        sides[name] = (BatchEncoder(model), make_optimizer(model, recipe, torch.device("cpu")))
    scaler = grad_scaler(torch.device("cpu"), "fp32")
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    try:
        for i in range(steps + 2):
            c = batches[i % len(batches)]
            for name, (encoder, optimizer) in sides.items():
                cast = (torch.autocast("cpu", dtype=torch.bfloat16) if name == "bf16"
                        else contextlib.nullcontext())  # fmt: skip
                t0 = time.process_time()
                with cast:
                    step(encoder, optimizer, scaler, texts, frames, mask, c, cap[c], recipe,
                         targets)  # fmt: skip
                if i >= 2:
                    times[name].append(time.process_time() - t0)
    finally:
        torch.set_num_threads(threads)
    fp32, bf16 = (1000 * statistics.median(times[n]) for n in ("fp32", "bf16"))
    return [
        f"step_precision[frozen,c2kd,B=64,9langs]: ratio={fp32 / bf16:.2f} "
        f"(fp32={fp32:.1f} ms, bf16={bf16:.1f} ms, CPU time, 1 thread)"
    ]


BENCHMARKS = {"train_step": train_step, "step_precision": step_precision}

if __name__ == "__main__":
    for line in train_step("--quick" in sys.argv):
        print(line)
