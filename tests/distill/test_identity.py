"""Checkpoint keys change exactly where a trained model changes: every config field, changed on its
own, changes the keys of the cell kinds :data:`~c2kd_analyze.distill.identity.AFFECTS` declares
for it, and no other; a field that changes no key changes nothing training reads."""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from c2kd_analyze.config import RunConfig, build_config
from c2kd_analyze.data import load_dataset
from c2kd_analyze.data.fingerprint import content_fingerprint
from c2kd_analyze.distill import identity
from c2kd_analyze.distill.context import RunContext
from c2kd_analyze.distill.plan import Cell

#: muse cannot be fine-tuned, me5-small can and reads every language
BASE = dict(teachers="muse,me5-small", student="me5-small", pool="mean", epochs=2,
            batch_size=16, dataset_options={"n_train": 48, "n_test": 16})  # fmt: skip
CELLS = (
    Cell("teacher", ("me5-small",), 0),
    Cell("teacher", ("muse",), 0),
    Cell("zero-shot", (), 0),
    Cell("translate-train", (), 0),
    Cell("c2kd", ("me5-small",), 0),
    Cell("c2kd-pool", ("muse", "me5-small"), 0, pool="mean"),
)

#: each field's other value (a new RunConfig field needs one here, and a line in AFFECTS)
CHANGES: dict[str, object] = {
    "dataset_options": {"n_train": 50, "n_test": 16},
    "projection_dim": 128,
    "video_width": 64,
    "n_video_tokens": 20,
    "max_tokens": {"train": 30, "test": 40, "teacher": 40},
    "epochs": 3,
    "lr_decay": 0.8,
    "batch_size": 8,
    "encoder_lr": 1e-5,
    "precision": "bf16",
    "mode": "full",
    "finetune_pooling": "mean",
    "lr": 2e-3,
    "teacher_lr": {"me5-small": 2e-3, "muse": 2e-3},
    "teacher_temperature": 0.07,
    "teacher_recipe": "english",
    "teacher_seed": 7,
    "student": "muse",
    "baseline_temperature": 0.07,
    "temperature": 0.07,
    "balance": 0.5,
    "distill_temp": 0.2,
    "pool": "max",
    "teachers": "muse,me5-small,minilm-en",
    "seeds": "0,1",
    "eval_directions": "t2v",
    "ties": "mean",
    "data_fingerprint": "0" * 64,
    "val_fraction": 0.1,
    "select_on_val": True,
}
#: what a field's change needs in the base (--select-on-val is refused without --val-fraction)
BASE_FOR: dict[str, dict] = {"select_on_val": {"val_fraction": 0.1}}
#: fields a change of which is checked apart (they need another dataset or a preset)
APART = {"dataset", "features", "preset"}


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("C2KD_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@functools.cache
def _dataset(options: tuple):
    return load_dataset("demo", **dict(options))


def _keys(cfg: RunConfig) -> dict[Cell, str]:
    ctx = RunContext(cfg, _dataset(cfg.dataset_options), progress=False)
    cells = [c for c in CELLS if c.stage != "c2kd-pool" or cfg.pool == c.pool]
    return {cell: identity.cell_key(ctx, cell) for cell in cells}


def _base(**changes) -> RunConfig:
    return build_config("demo", **{**BASE, **changes}).replace(precision="fp32")


def test_every_field_is_declared_once():
    assert set(identity.AFFECTS) == set(RunConfig.model_fields)
    assert set(CHANGES) | APART == set(RunConfig.model_fields)
    assert all(kinds <= set(identity.KINDS) for kinds in identity.AFFECTS.values())


@pytest.mark.parametrize("mode", ["frozen", "full"])
@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_key_changes_exactly_where_the_field_is_declared(demo_cache, field, mode):
    base = _base(mode=mode, **BASE_FOR.get(field, {}))
    value = "frozen" if field == "mode" and mode == "full" else CHANGES[field]
    other = base.replace(**{field: value})
    assert getattr(other, field) != getattr(base, field)
    before, after = _keys(base), _keys(other)
    changed = {cell for cell in before if before[cell] != after.get(cell)}
    declared = identity.AFFECTS[field]
    if field in identity.FULL_MODE_ONLY and mode == "frozen":
        declared = frozenset()
    expected = {
        cell
        for cell in before
        if identity.kind_of(cell) in declared and _reaches(field, cell, base, mode)
    }
    assert changed == expected, (field, mode)


def _reaches(field: str, cell: Cell, base: RunConfig, mode: str) -> bool:
    """Where a declared field does not reach a particular cell, and why (each a documented
    exception in AFFECTS' comments)."""
    from c2kd_analyze.teachers import get_spec

    encoder = cell.teachers[0] if cell.stage == "teacher" else base.student
    # the encoders whose models the cell's key holds: its own, and a student's teachers'
    held = {encoder} | (set(cell.teachers) if cell.stage != "teacher" else set())
    tuned = {name for name in held if get_spec(name).trainable}  # muse cannot be fine-tuned
    if field == "mode":  # a model changes when an encoder it holds is (or stops being) tuned
        return bool(tuned)
    if field == "encoder_lr":
        return bool(tuned)
    if field == "finetune_pooling":  # "mean" changes only an encoder pooled otherwise
        return any(get_spec(name).pooling != "mean" for name in tuned)
    return True


def test_what_names_the_data_is_its_content(demo_cache):
    """dataset and features reach keys through the data's content fingerprint."""
    data = _dataset((("n_test", 16), ("n_train", 48)))
    assert identity.AFFECTS["dataset"] == identity.AFFECTS["features"] == set(identity.KINDS)
    assert content_fingerprint(replace(data, name="other")) != content_fingerprint(data)
    assert content_fingerprint(replace(data, feature_kind="s3d")) != content_fingerprint(data)


def test_a_preset_name_changes_no_key(demo_cache):
    base = _base()
    assert _keys(base) == _keys(base.model_copy(update={"preset": "paper-msrvtt"}))


@pytest.mark.parametrize("field", sorted(f for f in CHANGES if not identity.AFFECTS[f]))
def test_a_field_in_no_key_changes_no_recipe(demo_cache, field):
    """What the keys leave out, training does not read: the recipes are the same."""
    base = _base()
    other = base.replace(**{field: CHANGES[field]})
    contexts = [RunContext(c, _dataset(c.dataset_options), progress=False) for c in (base, other)]
    for cell in CELLS:
        if cell.stage == "teacher":
            (name,) = cell.teachers
            recipes = [identity.teacher_recipe(ctx, name, 0) for ctx in contexts]
        else:
            recipes = [identity.student_recipe(ctx, cell) for ctx in contexts]
        assert recipes[0] == recipes[1], (field, cell)
