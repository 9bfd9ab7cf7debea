"""The contract every teacher keeps (MTEB style: one test per spec, plugins included), and the
README's zoo table, which must be exactly the one generated from the specs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c2kd_analyze.lang import normalize_lang
from c2kd_analyze.teachers import get_spec, list_teachers, zoo_table_markdown
from c2kd_analyze.teachers.card import ZOO_TABLE_BEGIN, ZOO_TABLE_END, teacher_card
from c2kd_analyze.teachers.loader import _BACKENDS
from c2kd_analyze.teachers.spec import BACKEND_POOLINGS, POOLINGS, TeacherSpec, spec_problems

README = Path(__file__).resolve().parents[2] / "README.md"
ALL = list_teachers()


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_spec_contract(spec: TeacherSpec):
    assert isinstance(spec, TeacherSpec)
    assert spec_problems(spec) == []
    assert spec is get_spec(spec.name)
    assert spec.backend in _BACKENDS, f"{spec.name}: no backend {spec.backend!r}"
    assert spec.pooling in POOLINGS and spec.pooling in BACKEND_POOLINGS[spec.backend]
    assert spec.dim > 0 and spec.max_tokens >= 0 and spec.parameters > 0
    assert spec.model and spec.licence and spec.reference
    assert spec.model_id == f"{spec.model}@{spec.revision}"
    for lang in spec.languages:
        assert normalize_lang(lang) == lang, f"{spec.name}: {lang!r} is not ISO 639-1"
    assert len(set(spec.languages)) == len(spec.languages)
    assert spec.n_languages == 0 or spec.n_languages >= len(spec.languages)
    if spec.bundled:
        assert spec.package and spec.revision == f"{spec.package}=={spec.revision.split('==')[1]}"
    else:
        assert re.fullmatch(r"[0-9a-f]{40}", spec.revision), f"{spec.name}: pin a commit hash"
    if spec.padding_side == "left":
        assert spec.pooling == "last-token", "left padding is for decoder (last-token) models"
    if spec.trust_remote_code:
        assert spec.backend in ("hf-pooled", "sentence-transformers")
    assert spec.apply_prompt("x") == spec.query_prompt + "x" and spec.prefix == spec.query_prompt
    card = dict(teacher_card(spec))
    assert card["model"] == spec.model and spec.revision in card["revision"]
    assert spec.card_line().startswith(spec.model_id + ", ")


def test_the_zoo_has_at_least_fifteen_teachers_and_the_paper_s_seven():
    names = {s.name for s in ALL}
    assert len(names) >= 15
    assert names >= {"mbert", "xlmr", "labse", "muse-distil", "muse", "me5-small", "minilm-en"}


def test_no_two_teachers_share_a_model_revision_and_prompt():
    seen = {(s.model, s.revision, s.pooling, s.query_prompt) for s in ALL}
    assert len(seen) == len(ALL)


def test_specs_the_paper_and_cards_fix():
    assert get_spec("simcse-en").pooling == "pooler" and get_spec("simcse-en").languages == ("en",)
    bge = get_spec("bge-m3")
    assert (bge.pooling, bge.normalize, bge.dim, bge.max_tokens) == ("cls", True, 1024, 8192)
    qwen = get_spec("qwen3-emb-0.6b")
    assert (qwen.pooling, qwen.padding_side) == ("last-token", "left")
    assert qwen.query_prompt.startswith("Instruct: ") and qwen.query_prompt.endswith("\nQuery:")
    instruct = get_spec("me5-large-instruct").query_prompt
    assert instruct.startswith("Instruct: ") and instruct.endswith("\nQuery: ")
    for name in ("me5-small", "me5-small-hub", "me5-base", "me5-large"):
        assert get_spec(name).query_prompt == "query: "


def test_readme_holds_exactly_the_generated_zoo_table():
    text = README.read_text()
    assert text.count(ZOO_TABLE_BEGIN) == 1 and text.count(ZOO_TABLE_END) == 1
    embedded = text.split(ZOO_TABLE_BEGIN)[1].split(ZOO_TABLE_END)[0].strip()
    assert embedded == zoo_table_markdown(), (
        "README.md's zoo table is stale: paste c2kd_analyze.teachers.zoo_table_markdown()"
    )


def test_zoo_table_has_one_row_per_built_in_teacher():
    rows = zoo_table_markdown().splitlines()[2:]
    assert len(rows) == len([s for s in ALL if not s.model.startswith("c2kd-test/")])
    assert any(r.startswith("| `bge-m3` | BAAI/bge-m3 @ 5617a9f6 |") for r in rows)
