"""Bad-input matrix: each user mistake gives one ``error:`` line naming the problem and the fix,
exit code 2, no traceback, and leaves nothing behind that a later run would read as valid.

Every case runs in this process (fast set) and again as the real ``c2kd-analyze`` console script
in a fresh process (slow), each with its own cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from c2kd_analyze import io

from .helpers import TINY, assert_one_line_error, cli, small_config, valid_files, write_generic


@dataclass(frozen=True)
class Case:
    name: str
    #: builds the command line in a tmp folder (may create files there)
    args: Callable[[Path], list[str]]
    #: words the one error line must contain (the problem, and what to do)
    needles: tuple[str, ...]


def _run(tmp: Path, *extra: str) -> list[str]:
    return ["run", *TINY, "--config", str(small_config(tmp)), "--out", str(tmp / "out"), *extra]


def _with(flag: str, value: str) -> Callable[[Path], list[str]]:
    """TINY run args with ``flag`` replaced by (or set to) ``value``."""

    def build(tmp: Path) -> list[str]:
        args = _run(tmp)
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
        return args

    return build


def _run_generic(tmp: Path, folder: Path) -> list[str]:
    """A TINY run over a generic-format folder (the generic loader takes no size options)."""
    args = _with("--batch-size", "4")(tmp)
    while "--dataset-option" in args:
        i = args.index("--dataset-option")
        del args[i : i + 2]
    return [*args, "--dataset", "generic", "--data-dir", str(folder)]


def _generic(tmp: Path, **kw) -> list[str]:
    return _run_generic(tmp, write_generic(tmp / "data", **kw))


def _unreadable_captions(tmp: Path) -> list[str]:
    args = _generic(tmp)
    (tmp / "data" / "captions.parquet").write_bytes(b"PAR1 this is not parquet")
    return args


def _empty_captions(tmp: Path) -> list[str]:
    args = _generic(tmp)
    (tmp / "data" / "captions.parquet").unlink()
    (tmp / "data" / "captions.csv").write_text("")
    return args


def _header_only_captions(tmp: Path) -> list[str]:
    args = _generic(tmp)
    (tmp / "data" / "captions.parquet").unlink()
    (tmp / "data" / "captions.csv").write_text("clip_id,lang,caption,split\n")
    return args


def _data_dir_is_a_file(tmp: Path) -> list[str]:
    (tmp / "data").write_text("not a folder")
    return _run_generic(tmp, tmp / "data")


def _other_config(tmp: Path) -> list[str]:
    # a run folder as `run` leaves it, for another config (another run id), one cell finished
    other = "demo-0123456789"
    io.write_json(tmp / "out" / "config.json", {"run_id": other, "config": {}})
    done = tmp / "out" / "cells" / "teacher-muse-s0" / "done.json"
    io.write_json(done, {"run_id": other, "cell": "teacher-muse-s0"})
    return _run(tmp)


def _out_under_a_file(tmp: Path) -> list[str]:
    # Tests run as root, so chmod cannot take write permission away; a path below a regular
    # file can never be created, whoever asks (ENOTDIR), which is the same user-facing mistake.
    (tmp / "blocker").write_text("a file, not a folder")
    args = _run(tmp)
    args[args.index("--out") + 1] = str(tmp / "blocker" / "run")
    return args


def _out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "out").write_text("a file")
    return _run(tmp)


def _report_no_results(tmp: Path) -> list[str]:
    (tmp / "empty").mkdir()
    return ["report", str(tmp / "empty")]


def _report_missing(tmp: Path) -> list[str]:
    return ["report", str(tmp / "nowhere")]


def _bad_toml(tmp: Path) -> list[str]:
    (tmp / "bad.toml").write_text("epochs = = 3\n")
    return [*_run(tmp), "--config", str(tmp / "bad.toml")]


CASES = [
    Case("unknown teacher", _with("--teachers", "muse,nosuchmodel"), ("nosuchmodel",)),
    Case("unknown student", _with("--student", "nosuchmodel"), ("--student", "nosuchmodel")),
    Case("unknown dataset", _with("--dataset", "msrvt"), ("msrvt", "choose")),
    Case("unknown language", lambda t: _generic(t, langs=("en", "xx")), ("xx",)),
    Case(
        "unknown pool",
        lambda t: [*_with("--teachers", "muse,minilm-en")(t), "--pool", "median"],
        ("median", "max", "min", "mean"),
    ),
    Case("unknown preset", _with("--preset", "papr-msrvtt"), ("papr-msrvtt", "paper-msrvtt")),
    Case("unknown mode", _with("--mode", "half"), ("half", "frozen")),
    Case("balance above 1", _with("--balance", "1.5"), ("--balance", "[0, 1]", "1.5")),
    Case("temperature 0", _with("--temperature", "0"), ("--temperature", "[0.001, 10]")),
    Case("seeds not integers", _with("--seeds", "0,one"), ("--seeds", "integer", "one")),
    Case("seeds fractional", _with("--seeds", "1.5"), ("--seeds", "integer", "1.5")),
    Case("epochs 0", _with("--epochs", "0"), ("--epochs", "[1, 10000]")),
    Case("batch size 1", _with("--batch-size", "1"), ("--batch-size", "[2, 1000000]")),
    Case("bad dataset option", _with("--dataset-option", "n_train"), ("KEY=VALUE",)),
    Case("unknown dataset option", _with("--dataset-option", "n_trian=5"), ("n_trian", "options")),
    Case(
        "missing data folder",
        lambda t: _run_generic(t, t / "nowhere"),
        ("nowhere", "does not exist"),
    ),
    Case("data folder is a file", _data_dir_is_a_file, ("data", "is a file")),
    Case("unreadable captions", _unreadable_captions, ("captions.parquet", "cannot read")),
    Case("empty captions file", _empty_captions, ("captions.csv",)),
    Case("captions header only", _header_only_captions, ("captions.csv",)),
    Case("NaN features", lambda t: _generic(t, nan=True), ("train1", "NaN")),
    Case(
        "missing config file",
        lambda t: [*_run(t), "--config", str(t / "none.toml")],
        ("none.toml", "not found"),
    ),
    Case("invalid config file", _bad_toml, ("bad.toml", "TOML")),
    Case("run folder of another config", _other_config, ("demo-0123456789", "--overwrite")),
    Case("out folder not writable", _out_under_a_file, ("blocker",)),
    Case("out is a file", _out_is_a_file, ("out", "is a file", "choose a folder")),
    Case("report without results", _report_no_results, ("empty",)),
    Case("report of a missing folder", _report_missing, ("nowhere",)),
    Case("hub teacher absent offline", _with("--teachers", "labse"), ("labse",)),
    Case(
        "teacher dir missing",
        lambda t: [*_run(t), "--teacher-dir", f"muse={t / 'nowhere'}"],
        ("nowhere",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_one_clear_line(tmp_path, case, c2kd_cli):
    """In this process (fast set) and as the real console script (slow): the cache is the
    test's own ``tmp_path / "cache"`` (conftest)."""
    args = case.args(tmp_path)
    before = set(valid_files(tmp_path / "out"))
    done = c2kd_cli(args, timeout=120)
    line = assert_one_line_error(done, *case.needles)
    assert len(line) < 400, line
    # nothing new a later run would trust: no results, no cells, no checkpoints, no vectors;
    # at most the config.json of a run that finished no cell (a later run replaces it)
    assert set(valid_files(tmp_path / "out")) - before <= {tmp_path / "out" / "config.json"}
    cache = tmp_path / "cache"
    assert not valid_files(cache / "checkpoints") and not valid_files(cache / "embeddings")
    assert not (tmp_path / "out" / "results.parquet").exists()


@pytest.mark.slow
def test_out_on_a_read_only_filesystem(tmp_path):
    """``--out`` on a read-only mount (a real one: a tmpfs mounted ``ro``; needs root, as the
    tests run here, else skipped): one line naming the folder, exit 2, nothing written."""
    import subprocess

    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        args = _run(tmp_path)
        args[args.index("--out") + 1] = str(mount / "run")
        result = cli(args, tmp_path / "cache", timeout=120)
        assert_one_line_error(result, str(mount / "run"), "read-only", "a folder you can write to")
        assert not list(mount.iterdir())
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_corrected_command_reuses_the_folder_of_a_failed_run(tmp_path, reference):
    """A run that failed before finishing a cell (here: LaBSE's weights are absent offline)
    leaves only its config.json; the corrected command in the same --out just runs."""
    from .helpers import run_args
    from .test_interrupt import same_tables

    out, cache = tmp_path / "out", tmp_path / "cache"
    failed = cli([*run_args(tmp_path, out), "--teachers", "labse"], cache)
    assert_one_line_error(failed, "labse")
    fixed = cli(run_args(tmp_path, out), cache)
    assert fixed.returncode == 0, fixed.stderr
    same_tables(out, reference[1])
