"""The C2KD release readers on fixtures in the release's exact layout and record format."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from release_fixtures import FILES, MSRVTT_LANGS, make_items, write_pickle, write_release

from c2kd_analyze.data import load_dataset
from c2kd_analyze.errors import UserError


def _expected(raw: np.ndarray) -> np.ndarray:
    x = raw[:30].astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("features", ["clip", "s3d"])
def test_msrvtt_reads_lists_in_train_one_caption_in_test_and_1000_queries(tmp_path, features):
    train_file, _ = write_release(tmp_path, "multi-msrvtt", features)
    ds = load_dataset("multi-msrvtt", data_dir=tmp_path, features=features)
    dim = 512 if features == "clip" else 1024
    assert ds.languages == MSRVTT_LANGS and ds.feature_dim == dim and ds.feature_kind == features
    assert ds.train.n_clips == 6 and ds.test.n_clips == 4
    assert ds.test.n_queries == 1000  # 1k-A: the missing items count as misses
    assert ds.train.n_queries == 6
    for lang in MSRVTT_LANGS:
        assert all(len(c) == 2 for c in ds.train.captions[lang])
        assert all(len(c) == 1 for c in ds.test.captions[lang])
    assert ds.train.captions["de"][3] == [
        f"de train caption {j} of clip 3: ćšž 中文" for j in (0, 1)
    ]
    assert ds.test.captions["sw"][2] == ["sw test caption 0 of clip 2: ćšž 中文"]
    raw = pickle.loads(train_file.read_bytes())
    key = FILES[("multi-msrvtt", features)][2]
    for i, item in enumerate(raw):
        t = min(len(item[key]), 30)
        assert ds.train.clip_ids[i] == item["id"]
        assert ds.train.mask[i].sum() == t and not ds.train.mask[i, t:].any()
        np.testing.assert_allclose(ds.train.features[i, :t], _expected(item[key]), rtol=1e-5)
        assert not ds.train.features[i, t:].any()
    assert ds.train.features.dtype == np.float32 and ds.train.features.shape[1] == 30


def test_msrvtt_denominator_can_be_the_items_present(tmp_path):
    write_release(tmp_path, "multi-msrvtt")
    ds = load_dataset("multi-msrvtt", data_dir=tmp_path, full_denominator=False)
    assert ds.test.n_queries == 4


@pytest.mark.parametrize("features,dim", [("s3d", 1024), ("clip", 512)])
def test_youcook2_reads_cz_as_cs_one_caption_and_3350_queries(tmp_path, features, dim):
    write_release(tmp_path, "multi-youcook2", features)
    ds = load_dataset("multi-youcook2", data_dir=tmp_path, features=features)
    assert ds.languages == ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")
    assert "cz" not in ds.train.captions and ds.feature_dim == dim
    assert ds.train.captions["cs"][0] == ["cz train caption 0 of clip 0: ćšž 中文"]
    assert all(len(c) == 1 for split in (ds.train, ds.test) for c in split.captions["ja"])
    assert ds.test.n_queries == 3350 and ds.train.n_queries == 6


def test_youcook2_defaults_to_s3d_and_others_to_clip(tmp_path):
    write_release(tmp_path, "multi-youcook2", "s3d")
    write_release(tmp_path, "multi-msrvtt", "clip")
    assert load_dataset("multi-youcook2", data_dir=tmp_path).feature_kind == "s3d"
    assert load_dataset("multi-msrvtt", data_dir=tmp_path).feature_kind == "clip"


def test_youcook2_english_falls_back_to_plain_caption_key(tmp_path):
    train, test, key, dim = FILES[("multi-youcook2", "s3d")]
    for path, split, n in ((train, "train", 5), (test, "test", 3)):
        items = make_items("multi-youcook2", split, n, key, dim)
        for item in items:
            del item["caption_en"]
        write_pickle(tmp_path / path, items)
    ds = load_dataset("multi-youcook2", data_dir=tmp_path)
    assert ds.languages[0] == "en"
    assert ds.test.captions["en"][1] == ["en test caption 0 of clip 1: ćšž 中文"]


def test_vatex_has_english_and_chinese_and_no_s3d(tmp_path):
    write_release(tmp_path, "vatex")
    ds = load_dataset("vatex", data_dir=tmp_path)
    assert ds.languages == ("en", "zh") and ds.test.n_queries == 4
    assert len(ds.train.captions["zh"][0]) == 2
    with pytest.raises(UserError, match="no 's3d' features"):
        load_dataset("vatex", data_dir=tmp_path, features="s3d")


def test_rudder_masks_missing_languages_instead_of_filling_them(tmp_path):
    write_release(tmp_path, "rudder")
    ds = load_dataset("rudder", data_dir=tmp_path)
    assert ds.languages == ("en", "hi", "mr", "kn")  # ta exists in the files but is not used
    for split in (ds.train, ds.test):
        assert split.captions["hi"][1] is None  # clip 1 has no Hindi
        assert split.captions["en"][2] is None  # clip 2 has no English: not replaced
        assert split.captions["mr"][1] == [split.captions["mr"][1][0]]
    assert ds.test.n_queries == 4
    with_tamil = load_dataset("rudder", data_dir=tmp_path, languages=("en", "hi", "ta"))
    assert with_tamil.languages == ("en", "hi", "ta")


def test_parent_of_the_data_folder_is_accepted(tmp_path):
    write_release(tmp_path / "data", "vatex")
    assert load_dataset("vatex", data_dir=tmp_path).train.n_clips == 6


def test_release_readers_refuse_pickles_that_would_run_code(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    write_release(tmp_path, "vatex")
    (tmp_path / FILES[("vatex", "clip")][0]).write_bytes(pickle.dumps([Evil()]))
    with pytest.raises(UserError, match=r"refusing to unpickle .*vatex_train_multilingual\.pkl"):
        load_dataset("vatex", data_dir=tmp_path)
    assert not marker.exists()
