"""Run-folder files the user cannot read (as an unprivileged user: root reads everything): a run
into such a folder, and a report over it, stop with one line naming the file, never a
traceback or a report that silently leaves the cell out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .helpers import NOBODY, TINY_CELLS, assert_one_line_error, cli, run_args

pytestmark = pytest.mark.slow  # real runs of the bundled mUSE teacher


def _copy_run(reference, base: Path) -> tuple[Path, Path]:
    _, ref, ref_cache = reference
    out, cache = base / "run", base / "cache"
    shutil.copytree(ref, out)
    shutil.copytree(ref_cache, cache)
    for path in [base, *base.rglob("*")]:  # the unprivileged user may write everything ...
        path.chmod(0o777 if path.is_dir() else 0o666)
    return out, cache


@pytest.mark.parametrize("command", ["run", "report"])
def test_an_unreadable_config_is_one_line(shared_tmp, reference, command):
    out, cache = _copy_run(reference, shared_tmp)
    (out / "config.json").chmod(0o000)  # ... but this
    args = run_args(shared_tmp, out) if command == "run" else ["report", str(out)]
    done = cli(args, cache, prefix=NOBODY)
    assert_one_line_error(done, "config.json", "cannot be read", "Permission denied")


def test_an_unreadable_cell_file_is_one_line_not_a_partial_report(shared_tmp, reference):
    out, cache = _copy_run(reference, shared_tmp)
    metrics = out / "cells" / TINY_CELLS[1] / "metrics.parquet"
    metrics.chmod(0o000)
    done = cli(["report", str(out)], cache, prefix=NOBODY)
    assert_one_line_error(done, str(metrics), "cannot be read", "Permission denied")
