"""Every kind of bad input gets one line naming the file and the problem (UserError)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from release_fixtures import FILES, make_items, write_edited, write_pickle, write_release

from c2kd_analyze.data import load_dataset
from c2kd_analyze.errors import UserError

YC = ("multi-youcook2", "s3d")


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def _write_yc(root, edit_train=None, edit_test=None, n_train=5, n_test=3):
    train, test, key, dim = FILES[YC]
    items_train = make_items("multi-youcook2", "train", n_train, key, dim)
    items_test = make_items("multi-youcook2", "test", n_test, key, dim)
    if edit_train:
        edit_train(items_train)
    if edit_test:
        edit_test(items_test)
    return write_pickle(root / train, items_train), write_pickle(root / test, items_test)


def test_missing_folder(tmp_path):
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path / "nope")
    assert "does not exist" in _one_line(exc) and "nope" in str(exc.value)


def test_missing_data_dir_option():
    with pytest.raises(UserError, match="needs --data-dir"):
        load_dataset("rudder")


def test_missing_file(tmp_path):
    train, _ = write_release(tmp_path, "multi-youcook2", "s3d")
    train.unlink()
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    assert str(train) in _one_line(exc) and "not found" in str(exc.value)


@pytest.mark.parametrize("keep", [0.5, 0.0, 0.99])
def test_truncated_pickle_names_the_file(tmp_path, keep):
    _, test = write_release(tmp_path, "multi-youcook2", "s3d")
    data = test.read_bytes()
    test.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    msg = _one_line(exc)
    assert str(test) in msg and "truncated" in msg


def test_not_a_pickle(tmp_path):
    train, _ = write_release(tmp_path, "vatex")
    train.write_text("id,caption\n1,hello\n")
    with pytest.raises(UserError) as exc:
        load_dataset("vatex", data_dir=tmp_path)
    assert str(train) in _one_line(exc)


def test_pickle_of_the_wrong_shape(tmp_path):
    train, _ = write_release(tmp_path, "vatex")
    train.write_bytes(pickle.dumps({"id": 1}))
    with pytest.raises(UserError, match="expected a list of dicts"):
        load_dataset("vatex", data_dir=tmp_path)


def test_wrong_feature_dimensions(tmp_path):
    def shrink(items):
        items[2]["s3d"] = items[2]["s3d"][:, :512]

    train, _ = _write_yc(tmp_path, edit_train=shrink)
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    msg = _one_line(exc)
    assert str(train) in msg and "512-d" in msg and "train_002" in msg


def test_clip_features_given_where_s3d_is_expected(tmp_path):
    train, test, key, _ = FILES[YC]
    write_pickle(tmp_path / train, make_items("multi-youcook2", "train", 4, key, 512))
    write_pickle(tmp_path / test, make_items("multi-youcook2", "test", 3, key, 512))
    with pytest.raises(UserError, match="512-d features but S3D features are 1024-d"):
        load_dataset("multi-youcook2", data_dir=tmp_path)


def test_missing_feature_key(tmp_path):
    def drop(items):
        del items[1]["s3d"]

    _write_yc(tmp_path, edit_test=drop)
    with pytest.raises(UserError, match="has no 's3d' features"):
        load_dataset("multi-youcook2", data_dir=tmp_path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_features(tmp_path, bad):
    def poison(items):
        items[1]["s3d"][0, 5] = bad

    _, test = _write_yc(tmp_path, edit_test=poison)
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    msg = _one_line(exc)
    assert str(test) in msg and "NaN or inf" in msg and "test_001" in msg


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("fill", [0.0, 0.25])
def test_constant_features_are_refused(tmp_path, split, fill):
    """Every clip with the same frames makes every score tie: optimistic recall would be 100 %."""

    def flatten(items):
        for item in items:
            item["s3d"] = np.full((7, 1024), fill)

    edits = {"edit_train": flatten} if split == "train" else {"edit_test": flatten}
    _write_yc(tmp_path, **edits)
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    assert f"every {split} clip has the same features" in _one_line(exc)


def test_one_differing_clip_is_not_constant(tmp_path):
    def nearly(items):
        for item in items:
            item["s3d"] = np.ones((7, 1024))
        items[-1]["s3d"][3, 0] = 2.0

    _write_yc(tmp_path, edit_test=nearly)
    assert load_dataset("multi-youcook2", data_dir=tmp_path).test.n_clips == 3


def test_no_test_captions_at_all(tmp_path):
    def blank(items):
        for item in items:
            for key in [k for k in item if k.startswith("eval_caption_")]:
                item[key] = ""

    write_edited(tmp_path, "vatex", edit_test=blank)
    with pytest.raises(UserError) as exc:
        load_dataset("vatex", data_dir=tmp_path)
    assert "language 'en' has no test captions" in _one_line(exc)


def test_a_train_file_given_as_test_file(tmp_path):
    train, test, key, dim = FILES[("vatex", "clip")]
    write_pickle(tmp_path / train, make_items("vatex", "train", 4, key, dim))
    write_pickle(tmp_path / test, make_items("vatex", "train", 4, key, dim))
    with pytest.raises(UserError) as exc:
        load_dataset("vatex", data_dir=tmp_path)
    assert str(tmp_path / test) in _one_line(exc) and "is this the test file" in str(exc.value)


def test_caption_that_is_not_text(tmp_path):
    def number(items):
        items[1]["caption_fr"] = 42

    train, _ = _write_yc(tmp_path, edit_train=number)
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    msg = _one_line(exc)
    assert str(train) in msg and "'train_001' has a fr caption of type int" in msg


def test_language_with_no_test_captions(tmp_path):
    def drop_ja(items):
        for item in items:
            del item["caption_ja"]

    _write_yc(tmp_path, edit_test=drop_ja)
    with pytest.raises(UserError) as exc:
        load_dataset("multi-youcook2", data_dir=tmp_path)
    assert "'ja' has no test captions" in _one_line(exc)


def test_rudder_language_with_no_test_captions(tmp_path):
    train, test, key, dim = FILES[("rudder", "clip")]
    write_pickle(tmp_path / train, make_items("rudder", "train", 4, key, dim))
    items = make_items("rudder", "test", 4, key, dim)
    for item in items:
        item["captions"].pop("kn")
    write_pickle(tmp_path / test, items)
    with pytest.raises(UserError, match="'kn' has no test captions"):
        load_dataset("rudder", data_dir=tmp_path)


def test_unknown_dataset_and_option_and_features():
    with pytest.raises(UserError, match="did you mean 'vatex'"):
        load_dataset("vatexx")
    with pytest.raises(UserError, match="has no option 'epochs'"):
        load_dataset("demo", epochs=3)
    with pytest.raises(UserError, match="no 'resnet' features"):
        load_dataset("multi-msrvtt", data_dir=".", features="resnet")


@pytest.mark.parametrize(
    "option,value,expected",
    [("n_train", 0, "n_train=0: expected an integer in [2, 1000001)"),
     ("n_test", 0, "n_test=0: expected an integer in [10, 100001)"),
     ("n_test", 9, "n_test=9: expected an integer in [10, 100001)"),
     ("train_captions", 0, "train_captions=0: expected an integer in [1, 101)")],
)  # fmt: skip
def test_demo_sizes_below_their_minimum_say_the_real_minimum(option, value, expected):
    with pytest.raises(UserError) as exc:
        load_dataset("demo", **{option: value})
    assert _one_line(exc) == f"dataset 'demo' option {expected}"
