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
        match = re.search(rf"gpu_step\[batch={batch}\]: ratio=([0-9.]+) \(project=", out)
        assert match and float(match.group(1)) > 0, out
    assert re.search(r"paper_cell: \d+ s for teacher \+ C2KD student", out), out
    encoders = set(re.findall(r"frozen_sweep\[encode (\w+)\]: [\d,]+ captions", out))
    assert encoders == {"mbert", "xlmr", "labse"}, out
    assert re.search(r"frozen_sweep: 8 cells in", out), out
