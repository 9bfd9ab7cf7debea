"""A real run, exported, reloaded without c2kd_analyze, reproduces the run's test R@1.

Each test makes a tiny demo run with the real CLI, exports its C2KD student with the real CLI,
then a fresh interpreter runs the loading code printed in the exported README (sentence-
transformers for the text side, plain PyTorch for the video tower) on the test captions of every
language and the test clips; the R@1 computed from those vectors equals ``results.parquet``'s.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from export_helpers import (
    SMALL_TOML,
    TINY_RUN,
    assert_card_matches_the_run,
    assert_reproduces_r1,
    assert_reproduces_ranks,
    cli,
    reload_and_embed,
)

from c2kd_analyze.data import load_dataset
from c2kd_analyze.data.fingerprint import content_fingerprint

pytestmark = pytest.mark.slow  # trains twice on a tiny set and loads real encoders


def _dataset(run):
    config = json.loads((run / "config.json").read_text())
    options = dict(config["config"]["dataset_options"])
    dataset = load_dataset("demo", **options)
    assert content_fingerprint(dataset) == config["dataset"]["fingerprint"]
    assert len(set(dataset.test.clip_ids)) == dataset.test.n_clips  # no merged duplicates
    return dataset, config["config"]["n_video_tokens"]


def _one_error(done, *needles):
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_frozen_students_reproduce_the_run(tmp_path, warm_cache):
    """MiniLM (a sentence-transformers folder: its own modules are reused) as the C2KD student,
    and the me5-small teacher cell's own model (the converted mE5 folder, pooled by us, with the
    "query: " prompt)."""
    cache, run = warm_cache(tmp_path / "cache"), tmp_path / "run"
    (tmp_path / "small.toml").write_text(SMALL_TOML)
    # fp32: the exported folder reloads in fp32, so every rank comes back exactly (a bf16 run,
    # what auto picks on an AMX CPU, evaluated bf16 encoder outputs: a rank can move by one)
    args = ["run", *TINY_RUN, "--teachers", "muse,me5-small", "--student", "minilm-en",
            "--precision", "fp32", "--config", str(tmp_path / "small.toml"),
            "--out", str(run)]  # fmt: skip
    done = cli(args, cache, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    cells = {"c2kd-muse-s0": tmp_path / "student", "teacher-me5-small-s0": tmp_path / "teacher"}
    for cell, out in cells.items():
        done = cli(["export", str(run), cell, "--out", str(out)], cache, tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        names = {p.name for p in out.iterdir()}
        assert {"modules.json", "c2kd_head.py", "README.md", "c2kd_export.json", "video"} <= names
        modules = json.loads((out / "modules.json").read_text())
        assert [m["type"].rsplit(".", 1)[-1] for m in modules][-2:] == ["C2KDTextHead", "Normalize"]
        record = json.loads((out / "c2kd_export.json").read_text())
        assert record["text"]["mode"] == "frozen" and record["text"]["standardize"] is True
        assert_card_matches_the_run(out, run, cell)
    st_config = json.loads((cells["teacher-me5-small-s0"] / "config_sentence_transformers.json")
                           .read_text())  # fmt: skip
    assert st_config["default_prompt_name"] == "query"
    assert st_config["prompts"]["query"] == "query: "

    dataset, n_tokens = _dataset(run)
    embedded = reload_and_embed(list(cells.values()), dataset, n_tokens, tmp_path, cache)
    for cell, (video, texts) in zip(cells, embedded, strict=True):
        values = assert_reproduces_r1(run, cell, video, texts)
        assert set(values) == set(dataset.languages)
        assert_reproduces_ranks(run, cell, video, texts)  # every query, not only R@1

    # the teacher cell reads text with mUSE (numpy): refused, with what to do instead
    done = cli(["export", str(run), "teacher-muse-s0", "--out", str(tmp_path / "t")], cache,
               tmp_path)  # fmt: skip
    _one_error(done, "not a torch model", "--video-only")
    assert not (tmp_path / "t").exists()


def _tiny_bert(folder, dataset) -> None:
    """A one-layer BERT with a word-level vocabulary of the demo captions, saved as a normal HF
    folder (hidden 768: the mbert spec's size, which the loader checks)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = set()
    for split in (dataset.train, dataset.test):
        for caps in split.captions.values():
            for cap in caps:
                words.update(re.findall(r"\w+|[^\w\s]", " ".join(cap or []).lower()))
    folder.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=768, num_hidden_layers=1, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    BertModel(config).save_pretrained(folder)


def test_full_mode_student_reproduces_the_run(tmp_path, warm_cache):
    cache, run, out = warm_cache(tmp_path / "cache"), tmp_path / "run", tmp_path / "student"
    bert = tmp_path / "tiny-bert"
    _tiny_bert(bert, load_dataset("demo", n_train=48, n_test=32))
    (tmp_path / "small.toml").write_text(SMALL_TOML)
    args = ["run", *TINY_RUN, "--mode", "full", "--teachers", "muse", "--student", "mbert",
            "--teacher-dir", f"mbert={bert}", "--config", str(tmp_path / "small.toml"),
            "--out", str(run)]  # fmt: skip
    done = cli(args, cache, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    # the run recorded the folder: no --teacher-dir needed
    done = cli(["export", str(run), "c2kd-muse-s0", "--out", str(out)], cache, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((out / "c2kd_export.json").read_text())
    assert record["text"]["mode"] == "full" and record["text"]["standardize"] is False
    assert record["text"]["pooling"] == "mean" and record["text"]["max_seq_length"] == 40

    dataset, n_tokens = _dataset(run)
    [(video, texts)] = reload_and_embed([out], dataset, n_tokens, tmp_path, cache)
    assert_reproduces_r1(run, "c2kd-muse-s0", video, texts)
    assert_reproduces_ranks(run, "c2kd-muse-s0", video, texts)

    # a copy of the folder is another model id (path, file times): refused unless asked for
    copy = tmp_path / "copied-bert"
    shutil.copytree(bert, copy)
    other = tmp_path / "other"
    args = ["export", str(run), "zero-shot-s0", "--out", str(other), "--teacher-dir",
            f"mbert={copy}"]  # fmt: skip
    _one_error(cli(args, cache, tmp_path), "--ignore-model-id", str(copy))
    assert not other.exists()
    done = cli([*args, "--ignore-model-id"], cache, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (other / "modules.json").is_file()
