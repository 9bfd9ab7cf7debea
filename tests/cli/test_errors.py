"""The CLI's own error paths: parser errors, the last-resort handler, exit codes.

Parser errors come from typer's (vendored) click before any command runs; each must be a usage
line plus one ``error:`` line, exit code 2, no traceback, under the console script and under
``python -m c2kd_analyze`` alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from c2kd_analyze.cli import main

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))

PARSER_ERRORS = [
    (["run", "--bogus"], "no such option --bogus"),
    (["run", "--teacher", "muse"], "did you mean --teachers"),
    (["run", "--epochs", "abc"], "--epochs"),
    (["run", "--batch-size", "2.5"], "--batch-size"),
    (["run", "--out"], "requires an argument"),
    (["teachers", "check"], "Missing argument"),
    (["nonsense"], "No such command"),
    (["teachers", "nonsense"], "No such command"),
    (["report"], "Missing argument"),
]


def _assert_usage_error(rc: int, stderr: str, needle: str) -> None:
    assert rc == 2, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, lines
    assert lines[-1].startswith("error: ") and needle in lines[-1], lines


@pytest.mark.parametrize(("args", "needle"), PARSER_ERRORS, ids=lambda a: " ".join(a))
def test_parser_errors_in_process(args, needle, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    _assert_usage_error(exit_info.value.code, capsys.readouterr().err, needle)


@pytest.mark.slow  # real processes: the console script and `python -m` are the point
@pytest.mark.parametrize(
    "prefix", [[CLI], [sys.executable, "-m", "c2kd_analyze"]], ids=["script", "python -m"]
)
def test_parser_errors_as_real_processes(prefix) -> None:
    done = subprocess.run(
        [*prefix, "run", "--teacher", "muse"], capture_output=True, text=True, timeout=60
    )
    _assert_usage_error(done.returncode, done.stderr, "did you mean --teachers")
    assert done.stdout == ""


def test_internal_error_is_two_lines_and_exit_1(monkeypatch, capsys) -> None:
    import c2kd_analyze.environment as doctor

    def broken():
        raise RuntimeError("boom in our code")

    monkeypatch.setattr(doctor, "run_checks", broken)
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor"])
    err = capsys.readouterr().err.splitlines()
    assert exit_info.value.code == 1
    assert err == [
        "internal error: RuntimeError: boom in our code",
        "re-run with --verbose for the traceback, and please report it",
    ]


def test_verbose_shows_the_internal_traceback(monkeypatch) -> None:
    import c2kd_analyze.environment as doctor

    def broken():
        raise RuntimeError("boom in our code")

    monkeypatch.setattr(doctor, "run_checks", broken)
    with pytest.raises(RuntimeError, match="boom"):
        main(["--verbose", "doctor"])
