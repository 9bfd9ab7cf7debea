"""Disk faults while a run writes: the disk fills up, or write permission on the run folder is
taken away, after the first cell is done. The run stops with one clear line (exit 2), the
finished cell stays intact, nothing half-written reads as valid, and once the disk is fixed a
rerun finishes the table.

Simulated for real, both needing root to set up (CI and dev machines run tests as root;
elsewhere these tests skip):

- disk full: the run folder lives on its own 4 MiB tmpfs (``mount -t tmpfs``), which a
  ballast file fills to ENOSPC;
- permission lost: the run is an unprivileged process (``setpriv`` to user ``nobody``; root
  ignores permissions) and the run folder is made read-only (``chmod a-w``) under it: EACCES.
  (Remounting the tmpfs read-only instead is refused while the run holds its lock files open.)
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import (
    NOBODY,
    TINY_CELLS,
    assert_one_line_error,
    cli,
    paused_after_first_cell,
    run_args,
    stray_temp_files,
)
from .test_interrupt import same_tables

pytestmark = pytest.mark.slow


def _small_fs(base: Path) -> Path:
    """A 4 MiB tmpfs at ``base / "disk"`` that everyone may write to."""
    mount = base / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=777", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return mount


def _fill(mount: Path) -> Path:
    """Write a ballast file until the filesystem is full (ENOSPC)."""
    ballast = mount / "ballast"
    with open(ballast, "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    return ballast


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777 if writable else 0o555)


@pytest.mark.parametrize("fault", ["disk-full", "permission-lost"])
def test_disk_fault_keeps_finished_cells_and_resumes(shared_tmp, reference, fault):
    disk = _small_fs(shared_tmp) if fault == "disk-full" else shared_tmp
    out, cache = disk / "out", shared_tmp / "cache"
    args = run_args(shared_tmp, out)
    first = out / "cells" / TINY_CELLS[0]
    # the run waits after its first cell until the fault is in place: no other cell can finish
    # meanwhile, however loaded the machine is
    proc, go = paused_after_first_cell(args, cache, shared_tmp, prefix=NOBODY)
    assert io.is_valid(first / "done.json")
    if fault == "disk-full":
        ballast = _fill(disk)
    else:
        _chmod_tree(out, writable=False)
    go.touch()
    stdout, stderr = proc.communicate(timeout=240)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    reason = "No space left on device" if fault == "disk-full" else "Permission denied"
    fix = "free some space" if fault == "disk-full" else "a folder you can write to"
    assert_one_line_error(done, reason, str(out), fix)

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
        _chmod_tree(out, writable=True)
    again = cli(args, cache, prefix=NOBODY)
    assert again.returncode == 0, again.stderr
    assert f"{len(TINY_CELLS) - 1} cell(s) run, 1 already done" in again.stdout
    same_tables(out, reference[1])
