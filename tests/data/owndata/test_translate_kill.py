"""A real ``datasets translate`` process killed (SIGKILL) mid-translation resumes from its last
stored batch: the rerun translates only what the killed one had not stored."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))


@pytest.mark.slow
def test_a_killed_translation_resumes_where_it_stopped(tmp_path, tiny_nllb):
    data = tmp_path / "data"
    data.mkdir()
    n = 600  # distinct captions: the cache stores every 256, the process is killed after one
    lines = ["clip_id,lang,caption,split"]
    lines += [f"c{i},en,Cut {i} onions.,{'train' if i % 5 else 'test'}"
              for i in range(n)]  # fmt: skip
    (data / "captions.csv").write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "C2KD_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = [CLI, "datasets", "translate", str(data), "--to", "de", "--model", str(tiny_nllb),
            "--beams", "1", "--batch-tokens", "512", "--no-progress"]  # fmt: skip
    before = (data / "captions.csv").read_bytes()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not any(cache.glob("translations/*/shard-*.parquet.sha256")):  # a complete shard
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no translation stored within 300 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert (data / "captions.csv").read_bytes() == before  # the table was not touched
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = re.search(r"de: 600 captions by .*; translated (\d+), from cache (\d+)", done.stdout)
    assert found, done.stdout
    translated, cached = int(found.group(1)), int(found.group(2))
    assert translated + cached == n and 256 <= cached < n
