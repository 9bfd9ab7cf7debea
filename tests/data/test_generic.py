"""The generic format: a captions table (parquet or CSV) plus .npy / .npz / safetensors features."""

from __future__ import annotations

import os

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
