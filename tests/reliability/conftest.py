"""Fixtures of the reliability tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .helpers import cli, run_args


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> tuple[Path, Path, Path]:
    """One uninterrupted TINY run, shared by the tests that compare against it:
    (its tmp folder, its run folder, its cache). Tests copy it before changing anything."""
    tmp = tmp_path_factory.mktemp("reference")
    out, cache = tmp / "out", tmp / "cache"
    done = cli(run_args(tmp, out), cache)
    assert done.returncode == 0, done.stderr
    return tmp, out, cache


@pytest.fixture
def shared_tmp():
    """A world-writable scratch folder outside pytest's private tmp (which nobody can't reach)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the CLI as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="c2kd-disk-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder / "disk")], capture_output=True, check=False)
        for path in [folder, *folder.rglob("*")]:  # a test may have made parts read-only
            if not path.is_symlink():
                path.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)
