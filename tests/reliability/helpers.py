"""Shared helpers of the reliability tests: the real CLI as a subprocess, tiny runs, file checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))
#: run a command as user ``nobody`` (root ignores file permissions): the ``shared_tmp`` fixture
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

#: a tiny model on a tiny demo set: one bundled numpy teacher (muse) that is also the student
SMALL_TOML = "projection_dim = 8\nvideo_width = 8\nn_video_tokens = 4\n"
TINY = [
    "--dataset-option", "n_train=48", "--dataset-option", "n_test=16",
    "--teachers", "muse", "--student", "muse",
    "--epochs", "2", "--batch-size", "16", "--quiet", "--no-report",
]  # fmt: skip
#: the cells of a TINY run, in the order they run
TINY_CELLS = ("teacher-muse-s0", "zero-shot-s0", "translate-train-s0", "c2kd-muse-s0")


def run_args(tmp: Path, out: Path) -> list[str]:
    """``run`` arguments of a TINY run into ``out`` (the config file goes in ``tmp``)."""
    return ["run", *TINY, "--config", str(small_config(tmp)), "--out", str(out)]


def small_config(folder: Path) -> Path:
    path = folder / "small.toml"
    path.write_text(SMALL_TOML)
    return path


def env(cache: Path, **extra: str) -> dict[str, str]:
    # one torch thread: on a small shared CI machine more threads only contend (same numbers
    # within a test: every process of a test runs with the same setting)
    return {**os.environ, "C2KD_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
            "OMP_NUM_THREADS": "1", **extra}  # fmt: skip


def cli(
    args: list[str], cache: Path, timeout: float = 300, prefix: tuple[str, ...] = (), **kw
) -> subprocess.CompletedProcess:
    """Run ``c2kd-analyze ARGS`` to completion as a real process (``prefix``: e.g. setpriv)."""
    return subprocess.run(
        [*prefix, CLI, *args], env=env(cache), capture_output=True, text=True, timeout=timeout, **kw
    )


def popen(args: list[str], cache: Path, prefix: tuple[str, ...] = (), **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [*prefix, CLI, *args],
        env=env(cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one non-empty stderr line starting ``error:``, no traceback; returns it."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle.lower() in line.lower(), (needle, line)
    return line


def valid_files(root: Path) -> list[Path]:
    """Every file under ``root`` that a later run would read as valid (checksummed, matching)."""
    from c2kd_analyze import io

    if not root.exists():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(io.CHECKSUM_SUFFIX) and io.is_valid(path):
            out.append(path)
    return out


def stray_temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp")] if root.exists() else []


def write_generic(folder: Path, *, n_train=8, n_test=4, dim=16, langs=("en", "de"), nan=False):
    """A generic-format dataset folder (captions.parquet + features.npz) for bad-data cases."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for split, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            for lang in langs:
                rows.append(
                    {"clip_id": f"{split}{i}", "lang": lang, "split": split,
                     "caption": f"{lang} caption of {split} clip {i}"}
                )  # fmt: skip
    pl.DataFrame(rows).write_parquet(folder / "captions.parquet")
    rng = np.random.default_rng(0)
    feats = {r["clip_id"]: rng.standard_normal((3, dim)).astype(np.float32) for r in rows}
    if nan:
        feats["train1"][1, 2] = np.nan
    np.savez(folder / "features.npz", **feats)
    return folder


#: runs the CLI in-process and stops it at an exact write (kill, or pause until told to go on)
DIE_AT = str(Path(__file__).with_name("die_at_rename.py"))


def paused_after_first_cell(
    args: list[str], cache: Path, folder: Path, prefix: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, Path]:
    """Start ``c2kd-analyze ARGS`` so that it stops right after the first cell's done.json is
    vouched for, and return once it waits there: ``(process, go)``; creating the file ``go``
    lets it carry on. Whatever the test does meanwhile (a fault, a signal) lands at that exact
    point, however loaded the machine is (``folder``: where the two marker files go, which the
    process must be able to write)."""
    import time

    from c2kd_analyze import io

    paused, go = folder / "paused", folder / "go"
    done_sum = f"{TINY_CELLS[0]}/done.json{io.CHECKSUM_SUFFIX}"
    pause = ["--pause", str(paused), str(go), done_sum, "1", "--"]
    proc = subprocess.Popen(
        [*prefix, sys.executable, DIE_AT, *pause, *args], env=env(cache),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not paused.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the run never reached its first cell"
        time.sleep(0.01)
    return proc, go
