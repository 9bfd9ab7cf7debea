"""`c2kd-analyze export`'s user mistakes: one `error:` line, exit 2, nothing written to --out.

Fabricated run folders (a config.json, done.json files and one checkpoint with random weights)
make every case take milliseconds: each is refused before any model is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from export_helpers import fabricate_run

from c2kd_analyze.cli import main


def _run_cli(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", *args])
    return exit_info.value.code, capsys.readouterr().err


def _one_line_error(code: int, err: str, *needles: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _nothing_written(parent: Path, out: Path) -> None:
    assert not out.exists()
    assert [p.name for p in parent.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def run(tmp_path) -> Path:
    cells = ("teacher-muse-s0", "zero-shot-s0", "c2kd-muse-s0")
    return fabricate_run(tmp_path, Path(os.environ["C2KD_CACHE"]), cells=cells)


def test_unknown_cell_lists_the_run_cells(run, tmp_path, capsys):
    out = tmp_path / "exports" / "x"
    out.parent.mkdir()
    code, err = _run_cli([str(run), "c2kd-labse-s0", "--out", str(out)], capsys)
    line = _one_line_error(code, err, "no cell 'c2kd-labse-s0'", "did you mean 'c2kd-muse-s0'")
    assert "its cells: c2kd-muse-s0, teacher-muse-s0, zero-shot-s0" in line
    _nothing_written(out.parent, out)


def test_muse_student_is_refused_with_what_to_use_instead(run, tmp_path, capsys):
    out = tmp_path / "x"
    code, err = _run_cli([str(run), "c2kd-muse-s0", "--out", str(out)], capsys)
    needles = ("'muse'", "not a torch model", "sentence-transformers", "--video-only")
    _one_line_error(code, err, *needles)
    assert not out.exists()


def test_missing_checkpoint_says_which_cache(run, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "another-cache"))
    out = tmp_path / "x"
    code, err = _run_cli([str(run), "c2kd-muse-s0", "--out", str(out)], capsys)
    _one_line_error(code, err, "checkpoint kkkk", "not in this cache", "C2KD_CACHE")
    assert not out.exists()


@pytest.mark.parametrize("make", ["file", "non-empty folder"])
def test_out_that_is_a_file_or_full_folder(run, tmp_path, capsys, make):
    out = tmp_path / "taken"
    if make == "file":
        out.write_text("mine")
    else:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    code, err = _run_cli([str(run), "c2kd-muse-s0", "--out", str(out), "--video-only"], capsys)
    _one_line_error(code, err, str(out), "file" if make == "file" else "--overwrite")
    assert (out.read_text() if make == "file" else (out / "keep.txt").read_text()) == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_not_a_run_folder_and_unfinished_cell(run, tmp_path, capsys):
    code, err = _run_cli([str(tmp_path), "c2kd-muse-s0", "--out", str(tmp_path / "x")], capsys)
    _one_line_error(code, err, "not a run folder")
    (run / "cells" / "c2kd-pool-s0").mkdir()
    code, err = _run_cli([str(run), "c2kd-pool-s0", "--out", str(tmp_path / "x")], capsys)
    _one_line_error(code, err, "not finished")


def test_cell_without_recorded_checkpoint(run, tmp_path, capsys):
    from c2kd_analyze import io

    done = run / "cells" / "zero-shot-s0" / "done.json"
    io.write_json(done, {"run_id": "demo-fake", "cell": "zero-shot-s0", "checkpoint": None})
    code, err = _run_cli([str(run), "zero-shot-s0", "--out", str(tmp_path / "x")], capsys)
    _one_line_error(code, err, "records no checkpoint", str(done))


def test_video_only_and_overwrite(run, tmp_path, capsys):
    out = tmp_path / "video-only"
    out.mkdir()  # an empty folder is fine
    main(["export", str(run), "c2kd-muse-s0", "--out", str(out), "--video-only"])
    assert "exported c2kd-muse-s0 (video tower)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "c2kd_export.json", "video"]
    assert sorted(p.name for p in (out / "video").iterdir()) == ["config.json", "model.safetensors"]
    record = (out / "c2kd_export.json").read_text()
    assert '"video/model.safetensors"' in record  # the export lists its own files
    weights = out / "video" / "model.safetensors"
    before = weights.stat().st_ino
    main(["export", str(run), "c2kd-muse-s0", "--out", str(out), "--video-only", "--overwrite"])
    assert weights.is_file() and weights.stat().st_ino != before  # a previous export: replaced
    (out / "notes.txt").write_text("mine")  # a file the export did not write
    code, err = _run_cli(
        [str(run), "c2kd-muse-s0", "--out", str(out), "--video-only", "--overwrite"], capsys
    )
    _one_line_error(code, err, "notes.txt", "only a previous export")
    assert (out / "notes.txt").read_text() == "mine" and weights.is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    nested = tmp_path / "new" / "folders" / "out"  # missing parents are created
    main(["export", str(run), "c2kd-muse-s0", "--out", str(nested), "--video-only"])
    assert (nested / "video" / "config.json").is_file()
