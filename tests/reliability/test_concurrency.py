"""Concurrency: two ``run`` processes sharing the cache, and the run folder, never corrupt each
other; with one run folder they split its cells (each cell is trained exactly once), and a
process killed while it holds a cell leaves that cell to the survivor.

Real processes started together; the checks are the final tables against an uninterrupted run.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import TINY_CELLS, popen, run_args, stray_temp_files
from .test_interrupt import same_tables

pytestmark = pytest.mark.slow


def _finish(proc: subprocess.Popen) -> tuple[int, int, str]:
    """(cells run, cells already done) printed by a finished ``run``; asserts exit 0."""
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr
    match = re.search(r"(\d+) cell\(s\) run, (\d+) already done", stdout)
    assert match, stdout
    return int(match[1]), int(match[2]), stderr


def test_two_runs_into_one_folder_split_the_cells(tmp_path, reference):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = run_args(tmp_path, out)
    procs = [popen(args, cache), popen(args, cache)]
    counts = [_finish(p) for p in procs]
    # every cell trained by exactly one of them; each reports the rest as done by the other
    assert sum(run for run, _, _ in counts) == len(TINY_CELLS), counts
    assert all(run + done == len(TINY_CELLS) for run, done, _ in counts), counts
    same_tables(out, reference[1])
    assert not stray_temp_files(out) and not stray_temp_files(cache)


def test_two_runs_sharing_only_the_cache(tmp_path, reference):
    cache = tmp_path / "cache"
    outs = [tmp_path / "a", tmp_path / "b"]
    procs = [popen(run_args(tmp_path, out), cache) for out in outs]
    for proc in procs:
        assert _finish(proc)[0] == len(TINY_CELLS)
    for out in outs:
        same_tables(out, reference[1])
    # one checkpoint per model: the teacher and each student were trained once, then loaded
    checkpoints = [p for p in cache.glob("checkpoints/*/checkpoint.json") if io.is_valid(p)]
    assert len(checkpoints) == len(TINY_CELLS)
    assert not stray_temp_files(cache)


def test_survivor_finishes_the_cells_of_a_killed_partner(tmp_path, reference):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = run_args(tmp_path, out)
    victim, survivor = popen(args, cache), popen(args, cache)
    deadline = time.monotonic() + 240
    while not any(io.is_valid(out / "cells" / c / "done.json") for c in TINY_CELLS):
        assert victim.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)  # it may hold a claim on a cell: the OS releases it
    victim.communicate()
    run, done, _ = _finish(survivor)
    assert run + done == len(TINY_CELLS)
    same_tables(out, reference[1])


def test_lock_is_released_when_its_holder_is_killed(tmp_path):
    """The claim primitive itself: a SIGKILLed holder never blocks the cell."""
    from c2kd_analyze.distill.locks import claim_cell

    folder = tmp_path / "cell"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from c2kd_analyze.distill.locks import claim_cell\n"
         f"with claim_cell({str(folder)!r}, wait=True) as held:\n"
         "    print(held, flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "True"
    with claim_cell(folder, wait=False) as held:
        assert not held  # another live process holds it
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with claim_cell(folder, wait=False) as held:
        assert held
    assert Path(folder / ".lock").exists()
