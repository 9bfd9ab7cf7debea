"""`c2kd-analyze doctor` as a real process: what works, what fails, and the exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXE = str(Path(sys.executable).with_name("c2kd-analyze"))


def _doctor(env_updates: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_updates, "COLUMNS": "200"}
    return subprocess.run([EXE, "doctor"], capture_output=True, text=True, env=env, timeout=120)


def _line(out: str, area: str) -> str:
    """The line of one check (``area`` with a trailing space, so 'cache ' is not 'cache-x')."""
    return next(line for line in out.splitlines() if f"  {area}" in line)


def test_doctor_reports_bundled_teachers_ok_and_hub_teachers_with_a_fix(tmp_path):
    proc = _doctor({"C2KD_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for name in ("muse", "me5-small", "minilm-en"):
        assert _line(out, f"teacher {name} ").startswith("ok")
    labse = _line(out, "teacher labse ")
    assert labse.startswith("warn")
    assert "teachers fetch labse" in out
    assert _line(out, "cache ").startswith("ok")
    assert "Traceback" not in proc.stderr


def test_doctor_fails_when_the_cache_folder_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = _doctor({"C2KD_CACHE": str(blocker / "cache")})
    assert proc.returncode == 1
    assert _line(proc.stdout, "cache ").startswith("FAIL")
    assert "C2KD_CACHE" in proc.stdout
    assert "1 check(s) failed: cache" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_doctor_sees_a_hub_teacher_in_a_named_folder(tmp_path):
    folder = tmp_path / "labse"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    proc = _doctor({"C2KD_CACHE": str(tmp_path / "cache"), "C2KD_TEACHER_DIRS": f"labse={folder}"})
    assert proc.returncode == 0, proc.stderr
    assert _line(proc.stdout, "teacher labse ").startswith("ok")
