"""What validation after every epoch costs: ``train_model`` with and without the
:class:`~c2kd_analyze.distill.validation.Validator`, in one process, on the demo set's clips.

Frozen mode as on a laptop: the text head reads fixed caption vectors (random unit vectors here:
the cost is the same whatever they hold), the video tower reads the demo's frames. ``ratio`` =
seconds with validation / seconds without (the best of ``--repeats`` alternating tries each); the
held-out share is ``--val-fraction`` (both sides train on the same, reduced, training clips).

    python benchmarks/bench_validation.py            # 1000 training clips, 5 epochs
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def _texts(split, languages, dim: int, seed: int):
    from c2kd_analyze.distill.captions import caption_tables
    from c2kd_analyze.distill.inputs import FrozenTexts

    rng = np.random.default_rng(seed)
    tables = caption_tables(split, languages)
    features = {}
    for lang, table in tables.items():
        v = rng.standard_normal((len(table.texts), dim)).astype(np.float32)
        features[lang] = torch.from_numpy(v / np.linalg.norm(v, axis=1, keepdims=True))
    return FrozenTexts(tables, features)


def measure(n_train: int, epochs: int, val_fraction: float, repeats: int) -> str:
    """The benchmark's line: ``validation_overhead[...]: ratio=R (with=..., without=...)``."""
    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.distill.holdout import hold_out
    from c2kd_analyze.distill.models import RetrievalModel, TextHead, VideoTower
    from c2kd_analyze.distill.run_data import split_tensors
    from c2kd_analyze.distill.train import TrainRecipe, train_model
    from c2kd_analyze.distill.validation import Validator

    torch.set_num_threads(1)
    data = hold_out(load_dataset("demo", n_train=n_train, n_test=100), val_fraction, 64)
    langs, dim = data.languages, 128
    texts, val_texts = _texts(data.train, langs, dim, 0), _texts(data.val, langs, dim, 1)
    frames, mask = split_tensors(data.train, 30)
    vf, vm = split_tensors(data.val, 30)
    recipe = TrainRecipe(languages=langs, epochs=epochs, lr=1e-3, lr_decay=0.9, batch_size=64,
                    temperature=0.05, seed=0)  # fmt: skip

    def once(validate: bool) -> float:
        torch.manual_seed(0)
        model = RetrievalModel(TextHead(dim, 128), VideoTower(data.feature_dim, 128, width=128))
        validator = None
        if validate:
            validator = Validator(val_texts, vf, vm, langs, data.val.clip_ids, data.val.n_queries,
                                  "optimistic", None, select=True)  # fmt: skip
        t0 = time.perf_counter()
        train_model(model, texts, frames, mask, recipe, on_epoch=validator)
        return time.perf_counter() - t0

    best = {True: float("inf"), False: float("inf")}
    for _ in range(repeats):
        for validate in (False, True):
            best[validate] = min(best[validate], once(validate))
    n_val, n_kept = data.val.n_clips, data.train.n_clips
    return (
        f"validation_overhead[{n_kept} train / {n_val} val clips, {len(langs)} languages, "
        f"{epochs} epochs, --select-on-val]: ratio={best[True] / best[False]:.3f} "
        f"(with={best[True]:.2f} s, without={best[False]:.2f} s)"
    )


def validation_overhead(quick: bool) -> list[str]:
    """``benchmarks/run.py``'s entry: smaller in ``--quick``."""
    return [measure(400, 3, 0.1, 2) if quick else measure(1000, 5, 0.1, 3)]


BENCHMARKS = {"validation_overhead": validation_overhead}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(measure(args.n_train, args.epochs, args.val_fraction, args.repeats))


if __name__ == "__main__":
    main()
