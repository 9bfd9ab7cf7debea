"""``--report-to tensorboard,wandb,trackio`` on a real run: each tracker's own files, read back
with its own reader (TensorBoard's event reader, wandb's offline run files, trackio's storage),
hold one loss curve per cell equal to the cell's history and the cell's test metrics."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from c2kd_analyze import io

from .helpers import CLI, TINY_CELLS, env, run_args

pytestmark = pytest.mark.slow  # a real tiny run, and three trackers


def _wandb_records(path: Path):
    """The records of a wandb offline run file: its 7-byte header, then LevelDB-style records
    (checksum, length, type) in 32 KiB blocks, each a protobuf ``Record``."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, chunks = 7, 32768, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        kind = data[pos + 6] if left >= 7 else 0
        if kind == 0:  # the zero padding at a block's end
            pos += left
            continue
        length = int.from_bytes(data[pos + 4 : pos + 6], "little")
        payload, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind == 2:
            chunks = payload
        elif kind == 3:
            chunks += payload
        else:
            record = pb.Record()
            record.ParseFromString(chunks + payload if kind == 4 else payload)
            yield record


def _wandb_runs(folder: Path) -> dict[str, tuple[str, list[dict]]]:
    """name -> (group, history rows) of every offline wandb run under ``folder``."""
    import json

    runs = {}
    for file in folder.glob("wandb/offline-run-*/run-*.wandb"):
        name, group, history = None, None, []
        for record in _wandb_records(file):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                name, group = record.run.display_name, record.run.run_group
            elif kind == "history":
                history.append(
                    {i.key or "/".join(i.nested_key): json.loads(i.value_json)
                     for i in record.history.item}
                )  # fmt: skip
        runs[name] = (group, history)
    return runs


def test_trackers_hold_every_cells_curve_and_metrics(tmp_path, reference):
    _, _, ref_cache = reference
    cache, out = tmp_path / "cache", tmp_path / "run"
    shutil.copytree(ref_cache / "embeddings", cache / "embeddings")  # it trains every cell
    extra = {"WANDB_MODE": "offline", "TRACKIO_DIR": str(tmp_path / "trackio")}
    import subprocess

    done = subprocess.run(
        [CLI, *run_args(tmp_path, out), "--report-to", "tensorboard,wandb,trackio"],
        env=env(cache, **extra), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("run demo-"), done.stdout[:500]  # the trackers print elsewhere
    run_id = io.read_json(out / "config.json")["run_id"]
    results = io.read_parquet(out / "results.parquet")

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    wandb_runs = _wandb_runs(out / "tracking")
    os.environ["TRACKIO_DIR"] = str(tmp_path / "trackio")
    from trackio.sqlite_storage import SQLiteStorage

    for cell in TINY_CELLS:
        history = io.read_parquet(out / "cells" / cell / "history.parquet")
        losses = history["loss"].to_list()
        r1 = results.filter(
            (pl.col("cell") == cell) & (pl.col("metric") == "recall") & (pl.col("k") == 1)
            & (pl.col("direction") == "t2v") & (pl.col("lang") == "en")
        )["value"].item()  # fmt: skip
        events = EventAccumulator(str(out / "tracking" / "tensorboard" / cell))
        events.Reload()
        curve = events.Scalars("train/loss")
        assert [e.step for e in curve] == history["step"].to_list()
        assert [e.value for e in curve] == pytest.approx(losses, rel=1e-6)
        assert events.Scalars("test/t2v/R@1/en")[0].value == pytest.approx(r1, rel=1e-6)
        group, rows = wandb_runs[f"{run_id}/{cell}"]
        assert group == run_id
        logged = [row["train/loss"] for row in rows if "train/loss" in row]
        assert logged == pytest.approx(losses, rel=1e-12)
        assert next(r["test/t2v/R@1/en"] for r in rows if "test/t2v/R@1/en" in r) == r1
        logs = SQLiteStorage.get_logs("c2kd-analyze", f"{run_id}/{cell}")
        assert [row["train/loss"] for row in logs if "train/loss" in row] == pytest.approx(losses)
