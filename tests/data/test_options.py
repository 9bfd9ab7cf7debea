"""Typed dataset options: one schema per dataset, one parser for command-line strings and TOML."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2kd_analyze.data import list_datasets, load_dataset, parse_dataset_options
from c2kd_analyze.errors import UserError


@pytest.mark.parametrize("info", list_datasets(), ids=lambda d: d.name)
def test_every_schema_matches_its_loader_and_defaults_parse(info):
    params = inspect.signature(info.load_function()).parameters
    names = [o.name for o in info.options]
    assert set(params) - {"data_dir", "features"} == set(names)
    for opt in info.options:
        assert params[opt.name].default == opt.default, opt.name
        assert opt.parse(opt.default) == opt.default  # a default is always valid
        assert opt.help


@pytest.mark.parametrize(
    "name,given,typed",
    [("demo", {"n_train": "300", "n_test": " 40 ", "seed": "+7"},
      {"n_train": 300, "n_test": 40, "seed": 7}),
     ("demo", {"n_train": 300, "seed": 2**32 - 1, "noise": 0}, {"n_train": 300,
      "seed": 2**32 - 1, "noise": 0.0}),
     ("demo", {"noise": "2.5", "train_captions": "20"}, {"noise": 2.5, "train_captions": 20}),
     ("demo", {"n-train": "30"}, {"n_train": 30}),
     ("multi-msrvtt", {"full_denominator": "false"}, {"full_denominator": False}),
     ("multi-youcook2", {"full_denominator": True}, {"full_denominator": True}),
     ("rudder", {"languages": "en, hi,ta"}, {"languages": ("en", "hi", "ta")}),
     ("rudder", {"languages": ["EN", "kn"]}, {"languages": ("en", "kn")}),
     ("vatex", {}, {})],
)  # fmt: skip
def test_good_values_from_the_command_line_or_toml(name, given, typed):
    assert parse_dataset_options(name, given) == typed


@pytest.mark.parametrize(
    "option,value,expected",
    [("n_train", "abc", "an integer in [2, 1000001)"),
     ("n_train", "300.5", "an integer in [2, 1000001)"),
     ("n_train", 300.5, "an integer in [2, 1000001)"),
     ("n_train", 300.0, "an integer in [2, 1000001)"),
     ("n_train", True, "an integer in [2, 1000001)"),
     ("n_train", "true", "an integer in [2, 1000001)"),
     ("n_train", "", "an integer in [2, 1000001)"),
     ("n_train", 1, "an integer in [2, 1000001)"),
     ("n_test", "5", "an integer in [10, 100001)"),
     ("seed", -1, "an integer in [0, 4294967296)"),
     ("seed", "-1", "an integer in [0, 4294967296)"),
     ("seed", 2**32, "an integer in [0, 4294967296)"),
     ("train_captions", None, "an integer in [1, 101)"),
     ("noise", "nan", "a finite number >= 0"),
     ("noise", "inf", "a finite number >= 0"),
     ("noise", float("inf"), "a finite number >= 0"),
     ("noise", -0.1, "a finite number >= 0"),
     ("noise", "lots", "a finite number >= 0"),
     ("noise", False, "a finite number >= 0")],
)  # fmt: skip
def test_bad_demo_values_are_one_line_naming_dataset_option_value_and_expectation(
    option, value, expected
):
    with pytest.raises(UserError) as exc:
        parse_dataset_options("demo", {option: value})
    assert str(exc.value) == f"dataset 'demo' option {option}={value!r}: expected {expected}"


def test_seed_bound_is_exact():
    assert parse_dataset_options("demo", {"seed": str(2**32 - 1)}) == {"seed": 2**32 - 1}
    with pytest.raises(UserError, match="seed='4294967296'"):
        parse_dataset_options("demo", {"seed": str(2**32)})


@pytest.mark.parametrize(
    "name,option,value,expected",
    [("multi-msrvtt", "full_denominator", "maybe", "expected true or false"),
     ("multi-msrvtt", "full_denominator", 1, "expected true or false"),
     ("rudder", "languages", "en,klingon", "expected language codes separated by commas"),
     ("rudder", "languages", "", "expected language codes separated by commas")],
)  # fmt: skip
def test_bad_values_of_other_datasets(name, option, value, expected):
    with pytest.raises(UserError, match=f"dataset '{name}' option {option}=.*: {expected}"):
        parse_dataset_options(name, {option: value})


def test_unknown_option_lists_the_dataset_options():
    with pytest.raises(UserError) as exc:
        parse_dataset_options("demo", {"n_trian": 3})
    assert str(exc.value) == (
        "dataset 'demo' has no option 'n_trian'; did you mean 'n_train'? its options are "
        "n_train, n_test, seed, train_captions, noise"
    )
    with pytest.raises(UserError, match="dataset 'vatex' takes no options"):
        parse_dataset_options("vatex", {"seed": 1})
    with pytest.raises(UserError, match="given twice"):
        parse_dataset_options("demo", {"n_train": 3, "n-train": 4})


def test_load_dataset_goes_through_the_parser():
    ds = load_dataset("demo", n_train="40", n_test="12", seed="3")
    assert (ds.train.n_clips, ds.test.n_clips) == (40, 12)
    assert ds.source == load_dataset("demo", n_train=40, n_test=12, seed=3).source
    with pytest.raises(UserError, match="option n_train='abc'"):
        load_dataset("demo", n_train="abc")


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_in_range_round_trips_as_text_and_as_int(seed):
    assert parse_dataset_options("demo", {"seed": str(seed)}) == {"seed": seed}
    assert parse_dataset_options("demo", {"seed": seed}) == {"seed": seed}


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_any_finite_noise_round_trips_through_its_repr(noise):
    assert parse_dataset_options("demo", {"noise": repr(noise)}) == {"noise": noise}
