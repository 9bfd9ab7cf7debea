"""The Python API as a notebook uses it: the README's block runs in a fresh interpreter (only the
documented API), and `c2kd-analyze run` with the same settings gives the same numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from c2kd_analyze import io

README = Path(__file__).resolve().parents[1] / "README.md"
CLI = str(Path(sys.executable).with_name("c2kd-analyze"))


def _api_block() -> str:
    section = README.read_text().split("### From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_api_mistakes_raise_the_clis_line_and_never_exit():
    import c2kd_analyze as c2kd

    with pytest.raises(c2kd.UserError, match="unknown teacher 'nope'"):
        c2kd.run(teachers=["nope"])
    with pytest.raises(c2kd.UserError, match=r"--epochs must be in \[1, 10000\], got 0"):
        c2kd.plan(epochs=0)
    lines = c2kd.plan(teachers=["muse"], student="muse")
    assert lines[0].startswith("run demo-") and "cells (4):" in lines


@pytest.mark.slow
def test_the_readme_api_block_runs_and_the_cli_gives_the_same_numbers(tmp_path):
    env = {**os.environ, "C2KD_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    script = _api_block() + "\nprint('RUN_ID', run.run_id)\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = re.search(r"RUN_ID (\S+)", done.stdout).group(1)
    folder = tmp_path / "runs" / "from-python"
    assert io.read_json(folder / "config.json")["run_id"] == run_id
    assert io.is_valid(folder / "report.html") and io.is_valid(
        tmp_path / "reports" / "from-python" / "report.html"
    )
    cli = subprocess.run(
        [CLI, "run", "--teachers", "muse", "--student", "muse", "--seeds", "0", "--epochs", "2",
         "--dataset-option", "n_train=200", "--dataset-option", "n_test=50",
         "--out", str(tmp_path / "cli"), "--no-progress", "--no-report"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr[-3000:]
    assert f"run {run_id}:" in cli.stdout  # the same run
    ours = io.read_parquet(folder / "results.parquet").sort("cell", "lang", "direction", "metric",
                                                            "k")  # fmt: skip
    theirs = io.read_parquet(tmp_path / "cli" / "results.parquet").sort(
        "cell", "lang", "direction", "metric", "k"
    )
    assert ours.select(pl.exclude("run_id")).equals(theirs.select(pl.exclude("run_id")))
    # the table the block printed is the CLI's table
    assert "c2kd muse" in done.stdout and "c2kd muse" in cli.stdout
