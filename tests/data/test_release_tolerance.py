"""The release readers tolerate what the original tolerates, and count it: empty captions, duplicate
ids, extra caption keys, absent languages, YouCook2's '2d_full' filter; teachers' English."""

from __future__ import annotations

import numpy as np
from release_fixtures import write_edited, write_release
from typer.testing import CliRunner

from c2kd_analyze.cli import app
from c2kd_analyze.data import Tolerated, load_dataset
from c2kd_analyze.data.release_captions import raw_text


def test_youcook2_empty_captions_are_masked_in_test_and_kept_in_train(tmp_path):
    def train(items):
        items[3]["caption_de"] = ""
        items[4]["caption_ja"] = "   "
        items[1]["caption_fr"] = None

    def test(items):
        items[0]["caption_de"] = ""
        items[2]["caption_en"] = " "

    write_edited(tmp_path, "multi-youcook2", "s3d", edit_train=train, edit_test=test)
    ds = load_dataset("multi-youcook2", data_dir=tmp_path)
    assert ds.tolerated == Tolerated(empty_train=3, empty_test=2)
    assert ds.train.captions["de"][3] == [""] and ds.train.captions["ja"][4] == [""]
    assert ds.train.captions["fr"][1] == [""]
    assert ds.train.captions["de"][2] == ["de train caption 0 of clip 2: ćšž 中文"]
    assert ds.test.captions["de"][0] is None and ds.test.captions["en"][2] is None
    assert ds.test.captions["de"][1] == ["de test caption 0 of clip 1: ćšž 中文"]
    # a masked English query has no teacher query either
    assert ds.test.teacher_english[2] is None and ds.test.teacher_english[1] is not None


def test_msrvtt_empty_caption_inside_a_training_list_keeps_the_lists_aligned(tmp_path):
    def train(items):
        items[1]["caption_de"] = ["", items[1]["caption_de"][1]]

    def test(items):
        items[3]["eval_caption_sw"] = ""

    write_edited(tmp_path, "multi-msrvtt", edit_train=train, edit_test=test)
    ds = load_dataset("multi-msrvtt", data_dir=tmp_path)
    assert ds.tolerated == Tolerated(empty_train=1, empty_test=1)
    assert ds.train.captions["de"][1] == ["", "de train caption 1 of clip 1: ćšž 中文"]
    assert len(ds.train.captions["en"][1]) == 2
    assert ds.test.captions["sw"][3] is None and ds.test.captions["en"][3] is not None


def test_duplicate_ids_are_kept_counted_and_the_denominator_counts_distinct_ids(tmp_path):
    def train(items):
        items[2]["id"] = items[0]["id"]

    def test(items):
        items[1]["id"] = items[3]["id"] = items[0]["id"]

    write_edited(tmp_path, "vatex", edit_train=train, edit_test=test)
    ds = load_dataset("vatex", data_dir=tmp_path)
    assert ds.tolerated == Tolerated(duplicate_train=1, duplicate_test=2)
    assert ds.train.clip_ids[2] == ds.train.clip_ids[0] == "train_000"
    assert ds.test.clip_ids == ("test_000", "test_000", "test_002", "test_000")
    assert ds.test.n_unique_clips == 2 and ds.test.n_queries == 2
    # every duplicate keeps its own features and captions (evaluation averages them)
    assert ds.test.captions["zh"][1] == ["zh test caption 0 of clip 1: ćšž 中文"]
    assert not np.array_equal(ds.test.features[0], ds.test.features[1])


def test_extra_caption_keys_are_named_and_ignored(tmp_path):
    def train(items):
        for item in items:
            item["caption_xx"] = ["???"] * 2
            item["caption_de"] = ["German is not a VATEX language"] * 2
        items[0]["caption_en_raw"] = ["raw"]

    def test(items):
        items[2]["eval_caption_yy"] = "???"

    write_edited(tmp_path, "vatex", edit_train=train, edit_test=test)
    ds = load_dataset("vatex", data_dir=tmp_path)
    assert ds.languages == ("en", "zh")
    assert ds.tolerated.extra_keys == (
        "caption_de", "caption_en_raw", "caption_xx", "eval_caption_yy"
    )  # fmt: skip
    assert ds.tolerated == Tolerated(extra_keys=ds.tolerated.extra_keys)


def test_youcook2_reads_cz_only_and_reports_caption_cs_as_extra(tmp_path):
    def add_cs(items):
        items[0]["caption_cs"] = "a second Czech key"

    write_edited(tmp_path, "multi-youcook2", "s3d", edit_train=add_cs)
    ds = load_dataset("multi-youcook2", data_dir=tmp_path)
    assert ds.tolerated.extra_keys == ("caption_cs",)
    assert ds.train.captions["cs"][0] == ["cz train caption 0 of clip 0: ćšž 中文"]


def test_a_language_no_file_holds_is_left_out_and_reported(tmp_path):
    def drop_sw(items):
        for item in items:
            item.pop("caption_sw", None)
            item.pop("eval_caption_sw", None)

    write_edited(tmp_path, "multi-msrvtt", edit_train=drop_sw, edit_test=drop_sw)
    ds = load_dataset("multi-msrvtt", data_dir=tmp_path)
    assert ds.languages == ("en", "de", "fr", "cs", "zh", "ru", "vi", "es")
    assert ds.tolerated == Tolerated(absent_languages=("sw",))


def test_rudder_languages_outside_the_list_are_extra(tmp_path):
    write_release(tmp_path, "rudder")  # the fixtures hold Tamil too
    ds = load_dataset("rudder", data_dir=tmp_path)
    assert ds.tolerated == Tolerated(extra_keys=("captions['ta']",))
    assert ds.train.teacher_english is None  # RUDDER's teachers read the caption itself


def test_youcook2_2d_full_filter_keeps_only_those_items_with_their_own_captions(tmp_path):
    def mark(items):
        for i in (0, 1, 3):
            items[i]["2d_full"] = np.zeros((2, 4))

    write_edited(tmp_path, "multi-youcook2", "s3d", edit_train=mark, n_train=5)
    ds = load_dataset("multi-youcook2", data_dir=tmp_path)
    assert ds.train.clip_ids == ("train_000", "train_001", "train_003")
    assert ds.train.captions["de"][2] == ["de train caption 0 of clip 3: ćšž 中文"]
    assert ds.test.n_clips == 4  # no item of the val file has '2d_full': all are kept
    assert ds.tolerated == Tolerated(dropped_clips=2)


def test_teachers_read_english_as_the_original_does(tmp_path):
    def punctuate(items):
        items[0]["caption"] = "Plain caption, with: punctuation!"

    write_edited(tmp_path, "multi-youcook2", "s3d", edit_train=punctuate)
    yc = load_dataset("multi-youcook2", data_dir=tmp_path)
    assert yc.train.teacher_english[0] == ["Plain caption with punctuation"]  # `caption`, raw_text
    assert yc.train.captions["en"][0] == ["en train caption 0 of clip 0: ćšž 中文"]
    assert yc.train.teacher_english[1] == ["en train caption 0 of clip 1 ćšž 中文"]

    write_release(tmp_path, "multi-msrvtt")
    ms = load_dataset("multi-msrvtt", data_dir=tmp_path)
    assert ms.train.teacher_english[2] == [
        f"en train caption {j} of clip 2 ćšž 中文" for j in (0, 1)
    ]  # raw_text of each caption_en, index-aligned
    assert ms.test.teacher_english[1] == ["en test caption 0 of clip 1 ćšž 中文"]
    assert ms.test.teacher_captions() is ms.test.teacher_english


def test_raw_text_matches_the_original_tokenizer():
    assert raw_text("It's a man's job -- cook it (well).") == "It's a man's job cook it well"
    assert raw_text("") == "" and raw_text("...") == ""


def test_datasets_check_prints_each_count(tmp_path):
    def train(items):
        items[1]["id"] = items[0]["id"]
        items[2]["caption_de"] = ["", ""]
        items[3]["caption_xx"] = ["?", "?"]
        items[4]["caption_yy"] = ["?", "?"]

    def test(items):
        items[1]["eval_caption_fr"] = ""
        items[2]["id"] = items[3]["id"]

    write_edited(tmp_path, "multi-msrvtt", edit_train=train, edit_test=test)
    result = CliRunner().invoke(app, ["datasets", "check", "multi-msrvtt", "--data-dir", tmp_path])
    assert result.exit_code == 0, result.output
    lines = [x for x in result.output.splitlines() if x.startswith("tolerated: ")]
    assert lines == [
        "tolerated: 3 empty captions: 1 in test masked, 2 in train kept as empty strings and "
        "left out of the loss",
        "tolerated: 2 duplicate clip ids: 1 in test averaged at evaluation (as the original), "
        "1 in train kept as separate clips",
        "tolerated: 2 extra caption keys ignored (caption_xx, caption_yy)",
    ]
    assert "files fingerprint: " in result.output


def test_datasets_check_says_when_nothing_was_tolerated(tmp_path):
    write_release(tmp_path, "vatex")
    result = CliRunner().invoke(app, ["datasets", "check", "vatex", "--data-dir", tmp_path])
    assert result.exit_code == 0 and "tolerated: nothing" in result.output
