"""``--shard i/n``: cell selection, and two real shard processes writing one run folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from c2kd_analyze import io
from c2kd_analyze.config import build_config
from c2kd_analyze.distill.plan import plan_cells
from c2kd_analyze.distill.shard import Shard
from c2kd_analyze.errors import UserError

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))
TINY = [
    "--dataset-option", "n_train=64", "--dataset-option", "n_test=24",
    "--teachers", "muse,minilm-en", "--student", "minilm-en", "--pool", "mean",
    "--epochs", "2", "--batch-size", "32", "--no-progress",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), [("0/1", Shard(0, 1)), (" 2 / 5 ", Shard(2, 5)), (None, Shard(0, 1))]
)
def test_parse(text, expected):
    assert Shard.parse(text) == expected


@pytest.mark.parametrize("text", ["2/2", "1", "a/b", "-1/3", "0/0", "1/2/3"])
def test_parse_rejects(text):
    with pytest.raises(UserError, match="--shard"):
        Shard.parse(text)


def test_shards_partition_the_plan_round_robin():
    cells = plan_cells(build_config("demo", teachers="muse,minilm-en,me5-small", seeds="0,1"))
    parts = [Shard(i, 3).select(cells) for i in range(3)]
    assert sorted((c.name for p in parts for c in p), key=[c.name for c in cells].index) == [
        c.name for c in cells
    ]
    assert [c.name for c in parts[1]] == [c.name for c in cells[1::3]]


def _run(args, cache: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "C2KD_CACHE": str(cache)}
    return subprocess.Popen([CLI, "-v", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)  # fmt: skip


@pytest.mark.slow
def test_two_shard_processes_fill_one_folder(tmp_path, warm_cache):
    """Shard 0 holds the pooled student, which needs shard 1's teacher: the shared checkpoint
    cache and its lock make exactly one process train each model."""
    conf = tmp_path / "small.toml"
    conf.write_text("projection_dim = 32\nvideo_width = 32\n")
    out = tmp_path / "run"
    args = ["run", *TINY, "--config", str(conf), "--out", str(out)]
    cache = warm_cache(tmp_path / "cache")
    procs = [_run([*args, "--shard", f"{i}/2"], cache) for i in range(2)]
    logs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, logs, strict=True):
        assert p.returncode == 0, err
    # 2 teachers + zero-shot + translate-train + 2 c2kd + 1 pool, each trained by one process
    saves = sum(err.count("saved checkpoint") for _, err in logs)
    assert saves == 7, [err for _, err in logs]
    results = io.read_parquet(out / "results.parquet")
    assert results["cell"].n_unique() == 7

    # the same numbers as one unsharded process with its own cache
    single = _run(["run", *TINY, "--config", str(conf), "--out", str(tmp_path / "one"),
                   "--no-report"], warm_cache(tmp_path / "cache1"))  # fmt: skip
    _, err = single.communicate(timeout=600)
    assert single.returncode == 0, err
    expected = io.read_parquet(tmp_path / "one" / "results.parquet")
    key = ["cell", "lang", "direction", "metric", "k"]
    assert results.sort(key).equals(expected.sort(key))


@pytest.mark.slow
def test_partial_folder_reports_done_cells(tmp_path, warm_cache):
    """One shard alone: the folder's results hold its cells, and `report` reads them."""
    conf = tmp_path / "small.toml"
    conf.write_text("projection_dim = 32\nvideo_width = 32\n")
    out = tmp_path / "run"
    cache = warm_cache(tmp_path / "cache")
    p = _run(["run", *TINY, "--config", str(conf), "--out", str(out), "--shard", "1/2"], cache)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    mine = {"teacher-minilm-en-s0", "translate-train-s0", "c2kd-minilm-en-s0"}
    results = io.read_parquet(out / "results.parquet")
    assert set(results["cell"]) == mine
    assert results.filter(pl.col("value").is_null()).height == 0
    rep = subprocess.run([CLI, "report", str(out)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "C2KD_CACHE": str(cache)})  # fmt: skip
    assert rep.returncode == 0, rep.stderr
    assert "c2kd" in (out / "report.md").read_text()
