"""Interruptions and damaged files: a run killed at any point, or whose files were damaged,
finishes on rerun with exactly the table of an uninterrupted run with the same seed.

Kills are real SIGKILLs of real ``c2kd-analyze run`` processes. Coarse points (encoding, teacher
training, student training) are found by watching files appear; exact write points (a file
renamed into place but its checksum not yet written) by ``die_at_rename.py``, which runs the
same CLI in-process and SIGKILLs itself right after a given rename.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import DIE_AT, TINY_CELLS, cli, env, popen, run_args, stray_temp_files

pytestmark = pytest.mark.slow  # several real runs of the bundled mUSE teacher


def _shards(cache: Path) -> list[Path]:
    return [p for p in cache.glob("embeddings/*/shard-*.npz") if io.is_valid(p)]


def _done(out: Path, cell: str) -> bool:
    return io.is_valid(out / "cells" / cell / "done.json")


def _valid_checkpoints(cache: Path) -> list[Path]:
    return [p for p in cache.glob("checkpoints/*/checkpoint.json") if io.is_valid(p)]


def _kill_when(args: list[str], cache: Path, ready, timeout: float = 240) -> None:
    """Start the run, SIGKILL it as soon as ``ready()`` is true (polled every 5 ms)."""
    proc = popen(args, cache)
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, f"run ended before the kill point: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "kill point never reached"
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _die_after(name: str, nth: int, args: list[str], cache: Path) -> None:
    done = subprocess.run([sys.executable, DIE_AT, name, str(nth), "--", *args], env=env(cache),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def same_tables(out: Path, ref: Path) -> None:
    """The run-level tables and every cell's tables equal the reference run's, with no NaN."""
    for name in ("results.parquet", "history.parquet"):
        a, b = io.read_parquet(out / name), io.read_parquet(ref / name)
        assert a.equals(b), name
    for cell in TINY_CELLS:
        for name in ("metrics.parquet", "ranks.parquet", "diagnostics.parquet"):
            a = io.read_parquet(out / "cells" / cell / name)
            assert a.equals(io.read_parquet(ref / "cells" / cell / name)), (cell, name)
    results = io.read_parquet(out / "results.parquet")
    assert results.height > 0 and not results["value"].is_nan().any()


def test_killed_at_every_stage_resumes_to_the_uninterrupted_table(tmp_path, reference):
    _, ref, _ = reference
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = run_args(tmp_path, out)

    # 1. while encoding: the train captions' shard is cached, the test captions' is not yet
    _kill_when(args, cache, lambda: len(_shards(cache)) >= 1)
    assert len(_shards(cache)) == 1 and not _valid_checkpoints(cache)

    # 2. while training the teacher: both shards are cached, no checkpoint exists yet
    _kill_when(args, cache, lambda: len(_shards(cache)) >= 2)
    assert len(_shards(cache)) == 2 and not _valid_checkpoints(cache)

    # 3. while saving the teacher: weights renamed into place, their checksum not written
    _die_after("model.safetensors", 1, args, cache)
    (weights,) = cache.glob("checkpoints/*/model.safetensors")
    assert not io.is_valid(weights) and not _valid_checkpoints(cache)

    # 4. while training a student: the teacher cell is done, zero-shot is not
    _kill_when(args, cache, lambda: _done(out, "teacher-muse-s0"))
    assert not _done(out, "zero-shot-s0")

    # 5. while writing a cell: zero-shot's metrics renamed into place, no checksum, no done.json
    _die_after("metrics.parquet", 1, args, cache)
    metrics = out / "cells" / "zero-shot-s0" / "metrics.parquet"
    assert metrics.exists() and not io.is_valid(metrics) and not _done(out, "zero-shot-s0")

    # 6. while writing the results: every cell done, results.parquet renamed but unverified
    _die_after("results.parquet", 1, args, cache)
    assert all(_done(out, c) for c in TINY_CELLS)
    assert (out / "results.parquet").exists() and not io.is_valid(out / "results.parquet")

    final = cli(args, cache)
    assert final.returncode == 0, final.stderr
    assert "0 cell(s) run, 4 already done" in final.stdout
    same_tables(out, ref)
    # whatever a kill left half-written is never read as valid (leftover temp names are ignored)
    for path in stray_temp_files(out) + stray_temp_files(cache):
        assert not io.is_valid(path)


def _copy(reference, tmp: Path) -> tuple[Path, Path]:
    _, ref, ref_cache = reference
    out, cache = tmp / "out", tmp / "cache"
    shutil.copytree(ref, out)
    shutil.copytree(ref_cache, cache)
    return out, cache


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_cell_file_is_recomputed_not_reported(tmp_path, reference):
    """Decision: a cell file failing its checksum means the cell is not done; it is trained and
    evaluated again on the next run (its checkpoint makes that cheap), never read."""
    out, cache = _copy(reference, tmp_path)
    _flip_byte(out / "cells" / "c2kd-muse-s0" / "metrics.parquet")
    _flip_byte(out / "results.parquet")
    done = cli(run_args(tmp_path, out), cache)
    assert done.returncode == 0, done.stderr
    assert "1 cell(s) run, 3 already done" in done.stdout
    same_tables(out, reference[1])


def test_damaged_cache_entries_heal_with_a_warning(tmp_path, reference):
    """Decision (as the encoder cache already does): a corrupt embedding shard or checkpoint is
    logged and recomputed; the numbers are the same as before."""
    _, cache = _copy(reference, tmp_path)
    for shard in cache.glob("embeddings/*/shard-*.npz"):
        _flip_byte(shard)
    for weights in cache.glob("checkpoints/*/model.safetensors"):
        _flip_byte(weights)
    again = tmp_path / "again"
    done = cli(run_args(tmp_path, again), cache)
    assert done.returncode == 0, done.stderr
    assert "embedding cache: removed damaged" in done.stderr
    same_tables(again, reference[1])
