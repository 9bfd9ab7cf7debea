"""Fixtures of the reliability tests."""

from __future__ import annotations

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
