"""Fixtures of the analysis tests: run folders written on disk (see synthetic_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_runs import write_run


@pytest.fixture
def demo_run(tmp_path) -> Path:
    return write_run(tmp_path / "runs")
