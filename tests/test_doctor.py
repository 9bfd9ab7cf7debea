"""`c2kd-analyze doctor`: what works, what fails, and the exit code; each test runs the command
in this process (fast) and as the real console script (slow), through ``c2kd_cli``."""

from __future__ import annotations

import pytest


@pytest.fixture
def _doctor(c2kd_cli):
    return lambda env_updates: c2kd_cli(["doctor"], env={**env_updates, "COLUMNS": "200"})


def _line(out: str, area: str) -> str:
    """The line of one check (``area`` with a trailing space, so 'cache ' is not 'cache-x')."""
    return next(line for line in out.splitlines() if f"  {area}" in line)


def test_doctor_reports_bundled_teachers_ok_and_hub_teachers_with_a_fix(tmp_path, _doctor):
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


def test_doctor_fails_when_the_cache_folder_cannot_be_written(tmp_path, _doctor):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = _doctor({"C2KD_CACHE": str(blocker / "cache")})
    assert proc.returncode == 1
    assert _line(proc.stdout, "cache ").startswith("FAIL")
    assert "C2KD_CACHE" in proc.stdout
    assert "1 check(s) failed: cache" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_doctor_sees_a_hub_teacher_in_a_named_folder(tmp_path, _doctor):
    folder = tmp_path / "labse"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    proc = _doctor({"C2KD_CACHE": str(tmp_path / "cache"), "C2KD_TEACHER_DIRS": f"labse={folder}"})
    assert proc.returncode == 0, proc.stderr
    assert _line(proc.stdout, "teacher labse ").startswith("ok")


def test_doctor_says_what_precision_auto_picks_and_why(tmp_path, _doctor):
    from c2kd_analyze.devices import planned_precision
    from c2kd_analyze.native_bf16 import cpu_bf16

    proc = _doctor({"C2KD_CACHE": str(tmp_path / "cache")})
    line = _line(proc.stdout, "precision ")
    assert f"cpu: auto = {planned_precision('cpu', 'auto')}" in line
    assert cpu_bf16().describe() in line
    if cpu_bf16().native:  # held below AMX, oneDNN cannot use it: auto says fp32, and why
        proc = _doctor({"C2KD_CACHE": str(tmp_path / "cache"), "ONEDNN_MAX_CPU_ISA": "AVX2"})
        line = _line(proc.stdout, "precision ")
        assert "cpu: auto = fp32" in line and "switched off" in line
