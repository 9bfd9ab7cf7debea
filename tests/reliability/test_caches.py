"""Caches that heal, seen from the command line (real processes, so ``slow``).

- a read-only cache that already holds the demo data: reading it needs no write access (as an
  unprivileged user, since root may write anywhere);
- damaged embedding-cache shards: the first run warns once per shard and removes them, the next
  run says nothing; an entry that is a folder is skipped with a warning;
- a truncated converted mE5-small model: the next use converts it again and works.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import CLI, NOBODY, TINY, cli, env, small_config

pytestmark = pytest.mark.slow


def test_a_read_only_cache_that_holds_the_demo_data(shared_tmp):
    cache = shared_tmp / "cache"
    check = ["datasets", "check", "demo", "--n-train", "48", "--n-test", "16"]
    filled = cli(check, cache)
    assert filled.returncode == 0, filled.stderr
    for path in [cache, *cache.rglob("*")]:  # nobody may read, nobody may write
        path.chmod(0o555 if path.is_dir() else 0o444)
    again = cli(check, cache, prefix=NOBODY)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert again.stdout == filled.stdout
    missing = cli(["datasets", "check", "demo", "--n-train", "48", "--n-test", "20"], cache,
                  prefix=NOBODY)  # fmt: skip
    assert missing.returncode == 2 and missing.stderr.startswith("error: cannot write"), (
        missing.stderr
    )
    assert len(missing.stderr.splitlines()) == 1


def _run(tmp: Path, cache: Path, out: str) -> subprocess.CompletedProcess:
    args = ["run", *TINY, "--config", str(small_config(tmp)), "--out", str(tmp / out)]
    return cli(args, cache)


def test_damaged_embedding_shards_warn_once_and_heal(tmp_path, warm_cache):
    import json

    cache = warm_cache(tmp_path / "cache")
    (muse,) = [f for f in (cache / "embeddings").iterdir()  # the TINY run's one encoder
               if "universal-sentence-encoder" in json.loads((f / "meta.json").read_text())
               ["model_id"]]  # fmt: skip
    shards = sorted(muse.glob("shard-*.npz"))[:3]  # up to three, as in the report of the problem
    for shard in shards:
        data = bytearray(shard.read_bytes())
        data[len(data) // 2] ^= 0xFF
        shard.write_bytes(bytes(data))
    folder_entry = muse / "shard-00000000000000000000-1-00000000.npz"
    folder_entry.mkdir()  # an entry that is a folder: nothing the cache wrote
    first = _run(tmp_path, cache, "a")
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("removed damaged") == len(shards) >= 1, first.stderr
    assert first.stderr.count(folder_entry.name) == 1, first.stderr
    assert not any(s.exists() for s in shards)
    second = _run(tmp_path, cache, "b")
    assert second.returncode == 0, second.stderr
    assert "removed damaged" not in second.stderr and "Traceback" not in second.stderr
    assert second.stderr.count(folder_entry.name) == 1  # it names what to remove, each time


def test_a_truncated_converted_model_converts_again(tmp_path):
    """me5-small's converted folder with half its model.safetensors (a full disk, a killed
    copy) failed every run with SafetensorError; now the next use converts it again."""
    from c2kd_analyze.teachers.me5 import convert

    models = tmp_path / "models"
    model = convert.ensure_converted(models) / "model.safetensors"
    size = model.stat().st_size
    with open(model, "r+b") as fh:
        fh.truncate(size // 2)
    done = subprocess.run(
        [CLI, "teachers", "check", "me5-small", "--device", "cpu"],
        env=env(tmp_path / "cache", C2KD_MODELS=str(models)), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "SafetensorError" not in done.stderr
    assert "cannot be used as it is" in done.stderr and "converting it again" in done.stderr
    assert model.stat().st_size == size
