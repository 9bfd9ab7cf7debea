"""The deletion rule end to end: real ``run``, ``run --overwrite``, ``report --out`` and
``export --overwrite`` processes against folders of a user's own files. Every user file must
come out byte for byte as it went in; the tool's own files may be replaced."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import TINY_CELLS, assert_one_line_error, cli, run_args

pytestmark = pytest.mark.slow  # real runs and reports of the bundled mUSE teacher

#: a user's folder: names that collide with a run folder's, and some that do not
USER_FILES = {
    "config.json": '{"mine": true}\n',  # no checksum sidecar: not a run record
    "report.md": "# my notes\n",
    "figures/a.png": "not really a png",
    "tables/t.csv": "a,b\n1,2\n",
    "cells/notes.txt": "my notes on cells\n",
}
#: user files put inside a real run folder (no names of the tool's)
INSIDE_RUN = {
    "notes.txt": "notes\n",
    "figures/mine.png": "mine",
    "tables/mine.csv": "x\n",
    f"cells/{TINY_CELLS[0]}/my-plot.pdf": "pdf",
}


def _plant(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _unchanged(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        assert (root / rel).read_text() == text, rel


def _copy_run(reference, tmp: Path) -> tuple[Path, Path]:
    _, ref, ref_cache = reference
    out, cache = tmp / "run", tmp / "cache"
    shutil.copytree(ref, out)
    shutil.copytree(ref_cache, cache)
    return out, cache


def test_run_refuses_a_folder_of_user_files(tmp_path):
    folder = tmp_path / "mine"
    _plant(folder, USER_FILES)
    done = cli(run_args(tmp_path, folder), tmp_path / "cache")
    line = assert_one_line_error(done, "did not write", "config.json")
    assert "choose another --out" in line
    _unchanged(folder, USER_FILES)
    assert not (folder / "config.json.sha256").exists()
    assert not (folder / "results.parquet").exists()


def test_run_overwrite_replaces_only_the_tools_files(tmp_path, reference):
    out, cache = _copy_run(reference, tmp_path)
    _plant(out, INSIDE_RUN)
    old_id = io.read_json(out / "config.json")["run_id"]
    done = cli([*run_args(tmp_path, out), "--balance", "0.5", "--overwrite"], cache)
    assert done.returncode == 0, done.stderr
    _unchanged(out, INSIDE_RUN)
    assert "kept 4 file(s)" in done.stderr and "notes.txt" in done.stderr
    assert io.read_json(out / "config.json")["run_id"] != old_id
    assert all(io.is_valid(out / "cells" / c / "done.json") for c in TINY_CELLS)


def test_report_never_writes_over_a_users_file(tmp_path, reference):
    _, ref, cache = reference
    folder = tmp_path / "reports"
    _plant(folder, {"report.md": "# mine\n", "figures/mine.png": "mine"})
    done = cli(["report", str(ref), "--out", str(folder)], cache)
    assert_one_line_error(done, "report.md", "not written by c2kd-analyze")
    _unchanged(folder, {"report.md": "# mine\n", "figures/mine.png": "mine"})
    (folder / "report.md").unlink()  # the user moves it away: the report goes in beside theirs
    done = cli(["report", str(ref), "--out", str(folder)], cache)
    assert done.returncode == 0, done.stderr
    assert io.is_valid(folder / "report.md")
    _unchanged(folder, {"figures/mine.png": "mine"})


def test_export_never_writes_into_over_or_above_a_run(tmp_path, reference):
    out, cache = _copy_run(reference, tmp_path)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    cell = "c2kd-muse-s0"
    for target, needle in (
        (out, "inside the run folder"),
        (out / "export", "inside the run folder"),
        (tmp_path, "holds the run folder"),
    ):
        args = ["export", str(out), cell, "--video-only", "--out", str(target), "--overwrite"]
        assert_one_line_error(cli(args, cache), needle)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    mine = tmp_path / "exports"
    _plant(mine, {"notes.txt": "mine\n"})
    args = ["export", str(out), cell, "--video-only", "--out", str(mine), "--overwrite"]
    assert_one_line_error(cli(args, cache), "notes.txt", "only a previous export")
    _unchanged(mine, {"notes.txt": "mine\n"})
