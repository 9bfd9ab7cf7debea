"""Disk faults while a run writes: the disk fills up, or the folder turns read-only, after the
first cell is done. The run stops with one clear line (exit 2), the finished cell stays intact,
nothing half-written reads as valid, and once the disk is fixed a rerun finishes the table.

Simulated for real: the run folder lives on its own small tmpfs (``mount -t tmpfs``), which a
ballast file fills to ENOSPC, or which is remounted read-only (EROFS). Mounting needs root (the
CI and dev machines run tests as root); elsewhere these tests skip.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import TINY_CELLS, assert_one_line_error, cli, popen, run_args, stray_temp_files
from .test_interrupt import same_tables

pytestmark = pytest.mark.slow


@pytest.fixture
def small_fs(tmp_path):
    """A 4 MiB tmpfs mounted at ``tmp_path / "disk"`` (skips when mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path) -> Path:
    """Write a ballast file until the filesystem is full (ENOSPC)."""
    ballast = mount / "ballast"
    with open(ballast, "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    return ballast


def _read_only(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


def _writable(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)


@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
def test_disk_fault_keeps_finished_cells_and_resumes(tmp_path, small_fs, reference, fault):
    out, cache = small_fs / "out", tmp_path / "cache"
    args = run_args(tmp_path, out)
    first = out / "cells" / TINY_CELLS[0]
    proc = popen(args, cache)
    deadline = time.monotonic() + 240
    while not io.is_valid(first / "done.json"):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ballast = _fill(small_fs) if fault == "disk-full" else _read_only(small_fs)
    stdout, stderr = proc.communicate(timeout=240)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    reason = "No space left on device" if fault == "disk-full" else "Read-only file system"
    line = assert_one_line_error(done, reason, str(out))
    assert ("free some space" in line) == (fault == "disk-full")

    # the finished cell is intact; nothing of the failed one reads as valid; no temp files
    for name in ("metrics.parquet", "ranks.parquet", "history.parquet", "done.json"):
        assert io.is_valid(first / name)
    assert io.read_parquet(first / "metrics.parquet").equals(
        io.read_parquet(reference[1] / "cells" / TINY_CELLS[0] / "metrics.parquet")
    )
    assert not any(io.is_valid(out / "cells" / c / "done.json") for c in TINY_CELLS[1:])
    assert not (out / "results.parquet").exists()
    assert not stray_temp_files(out)

    # the disk is fixed: the rerun trains only what is missing and matches the reference
    if fault == "disk-full":
        ballast.unlink()
    else:
        _writable(small_fs)
    again = cli(args, cache)
    assert again.returncode == 0, again.stderr
    assert f"{len(TINY_CELLS) - 1} cell(s) run, 1 already done" in again.stdout
    same_tables(out, reference[1])
