"""Helpers of the export tests: fabricated run folders, the real CLI, snippet extraction, R@1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from c2kd_analyze import io
from c2kd_analyze.distill import checkpoints as ckpt
from c2kd_analyze.distill.models import VideoTower
from c2kd_analyze.layout import RunFolder

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))

#: the video tower of the fabricated checkpoints (small, with the package's default depth/heads)
FEATURE_DIM, WIDTH, PROJECTION = 12, 16, 8


def fake_video_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    tower = VideoTower(FEATURE_DIM, PROJECTION, width=WIDTH)
    return {f"video.{k}": v for k, v in tower.state_dict().items()}


def fabricate_run(
    root: Path, cache: Path, *, encoder: str = "muse", cells=("c2kd-muse-s0",), key="k" * 24
) -> Path:
    """A run folder whose cells all point at one fabricated checkpoint ``key`` in ``cache`` (a
    video tower with random weights and a frozen text head over ``encoder``): enough for every
    check that reads no text encoder, in milliseconds."""
    run = RunFolder(root / "run")
    config = {"n_video_tokens": 4, "max_tokens": {"train": 40, "test": 40, "teacher": 40}}
    io.write_json(run.config, {
        "run_id": "demo-fake", "config": config, "where": {"teacher_dirs": {}},
        "dataset": {"name": "demo", "feature_kind": "synthetic", "languages": ["en", "de"]},
    })  # fmt: skip
    for name in cells:
        io.write_json(run.cell(name).done, {"run_id": "demo-fake", "cell": name, "checkpoint": key})
    folder = cache / "checkpoints" / key
    dim = 16
    state = {
        "text.standardize.mean": torch.zeros(dim, dtype=torch.float64),
        "text.standardize.std": torch.ones(dim, dtype=torch.float64),
        "text.norm.weight": torch.ones(dim), "text.norm.bias": torch.zeros(dim),
        "text.proj.fc.weight": torch.zeros(PROJECTION, dim),
        "text.proj.fc.bias": torch.zeros(PROJECTION),
        "text.proj.gate.weight": torch.zeros(PROJECTION, PROJECTION),
        "text.proj.gate.bias": torch.zeros(PROJECTION),
        **fake_video_state(),
    }  # fmt: skip
    from safetensors.torch import save

    io.write_bytes(folder / ckpt.WEIGHTS, save(state))
    identity = {"mode": "frozen", "model_id": "fake@0", "n_video_tokens": 4, "projection_dim": 8}
    meta = {"key": key, "format": ckpt.CHECKPOINT_FORMAT, "encoder": encoder,
            "role": "student", "identity": {**identity, "kind": "c2kd"}}  # fmt: skip
    io.write_json(folder / ckpt.META, meta)
    return run.path


def env(cache: Path, tmp: Path) -> dict[str, str]:
    # HF_MODULES_CACHE: where transformers copies c2kd_head.py when a folder is loaded
    return {**os.environ, "C2KD_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
            "OMP_NUM_THREADS": "1", "HF_MODULES_CACHE": str(tmp / "hf-modules")}  # fmt: skip


def cli(args: list[str], cache: Path, tmp: Path, timeout: float = 600):
    return subprocess.run(
        [CLI, *args], env=env(cache, tmp), capture_output=True, text=True, timeout=timeout
    )


def readme_code(folder: Path) -> str:
    """The first python block of ``folder``'s README.md: the loading code, as written there."""
    text = (folder / "README.md").read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def r1_bounds(text: np.ndarray, video: np.ndarray, eps: float = 1e-5) -> tuple[int, int]:
    """(sure hits, possible hits) of text-to-video R@1: query i's correct clip is i; a hit is
    sure when its score beats every other clip by more than ``eps``, possible when no other clip
    beats it by more than ``eps`` (float rounding may reorder near-ties)."""
    scores = text @ video.T
    correct = scores[np.arange(len(text)), np.arange(len(text))]
    others = scores.copy()
    others[np.arange(len(text)), np.arange(len(text))] = -np.inf
    best = others.max(axis=1)
    return int((correct > best + eps).sum()), int((correct >= best - eps).sum())
