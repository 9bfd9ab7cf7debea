"""`c2kd-analyze run` end to end as a real process: tiny demo data, the bundled teachers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from c2kd_analyze import io

pytestmark = pytest.mark.slow  # real processes training on the bundled mUSE's and MiniLM's vectors

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))
TINY = [
    "--dataset-option", "n_train=48", "--dataset-option", "n_test=16",
    "--teachers", "muse,minilm-en", "--student", "minilm-en",
    "--epochs", "2", "--batch-size", "16", "--no-progress",
]  # fmt: skip


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text("projection_dim = 32\nvideo_width = 32\n")
    return path


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "C2KD_CACHE": str(cache)}


def _run(args, cache, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "run", *args], env=_env(cache), capture_output=True, text=True,
                          timeout=300, **kw)  # fmt: skip


def test_two_teacher_run_prints_table_and_writes_results(tmp_path, warm_cache):
    out, cache = tmp_path / "run", warm_cache(tmp_path / "cache")
    args = [*TINY, "--config", str(_config(tmp_path)), "--out", str(out)]
    done = _run([*args, "--no-report"], cache)
    assert done.returncode == 0, done.stderr
    for method in ("teacher muse", "teacher minilm-en", "zero-shot", "translate-train",
                   "c2kd muse", "c2kd minilm-en"):  # fmt: skip
        assert method in done.stdout
    assert "6 cell(s) run, 0 already done" in done.stdout
    results = io.read_parquet(out / "results.parquet")
    assert results.height == 6 * 9 * 2 * 6  # cells x languages x directions x metrics
    assert set(results["lang"]) == {"en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja"}
    # rerun: nothing trained, same numbers, and the report is written from the same folder
    again = _run(args, cache)
    assert again.returncode == 0, again.stderr
    assert "0 cell(s) run, 6 already done" in again.stdout
    assert io.read_parquet(out / "results.parquet").equals(results)
    assert (out / "report.md").exists()


def test_killed_run_resumes_to_the_same_table(tmp_path, warm_cache):
    args = [*TINY, "--config", str(_config(tmp_path)), "--no-report"]
    out, c1, c2 = tmp_path / "resumed", warm_cache(tmp_path / "c1"), warm_cache(tmp_path / "c2")
    proc = subprocess.Popen([CLI, "run", *args, "--out", str(out)], env=_env(c1),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    first = out / "cells" / "teacher-muse-s0" / "done.json"
    deadline = time.time() + 240
    # valid: written and vouched for by its checksum sidecar (a bare done.json is not done)
    while not io.is_valid(first) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert io.is_valid(first) and not (out / "results.parquet").exists()  # killed mid-run
    resumed = _run([*args, "--out", str(out)], c1)
    assert resumed.returncode == 0, resumed.stderr
    assert "already done" in resumed.stdout and "0 already done" not in resumed.stdout
    # a fresh process with a fresh cache (no cell or checkpoint reused) gives identical numbers
    fresh = _run([*args, "--out", str(tmp_path / "fresh")], c2)
    assert fresh.returncode == 0, fresh.stderr
    a = io.read_parquet(out / "results.parquet")
    b = io.read_parquet(tmp_path / "fresh" / "results.parquet")
    assert a.drop("run_id").equals(b.drop("run_id")) and a.equals(b)
    table = lambda s: s.stdout[s.stdout.index("text-to-video") :]  # noqa: E731
    assert table(resumed) == table(fresh)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--balance", "1.5"], "error: --balance must be in [0, 1], got 1.5"),
        (["--temperature", "0"], "error: --temperature must be in [0.001, 10], got 0.0"),
        (["--pool", "median"], "error: --pool must be one of 'max', 'min' or 'mean'"),
        (["--teachers", "muse,nope"], "error: unknown teacher 'nope'"),
        (["--dataset-option", "n_trains=5"], "error: dataset 'demo' has no option 'n_trains'"),
        (["--preset", "paper-msvtt"], "error: unknown preset 'paper-msvtt'; did you mean"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "run"
    done = _run([*args, "--out", str(out)], tmp_path / "cache")
    assert done.returncode == 2
    assert done.stderr.strip().startswith(message) and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    # no config, cell or result file; at most the run folder's (empty) lock file remains
    leftovers = [p.name for p in out.iterdir()] if out.exists() else []
    assert set(leftovers) <= {".lock"}, leftovers


def test_other_config_in_same_folder_is_refused(tmp_path, warm_cache):
    out, cache = tmp_path / "run", warm_cache(tmp_path / "cache")
    args = [*TINY, "--config", str(_config(tmp_path)), "--out", str(out), "--no-report"]
    assert _run(args, cache).returncode == 0
    before = io.read_parquet(out / "results.parquet")
    refused = _run([*args, "--balance", "0.5"], cache)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert io.read_parquet(out / "results.parquet").equals(before)
    replaced = _run([*args, "--balance", "0.5", "--overwrite"], cache)
    assert replaced.returncode == 0, replaced.stderr
    after = io.read_parquet(out / "results.parquet")
    assert set(after["run_id"]) != set(before["run_id"])
    # the teachers' checkpoints were reused: their rows are identical
    teacher = pl.col("stage") == "teacher"
    assert after.filter(teacher).drop("run_id").equals(before.filter(teacher).drop("run_id"))
