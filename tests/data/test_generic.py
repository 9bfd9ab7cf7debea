"""The generic format: a captions table (parquet or CSV) plus .npy / .npz / safetensors features."""

from __future__ import annotations

import os
import shutil

import numpy as np
import polars as pl
import pytest

from c2kd_analyze.data import load_dataset
from c2kd_analyze.errors import UserError

DIM = 16


def _rows(n_train=4, n_test=3, langs=("de", "EN", "zh-CN")):
    rows = []
    for split, n in (("train", n_train), ("val", n_test)):
        for i in range(n):
            for lang in langs:
                k = 2 if split == "train" else 1
                for j in range(k):
                    rows.append(
                        {"clip_id": f"{split}{i}", "lang": lang, "split": split,
                         "caption": f"{lang} {j} {split}{i}", "caption_idx": k - 1 - j}
                    )  # fmt: skip
    return rows


def _features(rows, rng=None):
    rng = rng or np.random.default_rng(0)
    ids = dict.fromkeys(r["clip_id"] for r in rows)
    return {
        cid: rng.standard_normal((int(rng.integers(1, 40)), DIM)).astype(np.float32) for cid in ids
    }


def _write(folder, rows, feats, table="parquet", store="npy"):
    folder.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(rows)
    if table == "parquet":
        frame.write_parquet(folder / "captions.parquet")
    else:
        frame.write_csv(folder / "captions.csv")
    if store == "npy":
        (folder / "features").mkdir()
        for cid, arr in feats.items():
            np.save(folder / "features" / f"{cid}.npy", arr)
    elif store == "npz":
        np.savez(folder / "features.npz", **feats)
    else:
        from safetensors.numpy import save_file

        save_file(feats, str(folder / "features.safetensors"))
    return folder


@pytest.mark.parametrize(
    "table,store", [("parquet", "npy"), ("csv", "npz"), ("csv", "safetensors")]
)
def test_generic_round_trip(tmp_path, table, store):
    rows = _rows()
    feats = _features(rows)
    folder = _write(tmp_path / "mine", rows, feats, table, store)
    ds = load_dataset("generic", data_dir=folder)
    assert ds.languages == ("en", "de", "zh") and ds.feature_kind == "user" and not ds.synthetic
    assert ds.train.clip_ids == ("train0", "train1", "train2", "train3")
    assert ds.test.clip_ids == ("val0", "val1", "val2") and ds.test.n_queries == 3
    # caption_idx orders the training captions (written in reverse), aligned across languages
    assert ds.train.captions["zh"][1] == ["zh-CN 1 train1", "zh-CN 0 train1"]
    assert ds.train.captions["en"][1] == ["EN 1 train1", "EN 0 train1"]
    assert ds.test.captions["de"][2] == ["de 0 val2"]
    for split in (ds.train, ds.test):
        for i, cid in enumerate(split.clip_ids):
            t = min(len(feats[cid]), 30)
            x = feats[cid][:t] / np.linalg.norm(feats[cid][:t], axis=1, keepdims=True)
            np.testing.assert_allclose(split.features[i, :t], x, rtol=1e-5)
            assert split.mask[i].sum() == t


def test_generic_masks_a_language_a_clip_lacks(tmp_path):
    rows = [r for r in _rows() if not (r["clip_id"] == "val1" and r["lang"] == "de")]
    ds = load_dataset("generic", data_dir=_write(tmp_path, rows, _features(rows)))
    assert ds.test.captions["de"][1] is None and ds.test.captions["en"][1] == ["EN 0 val1"]


def _error(tmp_path, rows=None, feats=None, **kw) -> str:
    rows = _rows() if rows is None else rows
    feats = _features(rows) if feats is None else feats
    folder = _write(tmp_path / "d", rows, feats, **kw)
    with pytest.raises(UserError) as exc:
        load_dataset("generic", data_dir=folder)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_missing_captions_table(tmp_path):
    (tmp_path / "features").mkdir()
    with pytest.raises(UserError, match=r"no captions\.parquet or captions\.csv"):
        load_dataset("generic", data_dir=tmp_path)


def test_missing_column(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "split"} for r in _rows()]
    assert "missing column(s) split" in _error(tmp_path, rows, _features(_rows()))


def test_missing_features_for_a_clip(tmp_path):
    rows = _rows()
    feats = _features(rows)
    del feats["val2"]
    msg = _error(tmp_path, rows, feats, store="npz")
    assert "features.npz" in msg and "'val2'" in msg
    msg = _error(tmp_path / "b", rows, feats, store="npy")
    assert "val2.npy not found" in msg


def test_two_feature_sources(tmp_path):
    rows = _rows()
    folder = _write(tmp_path, rows, _features(rows))
    np.savez(folder / "features.npz", x=np.zeros(3))
    with pytest.raises(UserError, match="keep one source of features"):
        load_dataset("generic", data_dir=folder)


def test_pickled_npy_is_refused(tmp_path):
    rows = _rows()
    folder = _write(tmp_path, rows, _features(rows))
    np.save(folder / "features" / "train1.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(UserError, match=r"cannot read .*train1\.npy"):
        load_dataset("generic", data_dir=folder)


def test_truncated_npz(tmp_path):
    rows = _rows()
    folder = _write(tmp_path, rows, _features(rows), store="npz")
    data = (folder / "features.npz").read_bytes()
    (folder / "features.npz").write_bytes(data[: len(data) // 3])
    with pytest.raises(UserError, match=r"cannot read .*features\.npz"):
        load_dataset("generic", data_dir=folder)


def test_wrong_dimensions_and_nan(tmp_path):
    rows = _rows()
    feats = _features(rows)
    feats["train2"] = np.ones((5, DIM + 1), np.float32)
    assert "'train2' has 17-d features" in _error(tmp_path, rows, feats)
    feats = _features(rows)
    feats["val0"][1, 1] = np.nan
    assert "'val0' has NaN or inf" in _error(tmp_path / "b", rows, feats)


def test_empty_captions_are_masked_in_test_and_kept_in_train(tmp_path):
    rows = _rows()
    rows[5]["caption"] = "  "  # train0, zh-CN, j=1: caption_idx 0, the first after sorting
    test_row = next(i for i, r in enumerate(rows) if (r["clip_id"], r["lang"]) == ("val2", "de"))
    rows[test_row]["caption"] = ""
    ds = load_dataset("generic", data_dir=_write(tmp_path, rows, _features(rows), table="csv"))
    assert ds.train.captions["zh"][0] == ["", "zh-CN 0 train0"]
    assert ds.test.captions["de"][2] is None
    assert (ds.tolerated.empty_train, ds.tolerated.empty_test) == (1, 1)


def test_bad_caption_idx_names_the_row(tmp_path):
    rows = _rows()
    rows[2]["caption_idx"] = "first"
    msg = _error(tmp_path, rows, table="csv")
    assert "captions.csv: line 4 has caption_idx 'first'" in msg


def test_unknown_language_names_the_row(tmp_path):
    rows = _rows()
    rows[0]["lang"] = "english"
    assert "captions.parquet: row 1: unknown language code 'english'" in _error(tmp_path, rows)


def test_clip_in_both_splits_and_two_test_captions(tmp_path):
    rows = _rows()
    rows.append({**rows[0], "split": "test"})
    assert "appears in both train and test" in _error(tmp_path, rows)
    rows = _rows()
    extra = next(r for r in rows if r["split"] == "val")
    rows.append({**extra, "caption": "another one"})
    msg = _error(tmp_path / "b", rows)
    assert "clip 'val0' has 2 de captions" in msg and "at most one caption" in msg


def test_language_without_test_captions(tmp_path):
    rows = [r for r in _rows() if not (r["split"] == "val" and r["lang"] == "zh-CN")]
    assert "language 'zh' has no test captions" in _error(tmp_path, rows)


def test_bad_split_value(tmp_path):
    rows = _rows()
    rows[3]["split"] = "dev"
    assert "split 'dev'" in _error(tmp_path, rows)


def test_fingerprint_follows_the_content_of_every_file_read(tmp_path):
    rows = _rows()
    feats = _features(rows)
    folder = _write(tmp_path / "a", rows, feats)
    first = load_dataset("generic", data_dir=folder).source_fingerprint
    assert len(first) == 64
    # the same content elsewhere, or a file touched but unchanged: the same data
    again = load_dataset("generic", data_dir=_write(tmp_path / "b", rows, feats))
    assert again.source_fingerprint == first
    table = folder / "captions.parquet"
    os.utime(table, ns=(1, 1))
    assert load_dataset("generic", data_dir=folder).source_fingerprint == first
    # one caption edited: new data
    rows[0]["caption"] = "de 0 train0, edited"
    pl.DataFrame(rows).write_parquet(table)
    edited = load_dataset("generic", data_dir=folder).source_fingerprint
    assert edited != first
    # one clip's features edited
    np.save(folder / "features" / "val1.npy", feats["val1"] * 2)
    assert load_dataset("generic", data_dir=folder).source_fingerprint not in (first, edited)


def test_fingerprint_of_large_files_follows_size_and_mtime(tmp_path, monkeypatch):
    from c2kd_analyze.data import fingerprint

    monkeypatch.setattr(fingerprint, "CONTENT_HASH_MAX_BYTES", 0)
    rows = _rows()
    folder = _write(tmp_path, rows, _features(rows), store="npz")
    first = load_dataset("generic", data_dir=folder).source_fingerprint
    assert load_dataset("generic", data_dir=folder).source_fingerprint == first
    os.utime(folder / "features.npz", ns=(1, 1))
    assert load_dataset("generic", data_dir=folder).source_fingerprint != first


# ---------------------------------------------------------------------------------------------
# values a table can hold that are no caption, language or id: one line each


def _write_frame(folder, frame, feats):
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(folder / "captions.parquet")
    np.savez(folder / "features.npz", **feats)
    return folder


def _frame_error(tmp_path, frame, feats=None) -> str:
    feats = _features(_rows()) if feats is None else feats
    with pytest.raises(UserError) as exc:
        load_dataset("generic", data_dir=_write_frame(tmp_path / "d", frame, feats))
    assert "\n" not in str(exc.value)
    return str(exc.value)


def test_a_list_typed_caption_column_is_one_line(tmp_path):
    frame = pl.DataFrame(_rows()).with_columns(pl.col("caption").map_elements(
        lambda c: [c, c], return_dtype=pl.List(pl.String)))  # fmt: skip
    msg = _frame_error(tmp_path, frame)
    assert "column 'caption' holds List(String) values; it needs one text per row" in msg


def test_binary_clip_ids_are_read_when_utf8_and_refused_when_not(tmp_path):
    frame = pl.DataFrame(_rows()).with_columns(pl.col("clip_id").cast(pl.Binary))
    ds = load_dataset("generic", data_dir=_write_frame(tmp_path / "ok", frame, _features(_rows())))
    assert ds.train.clip_ids[0] == "train0"
    bad = frame.with_columns(
        pl.when(pl.col("clip_id") == b"train1").then(pl.lit(b"\xff\xfe")).otherwise("clip_id")
        .alias("clip_id")
    )  # fmt: skip
    msg = _frame_error(tmp_path, bad)
    assert "column 'clip_id' holds bytes that are not UTF-8 text" in msg


@pytest.mark.parametrize("lang", [None, "", "  "])
def test_a_row_without_a_language_says_so(tmp_path, lang):
    rows = _rows()
    rows[4]["lang"] = lang
    msg = _error(tmp_path, rows)
    assert "captions.parquet: row 5 has no language (lang is empty)" in msg and "None" not in msg


def test_row_numbers_count_from_one_in_parquet_and_lines_in_csv(tmp_path):
    rows = _rows()
    rows[0]["split"] = "dev"  # the first row of the table
    assert "captions.parquet: row 1 has split 'dev'" in _error(tmp_path / "p", rows)
    assert "captions.csv: line 2 has split 'dev'" in _error(tmp_path / "c", rows, table="csv")


def test_captions_csv_beside_captions_parquet_is_refused(tmp_path):
    rows = _rows()
    folder = _write(tmp_path, rows, _features(rows))
    pl.DataFrame(rows).write_csv(folder / "captions.csv")
    with pytest.raises(UserError, match=r"both captions\.parquet and captions\.csv exist"):
        load_dataset("generic", data_dir=folder)


@pytest.mark.parametrize("blank", ["\u200b", "\u200b \u200b", "\ufeff", "\u2060\u00ad", "\t \n"])
def test_captions_of_invisible_characters_are_empty(tmp_path, blank):
    rows = _rows()
    train = next(i for i, r in enumerate(rows) if (r["clip_id"], r["lang"]) == ("train1", "de"))
    test = next(i for i, r in enumerate(rows) if (r["clip_id"], r["lang"]) == ("val2", "de"))
    rows[train]["caption"] = rows[test]["caption"] = blank
    ds = load_dataset("generic", data_dir=_write(tmp_path, rows, _features(rows)))
    assert ds.test.captions["de"][2] is None  # no query in German for that clip
    assert "" in ds.train.captions["de"][1]  # kept aligned, left out of the loss
    assert (ds.tolerated.empty_train, ds.tolerated.empty_test) == (1, 1)


def test_a_caption_with_a_zero_width_space_and_words_is_kept(tmp_path):
    rows = _rows()
    rows[0]["caption"] = "\u200bcut the onion"
    ds = load_dataset("generic", data_dir=_write(tmp_path, rows, _features(rows)))
    assert "\u200bcut the onion" in ds.train.captions["de"][0]


def test_a_clip_id_too_long_for_a_file_name(tmp_path):
    rows = _rows()
    long_id = "x" * 300
    for r in rows:
        if r["clip_id"] == "train1":
            r["clip_id"] = long_id
    feats = _features(_rows())
    feats[long_id] = feats.pop("train1")
    folder = tmp_path / "d"
    folder.mkdir()
    pl.DataFrame(rows).write_parquet(folder / "captions.parquet")
    (folder / "features").mkdir()
    with pytest.raises(UserError) as exc:
        load_dataset("generic", data_dir=folder)
    msg = str(exc.value)
    assert "(300 characters) is too long to name a file" in msg and "features.npz" in msg
    assert len(msg) < 300
    # in an .npz any id is a key: the same table loads
    np.savez(folder / "features.npz", **feats)
    shutil.rmtree(folder / "features")
    assert long_id in load_dataset("generic", data_dir=folder).train.clip_ids


def test_features_beyond_float32_say_so_and_large_finite_ones_load(tmp_path):
    rows = _rows()
    feats = {k: v.astype(np.float64) for k, v in _features(rows).items()}
    feats["train2"][0, 3] = -1e300
    msg = _error(tmp_path / "a", rows, feats, store="npz")
    assert "clip 'train2' has feature values up to 1e+300, beyond float32's range" in msg
    assert "NaN" not in msg
    feats["train2"][0, 3] = 3e38  # finite in float32; its frame's norm is not
    ds = load_dataset("generic", data_dir=_write(tmp_path / "b", rows, feats, store="npz"))
    norms = np.linalg.norm(ds.train.features[2][ds.train.mask[2]], axis=-1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_complex_features_are_refused(tmp_path):
    rows = _rows()
    feats = {k: v.astype(np.complex64) for k, v in _features(rows).items()}
    assert "has complex features (complex64)" in _error(tmp_path, rows, feats, store="npz")
