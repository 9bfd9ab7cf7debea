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


#: scores closer than this are a near-tie: the exported vectors differ from the run's by ~1e-6
#: (other batches and kernels), scores by ~1e-6; the head's standardisation magnifies rounding
NEAR = 5e-6


def r1_bounds(text: np.ndarray, video: np.ndarray, eps: float = NEAR) -> tuple[int, int]:
    """(sure hits, possible hits) of text-to-video R@1: query i's correct clip is i; a hit is
    sure when its score beats every other clip by more than ``eps``, possible when no other clip
    beats it by more than ``eps`` (float rounding may reorder near-ties)."""
    scores = text @ video.T
    correct = scores[np.arange(len(text)), np.arange(len(text))]
    others = scores.copy()
    others[np.arange(len(text)), np.arange(len(text))] = -np.inf
    best = others.max(axis=1)
    return int((correct > best + eps).sum()), int((correct >= best - eps).sum())


#: a tiny frozen-mode demo run: bundled MiniLM student (sentence-transformers), mUSE teacher
TINY_RUN = [
    "--dataset-option", "n_train=48", "--dataset-option", "n_test=32",
    "--epochs", "2", "--batch-size", "16", "--no-progress", "--no-report",
]  # fmt: skip
SMALL_TOML = "projection_dim = 8\nvideo_width = 8\nn_video_tokens = 4\n"

#: runs in a fresh interpreter: each folder README's loading code, then both towers on the
#: inputs; it must not import c2kd_analyze
RELOAD = """\
import json, re, sys
import numpy as np

inputs, output, folders = sys.argv[1], sys.argv[2], sys.argv[3:]
data = json.load(open(inputs))
frames = np.load(data["frames"])
out = {}
for n, folder in enumerate(folders):
    readme = open(f"{folder}/README.md").read()
    space = {}
    exec(re.search(r"```python\\n(.*?)```", readme, re.S).group(1), space)
    out[f"{n}/video"] = np.stack(
        [space["embed_video"](frames[f"clip{i}"]).numpy() for i in range(data["n_clips"])]
    )
    for lang, captions in data["captions"].items():
        out[f"{n}/text_{lang}"] = space["text"].encode(captions, convert_to_numpy=True)
assert not [m for m in sys.modules if m.startswith("c2kd_analyze")], "imported c2kd_analyze"
np.savez(output, **out)
"""


def reload_and_embed(folders: list[Path], dataset, n_video_tokens: int, tmp: Path, cache: Path):
    """Embed the test split with each exported folder, in one fresh interpreter that runs only
    the code its README prints.

    Returns per folder (video (n_clips, P), {lang: (text (n_present, P), present clip indices)}).
    """
    import json

    test = dataset.test
    present, captions = {}, {}
    for lang in dataset.languages:
        rows = [i for i, caps in enumerate(test.captions[lang]) if caps and caps[0].strip()]
        present[lang] = np.array(rows, dtype=np.int64)
        captions[lang] = [test.captions[lang][i][0] for i in rows]
    frames = {
        f"clip{i}": test.features[i, :n_video_tokens][test.mask[i, :n_video_tokens]]
        for i in range(test.n_clips)
    }
    np.savez(tmp / "frames.npz", **frames)
    inputs = {"frames": str(tmp / "frames.npz"), "n_clips": test.n_clips, "captions": captions}
    (tmp / "inputs.json").write_text(json.dumps(inputs, ensure_ascii=False))
    (tmp / "reload.py").write_text(RELOAD)
    done = subprocess.run(
        [sys.executable, str(tmp / "reload.py"), str(tmp / "inputs.json"),
         str(tmp / "embedded.npz"), *map(str, folders)],
        env=env(cache, tmp), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    got = np.load(tmp / "embedded.npz")
    return [
        (got[f"{n}/video"], {lang: (got[f"{n}/text_{lang}"], present[lang]) for lang in present})
        for n in range(len(folders))
    ]


def assert_reproduces_ranks(run_dir: Path, cell: str, video, texts) -> None:
    """Every t2v query's rank in the cell's ``ranks.parquet`` (optimistic: 1 + clips scored
    higher) is the rank the exported towers give it, up to float near-ties."""
    import polars as pl

    ranks = io.read_parquet(RunFolder(run_dir).cell(cell).ranks).filter(
        pl.col("direction") == "t2v"
    )
    for lang, (text, present) in texts.items():
        rows = ranks.filter(pl.col("lang") == lang).sort("query")
        assert rows["clip"].to_list() == present.tolist()
        scores = text @ video.T  # (n_present, n_clips)
        correct = scores[np.arange(len(present)), present][:, None]
        low = 1 + (scores > correct + NEAR).sum(axis=1)
        high = 1 + (scores > correct - NEAR).sum(axis=1) - 1  # minus the correct clip itself
        run = rows["rank"].to_numpy()
        assert ((low <= run) & (run <= high)).all(), (lang, run, low, high)
        # only near-ties leave a rank open: a few, never most (as constant vectors would)
        assert (low != high).sum() <= len(run) // 4, (lang, low, high)


def assert_reproduces_r1(run_dir: Path, cell: str, video, texts) -> dict[str, float]:
    """The run's t2v R@1 of ``cell`` per language equals the one the exported towers give (up to
    float near-ties); returns the run's values."""
    import polars as pl

    results = io.read_parquet(run_dir / "results.parquet").filter(
        (pl.col("cell") == cell) & (pl.col("metric") == "recall") & (pl.col("k") == 1)
        & (pl.col("direction") == "t2v")
    )  # fmt: skip
    assert results.height == len(texts)
    values = {}
    for row in results.iter_rows(named=True):
        text, present = texts[row["lang"]]
        absent = np.setdiff1d(np.arange(len(video)), present)
        order = np.concatenate([present, absent])  # query j's clip is item j, as the run ranks
        sure, possible = r1_bounds(text, video[order])
        n = row["n_queries"]
        assert n == len(present), (row["lang"], n, len(present))
        assert sure / n <= row["value"] + 1e-12 and row["value"] <= possible / n + 1e-12, (
            row["lang"], row["value"], sure, possible, n,
        )  # fmt: skip
        assert possible - sure <= max(2, n // 10), (row["lang"], sure, possible)
        values[row["lang"]] = row["value"]
    return values


def assert_card_matches_the_run(folder: Path, run: Path, cell: str) -> None:
    """The folder's README front matter, read by huggingface_hub's own model-card parser, is a
    sentence-transformers card whose model-index holds the cell's t2v R@k per language exactly as
    the run's results.parquet has them."""
    import polars as pl
    from huggingface_hub import ModelCard

    from c2kd_analyze import io

    card = ModelCard.load(folder / "README.md")
    data = card.data
    assert data.library_name == "sentence-transformers"
    assert data.pipeline_tag == "sentence-similarity" and "c2kd" in data.tags
    results = io.read_parquet(run / "results.parquet").filter(
        (pl.col("cell") == cell) & (pl.col("metric") == "recall") & (pl.col("direction") == "t2v")
    )
    expected = {
        (r["lang"], f"recall_at_{r['k']}"): r["value"] for r in results.iter_rows(named=True)
    }
    got = {(e.dataset_config, e.metric_type): e.metric_value for e in data.eval_results}
    assert got == expected and len(got) == results.height > 0
    assert {e.task_type for e in data.eval_results} == {"text-to-video-retrieval"}
    assert sorted(data.language) == sorted(set(results["lang"].to_list()))
