"""The data-folder matrix: a generic-format folder with one thing wrong in a file a reader reads,
or one awkward file beside the data that no reader reads, given to ``datasets check`` and to
``run``.

- a file the reader reads is wrong (a named pipe, a dangling link, unreadable, a list-typed
  column, a clip id too long for a file name, features beyond float32, ...): both commands exit 2
  with the same one ``error:`` line naming the file and the fix, no traceback, never a hang,
  and ``run`` leaves nothing a later run would trust;
- a file beside the data that no reader reads (a named pipe, a dangling link, an unreadable
  file): both commands succeed, and the run id is the clean folder's.

Permission cases run the CLI as an unprivileged user (``setpriv`` to ``nobody``; root reads any
file), so they run only as processes (slow); the others run in this process (fast set) and, with
every case, as real processes (slow).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from .helpers import CLI, env, valid_files, write_generic

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def _per_clip(folder: Path) -> Path:
    """The helpers' generic folder with its features as features/<clip_id>.npy files."""
    write_generic(folder)
    with np.load(folder / "features.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    (folder / "features.npz").unlink()
    (folder / "features").mkdir()
    for cid, arr in arrays.items():
        np.save(folder / "features" / f"{cid}.npy", arr)
    return folder


def _edit_table(folder: Path, *exprs) -> None:
    table = folder / "captions.parquet"
    pl.read_parquet(table).with_columns(*exprs).write_parquet(table)


def _edit_features(folder: Path, edit: Callable[[dict], dict]) -> None:
    with np.load(folder / "features.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    np.savez(folder / "features.npz", **edit(arrays))


def _replace_with_pipe(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _replace_with_dangling_link(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(path.with_name("moved-away"))


def _unreadable(path: Path) -> None:
    path.chmod(0)


def _long_id(folder: Path) -> None:
    _per_clip(folder)
    long_id = "c" * 300
    _edit_table(folder, pl.col("clip_id").replace("train1", long_id))
    (folder / "features" / "train1.npy").unlink()


def _blank(folder: Path, clips: tuple[str, ...]) -> None:
    """German captions of ``clips`` made of zero-width spaces only."""
    blank = pl.col("clip_id").is_in(list(clips)) & (pl.col("lang") == "de")
    _edit_table(folder, pl.when(blank).then(pl.lit("\u200b\u200b")).otherwise("caption")
                .alias("caption"))  # fmt: skip


def _beside(make: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        write_generic(folder)
        make(folder)
        return folder

    return build


def _generic_with(edit: Callable[[Path], None], per_clip: bool = False) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (_per_clip if per_clip else write_generic)(folder)
        edit(folder)
        return folder

    return build


@dataclass(frozen=True)
class DataCase:
    name: str
    build: Callable[[Path], Path]  # writes the data folder and returns it
    #: words the one error line must hold; () when both commands must succeed
    needles: tuple[str, ...] = ()
    #: runs only as an unprivileged process (permissions mean nothing to root)
    unprivileged: bool = False
    #: the case adds only files no reader reads: the run id is the clean folder's
    beside: bool = False


def _pipe_beside(folder: Path) -> None:
    os.mkfifo(folder / "a pipe")


def _link_beside(folder: Path) -> None:
    (folder / "old-captions.parquet").symlink_to(folder / "gone.parquet")


def _secret_beside(folder: Path) -> None:
    (folder / "secret.txt").write_text("not data")
    (folder / "secret.txt").chmod(0)


CASES = [
    DataCase("captions table is a named pipe",
             _generic_with(lambda f: _replace_with_pipe(f / "captions.parquet")),
             ("captions.parquet", "named pipe", "not a regular file")),
    DataCase("features.npz is a named pipe",
             _generic_with(lambda f: _replace_with_pipe(f / "features.npz")),
             ("features.npz", "named pipe")),
    DataCase("a clip's .npy is a named pipe",
             _generic_with(lambda f: _replace_with_pipe(f / "features" / "test2.npy"), True),
             ("test2.npy", "named pipe")),
    DataCase("captions table is a dangling link",
             _generic_with(lambda f: _replace_with_dangling_link(f / "captions.parquet")),
             ("captions.parquet", "symbolic link", "moved-away", "does not exist")),
    DataCase("features/ is a dangling link",
             _generic_with(lambda f: _replace_with_dangling_link(f / "features"), True),
             ("features", "dangling symbolic link")),
    DataCase("a 300-character clip id with a features/ folder", _generic_with(_long_id),
             ("300 characters", "too long", "features.npz")),
    DataCase("a list-typed caption column",
             _generic_with(lambda f: _edit_table(f, pl.concat_list("caption", "caption"))),
             ("captions.parquet", "'caption'", "list", "one text per row")),
    DataCase("binary clip ids that are not UTF-8",
             _generic_with(lambda f: _edit_table(f, pl.when(pl.col("clip_id") == "train3")
                                                 .then(pl.lit(b"\xff\xfe"))
                                                 .otherwise(pl.col("clip_id").cast(pl.Binary))
                                                 .alias("clip_id"))),
             ("captions.parquet", "'clip_id'", "not UTF-8")),
    DataCase("a row without a language",
             _generic_with(lambda f: _edit_table(
                 f, pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise("lang")
                 .alias("lang"))),
             ("captions.parquet", "row 3", "no language")),
    DataCase("captions.csv beside captions.parquet",
             _generic_with(lambda f: pl.read_parquet(f / "captions.parquet")
                           .write_csv(f / "captions.csv")),
             ("both captions.parquet and captions.csv", "keep one")),
    DataCase("float64 features beyond float32's range",
             _generic_with(lambda f: _edit_features(
                 f, lambda a: {**a, "test1": a["test1"].astype(np.float64) * 1e300})),
             ("features.npz", "'test1'", "beyond float32's range")),
    DataCase("complex features",
             _generic_with(lambda f: _edit_features(
                 f, lambda a: {k: v.astype(np.complex128) for k, v in a.items()})),
             ("features.npz", "complex")),
    DataCase("every German test caption is zero-width spaces",
             _generic_with(lambda f: _blank(f, tuple(f"test{i}" for i in range(4)))),
             ("language 'de' has no test captions",)),
    DataCase("some captions are zero-width spaces",
             _generic_with(lambda f: _blank(f, ("train2", "test3")))),
    DataCase("a named pipe beside the data", _beside(_pipe_beside), beside=True),
    DataCase("a dangling link beside the data", _beside(_link_beside), beside=True),
    DataCase("unreadable captions.parquet",
             _generic_with(lambda f: _unreadable(f / "captions.parquet")),
             ("captions.parquet", "permission denied", "chmod"), unprivileged=True),
    DataCase("unreadable features.npz",
             _generic_with(lambda f: _unreadable(f / "features.npz")),
             ("features.npz", "permission denied"), unprivileged=True),
    DataCase("unreadable features/ folder",
             _generic_with(lambda f: _unreadable(f / "features"), True),
             ("features", "permission denied", "chmod a+rx"), unprivileged=True),
    DataCase("an unreadable clip .npy",
             _generic_with(lambda f: _unreadable(f / "features" / "train0.npy"), True),
             ("train0.npy", "permission denied"), unprivileged=True),
    DataCase("an unreadable file beside the data", _beside(_secret_beside), unprivileged=True,
             beside=True),
]  # fmt: skip

IDS = [c.name for c in CASES]


def _commands(data: Path, out: Path) -> dict[str, list[str]]:
    return {
        "check": ["datasets", "check", "generic", "--data-dir", str(data)],
        "run": ["run", "--dataset", "generic", "--data-dir", str(data), "--teachers", "muse",
                "--student", "muse", "--epochs", "1", "--batch-size", "4", "--no-progress",
                "--no-report", "--out", str(out)],
    }  # fmt: skip


def _error_line(rc: int, stdout: str, stderr: str, case: DataCase) -> str:
    """The one error line, after checking the contract; "" when the command succeeded."""
    assert "Traceback" not in stderr + stdout, stderr
    if not case.needles:
        assert rc == 0, (case.name, rc, stderr[-2000:])
        return ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert rc == 2, (case.name, rc, stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for needle in case.needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def _nothing_trusted_left(out: Path, cache: Path) -> None:
    assert set(valid_files(out)) <= {out / "config.json"}
    assert not valid_files(cache / "checkpoints") and not valid_files(cache / "embeddings")


# ---------------------------------------------------------------------------------------------
# in this process (fast set): every case root can see


def _main(args: list[str], capsys) -> tuple[int, str, str]:
    from c2kd_analyze.cli import main

    capsys.readouterr()
    try:
        main(args)
        rc = 0
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return rc, out.out, out.err


def _run_id(data: Path, capsys) -> str:
    rc, out, err = _main(
        [
            "run",
            "--dataset",
            "generic",
            "--data-dir",
            str(data),
            "--teachers",
            "muse",
            "--student",
            "muse",
            "--batch-size",
            "4",
            "--dry-run",
        ],
        capsys,
    )
    assert rc == 0, err
    return out.split()[1]  # "run <id> -> <folder>"


@pytest.mark.timeout(300)  # a pipe opened by mistake would block for ever: fail instead
@pytest.mark.parametrize("case", [c for c in CASES if not c.unprivileged],
                         ids=[c.name for c in CASES if not c.unprivileged])  # fmt: skip
def test_check_and_run_answer_alike(tmp_path, case, capsys):
    data = case.build(tmp_path / "data")
    commands = _commands(data, tmp_path / "out")
    check = _error_line(*_main(commands["check"], capsys), case)
    if case.needles:  # the run stops where check stops, with the same line
        assert _error_line(*_main(commands["run"], capsys), case) == check
        _nothing_trusted_left(tmp_path / "out", tmp_path / "cache")
    if case.beside:
        assert _run_id(data, capsys) == _run_id(write_generic(tmp_path / "clean"), capsys)


def test_the_run_id_follows_exactly_the_files_read(tmp_path, capsys):
    """A README and a run folder inside the data folder change nothing; a caption, a clip's
    features, or a file under a symbolically linked features/ folder do."""
    data = _per_clip(tmp_path / "data")
    shutil.move(data / "features", tmp_path / "features-elsewhere")
    (data / "features").symlink_to(tmp_path / "features-elsewhere", target_is_directory=True)
    first = _run_id(data, capsys)
    (data / "README.txt").write_text("how I made these features")
    (data / "runs" / first / "cells").mkdir(parents=True)
    (data / "runs" / first / "results.parquet").write_bytes(b"a finished run")
    assert _run_id(data, capsys) == first
    np.save(tmp_path / "features-elsewhere" / "test0.npy", np.ones((3, 16), np.float32))
    second = _run_id(data, capsys)
    assert second != first
    _edit_table(data, pl.col("caption") + "!")
    assert _run_id(data, capsys) not in (first, second)


# ---------------------------------------------------------------------------------------------
# as real processes (slow): every case, the permission ones as an unprivileged user


@pytest.fixture
def world_tmp():
    """A scratch folder every user can reach (pytest's own tmp is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="c2kd-data-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:  # make what a case hid removable again
            if not path.is_symlink():
                path.chmod(0o777)
        shutil.rmtree(folder, ignore_errors=True)


def _as_processes(case: DataCase, tmp: Path) -> tuple[str, str]:
    """(check's error line, run's error line) of ``case`` as real processes."""
    tmp.mkdir()
    tmp.chmod(0o777)
    data = case.build(tmp / "data")
    for path in [data, *data.rglob("*")]:  # readable by the unprivileged user, but what the
        if not path.is_symlink() and path.stat().st_mode & 0o777:  # case took away
            path.chmod(0o777 if path.is_dir() else 0o666)
    prefix = NOBODY if case.unprivileged else ()
    lines = []
    for name, args in _commands(data, tmp / "out").items():
        done = subprocess.run([*prefix, CLI, *args], env=env(tmp / "cache"), capture_output=True,
                              text=True, timeout=300, cwd=tmp)  # fmt: skip
        lines.append(_error_line(done.returncode, done.stdout, done.stderr, case))
        if name == "run" and case.needles:
            _nothing_trusted_left(tmp / "out", tmp / "cache")
    return lines[0], lines[1]


@pytest.mark.slow
def test_data_cases_as_processes(world_tmp):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the permission cases as an unprivileged user")
    with ThreadPoolExecutor(max_workers=min(4, max(2, os.cpu_count() or 2))) as pool:
        tmps = [world_tmp / f"c{i}" for i in range(len(CASES))]
        answers = list(pool.map(_as_processes, CASES, tmps))
    differ = [f"{c.name}:\n  check {a}\n  run   {b}" for c, (a, b) in zip(CASES, answers,
              strict=True) if a != b]  # fmt: skip
    assert not differ, "\n".join(differ)


@pytest.mark.slow
def test_a_run_inside_its_data_folder_resumes(tmp_path):
    """``--out`` inside the data folder: the rerun finds every cell done, also after a README,
    a named pipe and a dangling link appear beside the data; edited captions are a new run."""
    data = write_generic(tmp_path / "data")
    args = _commands(data, data / "runs" / "mine")["run"]
    first = subprocess.run([CLI, *args], env=env(tmp_path / "cache"), capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert first.returncode == 0, first.stderr
    (data / "README.txt").write_text("my clips")
    os.mkfifo(data / "a pipe")
    (data / "link").symlink_to(data / "nowhere")
    again = subprocess.run([CLI, *args], env=env(tmp_path / "cache"), capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "0 cell(s) run, 4 already done" in again.stdout
    assert again.stdout.split()[1] == first.stdout.split()[1]  # "run <id>: ..."


def test_data_edited_while_the_run_starts_is_refused(tmp_path, monkeypatch):
    """The run id is made from the files before they are loaded; a caption edited in between
    (another process writing the data) would train on data the id does not name: refused."""
    import c2kd_analyze.data as data_api
    from c2kd_analyze.config import build_config
    from c2kd_analyze.distill.runner import run_experiment
    from c2kd_analyze.errors import UserError

    data = write_generic(tmp_path / "data")
    load = data_api.load_dataset

    def edited_then_loaded(*args, **kw):
        _edit_table(data, pl.col("caption") + " (edited meanwhile)")
        return load(*args, **kw)

    monkeypatch.setattr(data_api, "load_dataset", edited_then_loaded)
    cfg = build_config("demo", dataset="generic", teachers="muse", student="muse", epochs=1,
                       batch_size=4, dataset_options={})  # fmt: skip
    with pytest.raises(UserError, match="changed while the run started") as exc:
        run_experiment(cfg, tmp_path / "out", data_dir=data, progress=False, device="cpu")
    assert "run the command again" in str(exc.value)
    assert not valid_files(tmp_path / "out")
