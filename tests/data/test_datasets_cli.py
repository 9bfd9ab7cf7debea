"""`c2kd-analyze datasets list|check`, through typer's runner and as a real process (``c2kd_cli``
runs its tests both in this process, fast, and as the console script, slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from release_fixtures import write_release
from typer.testing import CliRunner

from c2kd_analyze.cli import app, main
from c2kd_analyze.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_list_shows_every_dataset():
    result = CliRunner().invoke(app, ["datasets", "list"])
    assert result.exit_code == 0, result.output
    for name in ("demo", "multi-msrvtt", "multi-youcook2", "vatex", "rudder", "generic"):
        assert name in result.output


def test_check_small_demo():
    result = CliRunner().invoke(
        app, ["datasets", "check", "demo", "--n-train", "120", "--n-test", "30", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "dataset: demo [SYNTHETIC]" in out
    assert "languages (9): en, de, fr, cs, zh, ru, vi, es, ja" in out
    assert "train: 120 clips" in out and "test: 30 clips" in out
    assert "up to 30 frames x 512 dims" in out and "problems: none" in out


def test_check_youcook2_release_folder_reports_czech_as_cs(tmp_path):
    write_release(tmp_path, "multi-youcook2", "s3d", n_train=5, n_test=3)
    result = CliRunner().invoke(
        app, ["datasets", "check", "multi-youcook2", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "languages (9): en, de, fr, cs, zh, ru, vi, es, ja" in result.output
    assert "cz" not in result.output.split("languages")[1]
    assert "up to 30 frames x 1024 dims" in result.output
    assert "3347 of 3350 benchmark items are missing" in result.output


def test_check_rudder_reports_masked_languages(tmp_path):
    write_release(tmp_path, "rudder")
    result = CliRunner().invoke(app, ["datasets", "check", "rudder", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "hi: 1 of 6 train clips have no caption (masked" in result.output


def test_truncated_pickle_is_one_error_line_and_exit_2(tmp_path, capsys):
    train, _ = write_release(tmp_path, "vatex")
    train.write_bytes(train.read_bytes()[:300])
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "check", "vatex", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(train) in err
    assert "Traceback" not in err


def test_missing_data_dir_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "check", "multi-msrvtt"])
    assert exc.value.code == 2 and "needs --data-dir" in capsys.readouterr().err


def _cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("c2kd-analyze")
    env = {**os.environ, "C2KD_CACHE": str(cache)}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)  # fmt: skip


@pytest.mark.slow  # a real process building the 2,000-clip default demo; fast: check_small_demo
def test_real_process_checks_the_default_demo(tmp_path):
    proc = _cli("datasets", "check", "demo", cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "languages (9): en, de, fr, cs, zh, ru, vi, es, ja" in proc.stdout
    assert "train: 2000 clips" in proc.stdout and "test: 500 clips" in proc.stdout
    assert list((tmp_path / "cache" / "datasets").glob("demo-*/arrays.npz"))


def test_real_process_truncated_pickle(tmp_path, c2kd_cli):
    _, test = write_release(tmp_path, "multi-youcook2", "s3d")
    test.write_bytes(test.read_bytes()[:-50])
    args = ["datasets", "check", "multi-youcook2", "--data-dir", str(tmp_path)]
    proc = c2kd_cli(args, env={"C2KD_CACHE": str(tmp_path)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: cannot read ") and str(test) in proc.stderr
    assert proc.stderr.count("\n") == 1 and "truncated" in proc.stderr


def test_check_demo_takes_train_captions_and_any_option():
    result = CliRunner().invoke(app, [
        "datasets", "check", "demo", "--n-train", "40", "--n-test", "12", "--train-captions", "3",
        "--option", "noise=0", "--option", "seed=5",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "en: train 40 clips x 3.00 captions, test 12 clips" in result.output
    assert "-seed5-train40-test12-caps3-noise0.0" in result.output


@pytest.mark.parametrize(
    "args,message",
    [(["--option", "n_train=abc"], "option n_train='abc': expected an integer in [2, 1000001)"),
     (["--option", "n_train=300.5"], "option n_train='300.5': expected an integer in [2, 1000001)"),
     (["--seed", "-1"], "option seed=-1: expected an integer in [0, 4294967296)"),
     (["--n-test", "0"], "option n_test=0: expected an integer in [10, 100001)"),
     (["--option", "noise=inf"], "option noise='inf': expected a finite number >= 0"),
     (["--option", "epochs=3"], "dataset 'demo' has no option 'epochs'; its options are"),
     (["--option", "n_train"], "bad --option 'n_train'; write KEY=VALUE"),
     (["--n-train", "50", "--option", "n_train=60"], "n_train is given both as --n-train and")],
)  # fmt: skip
def test_bad_options_are_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "check", "demo", *args])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_check_release_option_full_denominator(tmp_path):
    write_release(tmp_path, "multi-msrvtt")
    args = ["datasets", "check", "multi-msrvtt", "--data-dir", str(tmp_path)]
    full = CliRunner().invoke(app, args)
    present = CliRunner().invoke(app, [*args, "--option", "full_denominator=false"])
    assert "test: 4 clips, recall over 1000 queries" in full.output
    assert present.exit_code == 0 and "test: 4 clips;" in present.output


def test_check_refuses_what_run_refuses(tmp_path, capsys):
    """A generic folder with one test clip: `datasets check` says what `run` would say."""
    import numpy as np
    import polars as pl

    from c2kd_analyze.data import check_usable
    from c2kd_analyze.data.generic import load_generic

    rows = [(f"c{i}", "en", f"caption {i}", "train" if i < 3 else "test") for i in range(4)]
    pl.DataFrame(rows, schema=["clip_id", "lang", "caption", "split"], orient="row").write_csv(
        tmp_path / "captions.csv"
    )
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "features.npz", **{f"c{i}": rng.standard_normal((3, 4)) for i in range(4)})
    with pytest.raises(UserError) as run_refusal:
        check_usable(load_generic(tmp_path))  # what the runner calls on a loaded dataset
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "check", "generic", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert capsys.readouterr().err == f"error: {run_refusal.value}\n"
    assert "has 3 train and 1 distinct test clips" in str(run_refusal.value)
