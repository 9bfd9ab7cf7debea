"""Output that fails and Ctrl-C: a run whose reader went away (``run ... | head -1``) still
finishes and writes its report; Ctrl-C stops with one line saying what was kept, and the same
command resumes. Real processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from c2kd_analyze import io

from .helpers import CLI, TINY_CELLS, cli, env, paused_after_first_cell, run_args

pytestmark = pytest.mark.slow  # real runs of the bundled mUSE teacher


def _closed_pipe() -> int:
    """The write end of a pipe whose reader is already gone: every write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("streams", ["stdout", "stdout+stderr"])
def test_a_run_whose_reader_went_away_still_writes_its_report(tmp_path, reference, streams):
    _, ref, ref_cache = reference
    out, cache = tmp_path / "run", tmp_path / "cache"
    shutil.copytree(ref_cache, cache)
    args = [a for a in run_args(tmp_path, out) if a != "--no-report"]
    gone = _closed_pipe()
    try:
        err = gone if streams == "stdout+stderr" else subprocess.PIPE
        done = subprocess.run([CLI, *args], env=env(cache), stdout=gone, stderr=err, text=True,
                              timeout=300)  # fmt: skip
    finally:
        os.close(gone)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in (done.stderr or "")
    assert all(io.is_valid(out / "cells" / c / "done.json") for c in TINY_CELLS)
    assert io.is_valid(out / "report.html") and io.is_valid(out / "report.md")
    assert io.read_parquet(out / "results.parquet").equals(io.read_parquet(ref / "results.parquet"))


def test_ctrl_c_says_what_was_kept_and_the_same_command_resumes(tmp_path, reference):
    out, cache = tmp_path / "run", tmp_path / "cache"
    args = run_args(tmp_path, out)
    # the run waits right after its first cell is vouched for: Ctrl-C lands there, not racing
    proc, _ = paused_after_first_cell(args, cache, tmp_path)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == [
        f"interrupted: 1 of {len(TINY_CELLS)} cells are done and kept in {out}; run the same "
        "command again to resume"
    ], stderr
    again = cli(args, cache)
    assert again.returncode == 0, again.stderr
    assert f"{len(TINY_CELLS) - 1} cell(s) run, 1 already done" in again.stdout
    assert io.read_parquet(out / "results.parquet").equals(
        io.read_parquet(reference[1] / "results.parquet")
    )


def test_a_log_says_what_happens_and_quiet_says_nothing(tmp_path, reference):
    """stderr is a pipe here, as in a SLURM job: one line per cell start and end (seconds, final
    loss, R@1 average) and lines along the way; --quiet: none of them."""
    _, _, ref_cache = reference
    cache = tmp_path / "cache"
    shutil.copytree(ref_cache / "embeddings", cache / "embeddings")  # no checkpoints: it trains

    def logged(out):
        return [("--no-progress" if a == "--quiet" else a) for a in run_args(tmp_path, out)]

    done = cli(logged(tmp_path / "run"), cache)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    for number, cell in enumerate(TINY_CELLS, start=1):
        assert f"cell {cell} ({number} of {len(TINY_CELLS)}): started" in lines, done.stderr
        end = [x for x in lines if x.startswith(f"cell {cell}: done in ")]
        assert len(end) == 1 and " s, final loss " in end[0] and ", R@1 avg " in end[0], end
    # a run that fails after logging: its error is still one line, the last
    failed = cli([*logged(tmp_path / "diverges"), "--lr", "1e6"], cache)
    errors = [x for x in failed.stderr.splitlines() if x.startswith("error:")]
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr
    assert len(errors) == 1 and failed.stderr.splitlines()[-1] == errors[0], failed.stderr
    assert "diverged" in errors[0] and "cell teacher-muse-s0 (1 of 4): started" in failed.stderr
    quiet = cli([*run_args(tmp_path, tmp_path / "again"), "--balance", "0.5"], cache)
    assert quiet.returncode == 0, quiet.stderr
    assert "cell " not in quiet.stderr and "started" not in quiet.stderr
