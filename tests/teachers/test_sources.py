"""Where weights come from: named folders, $C2KD_TEACHER_DIRS, the HF cache; fast clear failures."""

from __future__ import annotations

import shutil
import time

import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers import load_teacher
from c2kd_analyze.teachers.sources import parse_teacher_dirs


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


def test_hf_cache_snapshot_is_found_offline(tmp_path, monkeypatch, plugin_teachers, tiny_bert_dir):
    """A model in the HF cache layout (refs/main -> snapshots/<commit>) loads with no network."""
    import huggingface_hub.constants as hf_constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--c2kd-test--tiny-bert"
    shutil.copytree(tiny_bert_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    enc = load_teacher("tiny-bert")
    assert enc.model_id == f"c2kd-test/tiny-bert@{commit}"  # the revision that actually ran
    assert enc.encode(["a b c"]).shape == (1, 32)
