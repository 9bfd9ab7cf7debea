"""The registry: every spec keeps the contract; names, suggestions and entry points work."""

from __future__ import annotations

import pytest

from c2kd_analyze.errors import UserError
from c2kd_analyze.lang import normalize_lang
from c2kd_analyze.teachers import get_spec, list_teachers, load_teacher
from c2kd_analyze.teachers.loader import _BACKENDS
from c2kd_analyze.teachers.spec import TeacherSpec

REQUIRED = {"mbert", "xlmr", "labse", "muse-distil", "muse", "me5-small", "minilm-en"}


def test_the_seven_teachers_are_registered():
    assert {s.name for s in list_teachers()} >= REQUIRED


@pytest.mark.parametrize("spec", list_teachers(), ids=lambda s: s.name)
def test_spec_contract(spec: TeacherSpec):
    assert isinstance(spec, TeacherSpec)
    assert spec is get_spec(spec.name)
    assert spec.backend in _BACKENDS, f"{spec.name}: no backend {spec.backend!r}"
    assert spec.dim > 0 and spec.max_tokens >= 0
    assert spec.model and spec.revision and spec.licence and spec.reference
    assert spec.model_id == f"{spec.model}@{spec.revision}"
    for lang in spec.languages:
        assert normalize_lang(lang) == lang
    if spec.bundled:
        assert spec.package, "a bundled teacher names the package carrying its weights"
    if spec.backend == "muse-numpy":
        assert not spec.trainable, "the numpy mUSE has no torch graph to fine-tune"


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
    with pytest.raises(UserError, match=r"^unknown teacher 'zzzzzz'; known teachers: labse, "):
        get_spec("zzzzzz")


def test_entry_point_teachers_are_discovered(plugin_teachers, caplog):
    names = {s.name for s in list_teachers()}
    assert {"tiny-bert", "tiny-st"} <= names
    assert "broken" not in names  # an entry point that is not a TeacherSpec is skipped, logged
    assert "broken" in caplog.text
    assert names >= REQUIRED


def test_entry_point_teacher_loads_from_a_folder(plugin_teachers, tiny_bert_dir):
    enc = load_teacher("tiny-bert", local_dir=tiny_bert_dir)
    vecs = enc.encode(["a man slices an onion", "ein Mann schneidet"])
    assert vecs.shape == (2, 32)
    assert enc.model_id.startswith("c2kd-test/tiny-bert@local:")
