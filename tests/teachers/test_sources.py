"""Where weights come from: named folders, $C2KD_TEACHER_DIRS, the HF cache; fast clear failures."""

from __future__ import annotations

import logging
import shutil
import time

import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers import get_spec, load_teacher
from c2kd_analyze.teachers.sources import (
    REVISION_FILE,
    hf_cache_snapshot,
    parse_teacher_dirs,
    recorded_revision,
)


def test_parse_teacher_dirs(tmp_path):
    got = parse_teacher_dirs(f"labse={tmp_path}/a, xlmr = {tmp_path}/b")
    assert got == {"labse": tmp_path / "a", "xlmr": tmp_path / "b"}
    assert parse_teacher_dirs(["labse=/x"]) == {"labse": parse_teacher_dirs("labse=/x")["labse"]}
    assert parse_teacher_dirs("") == {}


@pytest.mark.parametrize("bad", ["labse", "=/x", "labse=", "labse:/x"])
def test_parse_teacher_dirs_rejects_bad_pairs(bad):
    with pytest.raises(UserError, match="NAME=DIR"):
        parse_teacher_dirs(bad)


@pytest.mark.parametrize("name", ["labse", "mbert", "xlmr", "muse-distil"])
def test_absent_hub_teacher_fails_fast_with_one_line(name):
    t0 = time.perf_counter()
    with pytest.raises(UserError) as err:
        load_teacher(name)
    assert time.perf_counter() - t0 < 5.0
    msg = str(err.value)
    assert "\n" not in msg
    assert f"teacher {name!r} needs" in msg and "not in the local Hugging Face cache" in msg
    assert f"c2kd-analyze teachers fetch {name}" in msg
    assert f"--teacher-dir {name}=DIR" in msg and "C2KD_TEACHER_DIRS" in msg
    assert "me5-small, minilm-en, muse" in msg


def test_folder_without_a_model_is_rejected(tmp_path):
    with pytest.raises(UserError, match=r"no config\.json or modules\.json"):
        load_teacher("labse", local_dir=tmp_path)


def test_env_folder_is_used_and_checked(monkeypatch, tiny_st_dir):
    # labse expects 768-d vectors; the tiny model gives 32-d: the folder was found and checked.
    monkeypatch.setenv("C2KD_TEACHER_DIRS", f"xlmr=/nowhere,labse={tiny_st_dir}")
    with pytest.raises(UserError, match=r"gives 32-d vectors but teacher 'labse' expects 768-d"):
        load_teacher("labse")


def test_env_folder_loads_a_plugin_teacher(monkeypatch, plugin_teachers, tiny_st_dir):
    monkeypatch.setenv("C2KD_TEACHER_DIRS", f"tiny-st={tiny_st_dir}")
    enc = load_teacher("tiny-st")
    assert enc.encode(["hello"]).shape == (1, 32)
    assert str(tiny_st_dir) in enc.model_id


PINNED = 40 * "a"  # the plugin specs' revision (conftest)


def _fake_hf_cache(root, folder, commit, monkeypatch):
    """``folder`` laid out as a HF cache entry of c2kd-test/tiny-bert: refs/main -> commit."""
    import huggingface_hub.constants as hf_constants

    repo = root / "hub" / "models--c2kd-test--tiny-bert"
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(root / "hub"))


def test_hf_cache_snapshot_at_the_pinned_revision_loads_silently(
    tmp_path, monkeypatch, plugin_teachers, tiny_bert_dir, caplog
):
    _fake_hf_cache(tmp_path, tiny_bert_dir, PINNED, monkeypatch)
    with caplog.at_level(logging.WARNING):
        enc = load_teacher("tiny-bert")
    assert enc.model_id == f"c2kd-test/tiny-bert@{PINNED}"
    assert enc.encode(["a b c"]).shape == (1, 32)
    assert "revision" not in caplog.text


def test_hf_cache_snapshot_of_another_revision_is_used_with_one_warning(
    tmp_path, monkeypatch, plugin_teachers, tiny_bert_dir, caplog
):
    """An older download (refs/main -> another commit) loads with no network, says so once,
    and the revision that actually ran is what a result row records."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_hf_cache(tmp_path, tiny_bert_dir, commit, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="c2kd_analyze.teachers.sources"):
        enc = load_teacher("tiny-bert")
    assert enc.model_id == f"c2kd-test/tiny-bert@{commit}"  # the revision that actually ran
    (warning,) = [r.getMessage() for r in caplog.records if r.name.endswith(".sources")]
    assert f"is revision {commit}, not the pinned {PINNED}" in warning and "\n" not in warning
    assert "teachers fetch tiny-bert" in warning
    assert hf_cache_snapshot(get_spec("tiny-bert"), exact=True) is None  # fetch would download


@pytest.mark.parametrize("recorded,warns", [(PINNED, False), ("f" * 40, True), (None, False)])
def test_a_named_folder_s_recorded_revision_is_compared(
    tmp_path, plugin_teachers, tiny_bert_dir, caplog, recorded, warns
):
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_bert_dir, folder)
    if recorded:
        (folder / REVISION_FILE).write_text(recorded + "\n")
    assert recorded_revision(folder) == recorded
    with caplog.at_level(logging.WARNING, logger="c2kd_analyze.teachers.sources"):
        enc = load_teacher("tiny-bert", local_dir=folder)
    assert ("not the pinned" in caplog.text) == warns
    # the result rows' provenance: the recorded commit, then the folder and its fingerprint
    recorded_part = f"{recorded}+" if recorded else ""
    assert enc.model_id.startswith(f"c2kd-test/tiny-bert@{recorded_part}local:{folder.resolve()}#")
