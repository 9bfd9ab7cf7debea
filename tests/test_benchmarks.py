"""The GPU benchmark's code path, at toy size on the CPU (CI has no GPU): it must keep running."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"


@pytest.mark.slow
def test_bench_gpu_cpu_smoke_runs_every_part(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--cpu-smoke", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for batch in (16, 32):
        match = re.search(rf"gpu_step\[batch={batch}\]: ratio=([0-9.]+) \(project=([0-9.]+) ms, "
                          rf"bare=([0-9.]+) ms, before=([0-9.]+) ms", out)  # fmt: skip
        assert match and all(float(g) > 0 for g in match.groups()), out
        assert re.search(rf"gpu_step\[batch={batch}\].* [\d,]+ real / [\d,]+ padded tokens", out)
    # the structural counts hold at any size: one text forward, no host read, one backward per
    # embedding table (the step this replaced: 9 forwards, 9 reads, 27 backwards)
    counts = re.search(r"step_counts\[batch=16\]: ratio=([0-9.]+) .* host_reads=(\d+) .*"
                       r"embedding_backwards=(\d+) \(embedding tables (\d+)\); before: .* "
                       r"host_reads=(\d+), embedding_backwards=(\d+)", out)  # fmt: skip
    assert counts, out
    ratio, reads, backwards, tables, before_reads, before_backwards = counts.groups()
    assert float(ratio) <= 1.6 and reads == "0" and backwards == tables == "3"
    assert before_reads == "9" and before_backwards == "27"
    assert re.search(r"paper_cell\[training\]: 8 cells x [\d,]+ steps x [0-9.]+ ms", out), out
    for part in ("tokenising", "model loading", "teacher targets", "evaluation", "checkpoint"):
        assert re.search(rf"paper_cell\[{part}\]: \d+ x [0-9.]+ s = ", out), (part, out)
    assert re.search(r"paper_cell: projected [0-9.]+ min per seed", out), out
