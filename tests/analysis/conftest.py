"""Fixtures of the analysis tests: run folders written on disk (see synthetic_runs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from synthetic_runs import write_run


@pytest.fixture(scope="session")
def _demo_run_template(tmp_path_factory) -> Path:
    """The default synthetic run, written once per session; tests get copies (see demo_run)."""
    return write_run(tmp_path_factory.mktemp("demo-run-template"))


@pytest.fixture
def demo_run(tmp_path, _demo_run_template) -> Path:
    """A fresh copy of the default synthetic run (``runs/<run_id>``), the test's own to change."""
    run = tmp_path / "runs" / _demo_run_template.name
    shutil.copytree(_demo_run_template, run)
    return run
