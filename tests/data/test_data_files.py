"""Exactly the files a reader reads: declared before loading, each checked, fingerprinted.

The run id's fingerprint (``read_files_fingerprint``) is taken over the files a reader declares from
the folder's layout; the loader reads those files, records the same fingerprint, and needs no
other file. Files it does not read (a README, a pipe, a dangling link, a run folder) change
nothing; every file it reads changes the fingerprint when edited.
"""

from __future__ import annotations

import os
import shutil
import socket

import numpy as np
import polars as pl
import pytest
from release_fixtures import FILES, write_release

from c2kd_analyze.data import load_dataset
from c2kd_analyze.data.files import checked_file
from c2kd_analyze.data.fingerprint import SHORT, read_files_fingerprint
from c2kd_analyze.data.registry import dataset_files
from c2kd_analyze.errors import UserError


def _generic(folder, *, per_clip=False, n_train=6, n_test=3):
    """A generic-format folder: captions.parquet and features.npz or features/<clip>.npy."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, feats = [], {}
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        for i in range(n):
            cid = f"{split}{i}"
            feats[cid] = rng.standard_normal((3, 8)).astype(np.float32)
            for lang in ("en", "de"):
                rows.append({"clip_id": cid, "lang": lang, "split": split,
                             "caption": f"{lang} caption of {cid}"})  # fmt: skip
    pl.DataFrame(rows).write_parquet(folder / "captions.parquet")
    if per_clip:
        (folder / "features").mkdir()
        for cid, arr in feats.items():
            np.save(folder / "features" / f"{cid}.npy", arr)
    else:
        np.savez(folder / "features.npz", **feats)
    return folder


def _declared(name, folder, features=None):
    return {p.relative_to(dataset_files(name, folder, features).root).as_posix()
            for p in dataset_files(name, folder, features).paths}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# checked_file: one line per kind of file that is not a readable regular file


def test_a_regular_file_passes_through_a_link(tmp_path):
    (tmp_path / "real.parquet").write_bytes(b"x")
    (tmp_path / "link.parquet").symlink_to(tmp_path / "real.parquet")
    assert checked_file(tmp_path / "link.parquet") == tmp_path / "link.parquet"


@pytest.mark.timeout(60)  # a regression would block in open(); fail instead of hanging
def test_a_named_pipe_is_refused_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "captions.parquet")
    with pytest.raises(UserError, match=r"captions\.parquet is a named pipe \(FIFO\), not a"):
        checked_file(tmp_path / "captions.parquet")


def test_other_kinds_are_refused(tmp_path):
    (tmp_path / "a folder").mkdir()
    with pytest.raises(UserError, match="is a folder, not a regular file"):
        checked_file(tmp_path / "a folder")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        with pytest.raises(UserError, match="is a socket"):
            checked_file(tmp_path / "sock")
    with pytest.raises(UserError, match="is a device"):
        checked_file(type(tmp_path)("/dev/null"))


def test_missing_dangling_looping_and_too_long(tmp_path):
    with pytest.raises(UserError, match=r"nothing\.npz not found; do this"):
        checked_file(tmp_path / "nothing.npz", missing="do this")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.parquet")
    with pytest.raises(UserError, match=r"dangling is a symbolic link to .*gone\.parquet, which "
                                         "does not exist"):  # fmt: skip
        checked_file(tmp_path / "dangling")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UserError, match=r"cannot read .*symbolic links"):
        checked_file(tmp_path / "a")
    with pytest.raises(UserError, match="the name is too long") as exc:
        checked_file(tmp_path / ("x" * 300 + ".npy"))
    assert len(str(exc.value)) < 300


# ---------------------------------------------------------------------------------------------
# what each reader declares


def test_generic_declares_its_table_and_its_features(tmp_path):
    npz = _generic(tmp_path / "npz")
    assert _declared("generic", npz) == {"captions.parquet", "features.npz"}
    npy = _generic(tmp_path / "npy", per_clip=True)
    ids = [f"train{i}" for i in range(6)] + [f"test{i}" for i in range(3)]
    assert _declared("generic", npy) == {"captions.parquet", *(f"features/{c}.npy" for c in ids)}


@pytest.mark.parametrize(("name", "features"), sorted(FILES))
def test_a_release_reader_declares_its_two_pickles(tmp_path, name, features):
    write_release(tmp_path, name, features)
    train, test, _, _ = FILES[(name, features)]
    assert _declared(name, tmp_path, features) == {train, test}
    # the folder above data/ reads the same files, named the same way (the same run id)
    shutil.copytree(tmp_path, tmp_path / "parent" / "data", ignore=shutil.ignore_patterns("parent"))
    assert read_files_fingerprint(name, tmp_path / "parent", features) == read_files_fingerprint(
        name, tmp_path, features
    )


def test_datasets_that_read_no_folder_or_cannot_declare_give_none(tmp_path):
    assert dataset_files("demo", None) is None
    assert dataset_files("demo", tmp_path) is None  # the run's checks say "takes no --data-dir"
    assert dataset_files("generic", tmp_path / "missing") is None
    assert dataset_files("generic", "") is None  # never the current folder
    assert dataset_files("vatex", tmp_path, "s3d") is None  # vatex has no S3D features
    assert read_files_fingerprint("demo", tmp_path) == ""


# ---------------------------------------------------------------------------------------------
# exactly those files


def _unrelated(folder):
    """Files no reader reads, of every awkward kind, plus a run folder inside the data."""
    (folder / "README.txt").write_text("notes about my data")
    os.mkfifo(folder / "a pipe")
    (folder / "dangling").symlink_to(folder / "nowhere")
    (folder / "runs" / "generic-0123" / "cells").mkdir(parents=True)
    (folder / "runs" / "generic-0123" / "config.json").write_text("{}")
    (folder / "captions.parquet.bak").write_bytes(b"an old copy")


@pytest.mark.timeout(120)  # a pipe opened by mistake would block: fail instead
@pytest.mark.parametrize("per_clip", [False, True])
def test_files_no_reader_reads_change_nothing(tmp_path, per_clip):
    folder = _generic(tmp_path / "data", per_clip=per_clip)
    first = read_files_fingerprint("generic", folder)
    loaded = load_dataset("generic", data_dir=folder)
    assert first and loaded.source_fingerprint[:SHORT] == first
    _unrelated(folder)
    if per_clip:  # features of a clip the table does not name, and a note among the features
        np.save(folder / "features" / "not-a-clip.npy", np.ones((2, 8), np.float32))
        (folder / "features" / "notes.txt").write_text("extracted with CLIP ViT-B/32")
    assert read_files_fingerprint("generic", folder) == first
    assert load_dataset("generic", data_dir=folder).source_fingerprint == loaded.source_fingerprint


@pytest.mark.parametrize("per_clip", [False, True])
def test_the_declared_files_are_all_the_reader_needs_and_each_counts(tmp_path, per_clip):
    """A copy holding only the declared files loads the same dataset; editing any one of them
    changes the fingerprint (and what is loaded: the reader really reads it)."""
    folder = _generic(tmp_path / "data", per_clip=per_clip)
    _unrelated(folder)
    files = dataset_files("generic", folder)
    only = tmp_path / "only"
    for path in files.paths:
        target = only / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    full, bare = load_dataset("generic", data_dir=folder), load_dataset("generic", data_dir=only)
    assert bare.source_fingerprint == full.source_fingerprint
    np.testing.assert_array_equal(bare.train.features, full.train.features)
    assert bare.test.captions == full.test.captions
    seen = {read_files_fingerprint("generic", only)}
    for path in dataset_files("generic", only).paths:
        original = path.read_bytes()
        if path.suffix == ".parquet":
            table = pl.read_parquet(path).with_columns(pl.col("caption") + " (edited)")
            table.write_parquet(path)
        else:
            arrays = dict(np.load(path)) if path.suffix == ".npz" else {"x": np.load(path)}
            arrays = {k: v * 2 + 1 for k, v in arrays.items()}
            np.savez(path, **arrays) if path.suffix == ".npz" else np.save(path, arrays["x"])
        assert load_dataset("generic", data_dir=only).source_fingerprint[:SHORT] not in seen
        seen.add(read_files_fingerprint("generic", only))
        path.write_bytes(original)
    assert len(seen) == 1 + len(files.paths)


def test_edits_under_a_symlinked_features_folder_are_new_data(tmp_path):
    folder = _generic(tmp_path / "data", per_clip=True)
    shutil.move(folder / "features", tmp_path / "shared-features")
    (folder / "features").symlink_to(tmp_path / "shared-features", target_is_directory=True)
    first = read_files_fingerprint("generic", folder)
    assert first == load_dataset("generic", data_dir=folder).source_fingerprint[:SHORT]
    np.save(tmp_path / "shared-features" / "test1.npy", np.ones((4, 8), np.float32))
    assert read_files_fingerprint("generic", folder) != first


def test_release_fingerprint_ignores_the_other_files_of_the_release(tmp_path):
    write_release(tmp_path, "multi-msrvtt", "clip")
    first = read_files_fingerprint("multi-msrvtt", tmp_path, "clip")
    assert first == load_dataset("multi-msrvtt", data_dir=tmp_path).source_fingerprint[:SHORT]
    write_release(tmp_path, "multi-msrvtt", "s3d")  # the other features: not read with clip
    write_release(tmp_path, "vatex")
    (tmp_path / "msrvtt" / "README").write_text("the release")
    assert read_files_fingerprint("multi-msrvtt", tmp_path, "clip") == first
    assert read_files_fingerprint("multi-msrvtt", tmp_path, "s3d") != first


@pytest.mark.timeout(120)  # a pipe opened by mistake would block: fail instead
def test_a_release_pickle_that_is_a_pipe_is_named_by_the_fingerprint_and_the_loader(tmp_path):
    _, test = write_release(tmp_path, "vatex")
    test.unlink()
    os.mkfifo(test)
    for attempt in (lambda: read_files_fingerprint("vatex", tmp_path),
                    lambda: load_dataset("vatex", data_dir=tmp_path)):  # fmt: skip
        with pytest.raises(UserError, match=r"vatex_test_multilingual\.pkl is a named pipe"):
            attempt()


def test_an_empty_data_dir_is_never_the_current_folder(tmp_path, monkeypatch):
    _generic(tmp_path)
    monkeypatch.chdir(tmp_path)  # a folder that would load, were "" read as "."
    with pytest.raises(UserError, match="--data-dir is empty"):
        load_dataset("generic", data_dir="")
    assert load_dataset("generic", data_dir=".").train.n_clips == 6
