"""Settings that are tables (dataset options, token limits, per-teacher lr) merge per key across
their sources, preset < config file < command line: an option overrides the keys it names and
keeps the others; a mistake names the source of the key that is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.config import build_config, merge_sources
from c2kd_analyze.errors import UserError


def _toml(tmp_path, body: str):
    path = tmp_path / "run.toml"
    path.write_text(body)
    return path


def test_an_option_keeps_the_files_other_keys(tmp_path):
    path = _toml(
        tmp_path,
        'teachers = ["muse", "minilm-en"]\n'
        "dataset_options = { n_train = 200, n_test = 50 }\n"
        "max_tokens = { train = 35, test = 30 }\n"
        "teacher_lr = { muse = 1e-4 }\n",
    )
    cfg = build_config(
        "demo", path, dataset_options={"seed": "1"}, max_tokens="train=22",
        teacher_lr={"minilm-en": 2e-4},
    )  # fmt: skip
    assert dict(cfg.dataset_options) == {"n_train": 200, "n_test": 50, "seed": 1}
    assert (cfg.max_tokens.train, cfg.max_tokens.test, cfg.max_tokens.teacher) == (22, 30, 40)
    assert dict(cfg.teacher_lr) == {"muse": 1e-4, "minilm-en": 2e-4}
    # one number sets every split, over the file's parts
    assert str(build_config("demo", path, max_tokens="40").max_tokens) == (
        "train=40,test=40,teacher=40"
    )
    # the same values given in one place give the same run
    same = build_config(
        "demo", teachers="muse,minilm-en",
        dataset_options={"n_train": "200", "n_test": "50", "seed": "1"},
        max_tokens="train=22,test=30", teacher_lr={"muse": 1e-4, "minilm-en": 2e-4},
    )  # fmt: skip
    assert same.hash() == cfg.hash()


def test_a_presets_table_is_merged_too():
    cfg = build_config("paper-rudder", max_tokens="test=32", teacher_lr={"xlmr": 3e-4})
    assert str(cfg.max_tokens) == "train=40,test=32,teacher=40"
    assert dict(cfg.teacher_lr) == {"muse-distil": 1e-4, "xlmr": 3e-4}


@pytest.mark.parametrize(
    ("body", "options", "source"),
    [
        ('dataset_options = { n_train = "abc" }\n', {"dataset_options": {"seed": "1"}}, "file"),
        ("dataset_options = { n_train = 300 }\n", {"dataset_options": {"seed": "x"}}, "line"),
        ("max_tokens = { train = 0 }\n", {"max_tokens": "test=30"}, "file"),
        ("max_tokens = { train = 30 }\n", {"max_tokens": "test=0"}, "line"),
    ],
)
def test_a_bad_key_names_its_own_source(tmp_path, body, options, source):
    path = _toml(tmp_path, body)
    with pytest.raises(UserError) as info:
        build_config("demo", path, **options)
    where = f"config file {path}" if source == "file" else "the command line"
    assert f"(from {where})" in str(info.value)


def test_dry_run_shows_the_merged_tables(tmp_path, c2kd_cli):
    path = _toml(tmp_path, "dataset_options = { n_train = 200, n_test = 50 }\n")
    done = c2kd_cli(["run", "--config", str(path), "--dataset-option", "seed=1", "--dry-run"])
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.strip().startswith("dataset_options"))
    assert "n_test=50,n_train=200,seed=1" in line


tables = st.dictionaries(st.sampled_from("abcde"), st.integers(0, 9), max_size=4)


@settings(max_examples=200, deadline=None)
@given(layers=st.lists(tables, min_size=1, max_size=4))
def test_merging_is_per_key_with_the_last_source_winning(layers):
    named = [(f"source {i}", {"dataset_options": t}) for i, t in enumerate(layers)]
    values, sources = merge_sources(named)
    expected: dict = {}
    for table in layers:
        expected.update(table)
    assert values["dataset_options"] == expected
    for key in expected:
        last = max(i for i, t in enumerate(layers) if key in t)
        assert sources[f"dataset_options.{key}"] == f"source {last}"


def test_a_config_file_with_a_byte_order_mark_reads_as_its_text(tmp_path):
    path = tmp_path / "run.toml"
    path.write_bytes(b"\xef\xbb\xbfepochs = 2\n")  # as Windows editors save UTF-8
    assert build_config("demo", path).epochs == 2


def test_an_unknown_key_is_one_short_line_with_the_close_name(tmp_path):
    path = _toml(tmp_path, "epoch = 3\n")
    with pytest.raises(UserError) as info:
        build_config("demo", path)
    line = str(info.value)
    assert "unknown key 'epoch' (did you mean 'epochs'?)" in line
    assert len(line) < 200 + len(str(path)), line  # not every key name (it was 493 characters)


def test_a_run_id_needs_a_resolved_config_and_leaves_the_preset_name_out():
    cfg = build_config("demo", teachers="muse")
    with pytest.raises(ValueError, match="resolved config"):
        cfg.run_id  # noqa: B018  (the property raises)
    run = cfg.resolved("fp32", "")
    assert run.is_resolved and run.run_id.startswith("demo-")
    # the same values reached through another preset: the same run (a preset only supplies them)
    assert cfg.replace(preset="paper-rudder").resolved("fp32", "").run_id == run.run_id
    # what a run decides itself is in the id
    assert cfg.resolved("bf16", "").run_id != run.run_id
    assert cfg.resolved("fp32", "abc").run_id != run.run_id


def test_a_preset_is_a_config_file_like_any_other(tmp_path):
    """Presets are read by the --config loader: the demo preset's file given as --config gives
    the same settings as the preset, its [full_mode] table included, and a user's file with a
    [full_mode] table works as a preset does."""
    from c2kd_analyze.config.presets import PRESET_DIR

    for mode in (None, "full"):
        by_name = build_config("demo", mode=mode)
        by_file = build_config("demo", PRESET_DIR / "demo.toml", mode=mode)
        assert by_file.hash() == by_name.hash(), mode
    assert build_config("demo", mode="full").encoder_lr == 2e-5  # from the [full_mode] table
    mine = _toml(tmp_path, 'description = "mine"\nepochs = 3\n[full_mode]\nepochs = 7\n')
    assert build_config("demo", mine).epochs == 3
    assert build_config("demo", mine, mode="full").epochs == 7
    bad = _toml(tmp_path, "[full_mode]\nepoch = 7\n")
    with pytest.raises(UserError, match="unknown key 'epoch'"):
        build_config("demo", bad)


def test_a_presets_lr_for_a_teacher_the_run_does_not_use_does_not_apply():
    assert dict(build_config("paper-rudder").teacher_lr) == {"muse-distil": 1e-4}
    assert build_config("paper-rudder", teachers="muse,minilm-en").teacher_lr == ()
    with pytest.raises(UserError, match="--teacher-lr names labse"):  # the user's own: checked
        build_config("paper-rudder", teachers="muse,minilm-en", teacher_lr={"labse": 1e-4})


names = st.sampled_from(["muse", "minilm-en", "me5-small", "labse", "xlmr"])


@st.composite
def run_settings(draw):
    teachers = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    seeds = draw(st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True))
    out = {
        "teachers": ",".join(teachers),
        "seeds": ",".join(map(str, seeds)),
        "epochs": draw(st.integers(1, 30)),
        "mode": draw(st.sampled_from([None, "frozen", "full"])),
        "encoder_lr": draw(st.sampled_from([None, 2e-5, 1e-4])),
        "max_tokens": draw(st.sampled_from([None, "35", "train=22", "test=30,teacher=35"])),
        "dataset_options": draw(st.sampled_from([None, {"n_train": "300"}, {"noise": "0.5"}])),
        "ties": draw(st.sampled_from([None, "mean"])),
        "val_fraction": draw(st.sampled_from([None, 0.0, 0.1, 0.25])),
    }
    if out["val_fraction"]:
        out["select_on_val"] = draw(st.sampled_from([None, False, True]))
    if len(teachers) > 1:
        out["pool"] = draw(st.sampled_from([None, "none", "max", "mean"]))
    return draw(st.sampled_from(["demo", "paper-msrvtt", "paper-rudder"])), out


@settings(max_examples=120, deadline=None)
@given(made=run_settings(), other=st.sampled_from(["demo", "paper-vatex", "paper-youcook2"]))
def test_config_toml_runs_the_same_run_again(tmp_path_factory, made, other):
    """A run's config.toml, given as --config beside any other preset, is the same run."""
    from c2kd_analyze.config.files import config_toml

    preset, options = made
    cfg = build_config(preset, dataset="demo", **options).resolved("fp32", "")
    path = tmp_path_factory.mktemp("toml") / "config.toml"
    path.write_text(config_toml(cfg))
    again = build_config(other, path).resolved("fp32", "")
    assert again.run_id == cfg.run_id
    assert again.to_dict() | {"preset": cfg.preset} == cfg.to_dict()
