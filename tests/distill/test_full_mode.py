"""``--mode full``: the text encoder is fine-tuned. A tiny BERT built here, saved as a normal
Hugging Face folder and passed with ``--teacher-dir mbert=DIR``, goes through the same code path
as the real mBERT (the hub is not reachable from the test machines)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import torch

from c2kd_analyze import io

pytestmark = pytest.mark.slow  # real processes; builds and fine-tunes a (tiny) transformer

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))


def _tiny_bert(folder: Path) -> None:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from c2kd_analyze.data import load_dataset

    ds = load_dataset("demo", n_train=64, n_test=16)
    words = set()
    for split in (ds.train, ds.test):
        for caps in split.captions.values():
            for cap in caps:
                words.update(re.findall(r"\w+|[^\w\s]", " ".join(cap or []).lower()))
    folder.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    # hidden 768: the mbert spec's dim, checked by the loader; one small layer keeps it fast
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=768,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)


def test_full_mode_fine_tunes_the_encoder(tmp_path):
    model_dir = tmp_path / "tiny-bert"
    _tiny_bert(model_dir)
    out = tmp_path / "run"
    cache = tmp_path / "cache"
    args = [
        CLI, "run", "--mode", "full", "--teachers", "mbert,muse", "--student", "mbert",
        "--teacher-dir", f"mbert={model_dir}", "--dataset-option", "n_train=64",
        "--dataset-option", "n_test=16", "--epochs", "1", "--batch-size", "32",
        "--no-progress", "--no-report", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(args, env={**os.environ, "C2KD_CACHE": str(cache)}, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "muse cannot be fine-tuned; it stays frozen in --mode full" in done.stderr
    results = io.read_parquet(out / "results.parquet")
    modes = dict(results.select("cell", "mode").unique().iter_rows())
    assert modes["teacher-muse-s0"] == "frozen"
    assert {modes[c] for c in ("teacher-mbert-s0", "zero-shot-s0", "c2kd-mbert-s0")} == {"full"}
    assert results.filter(pl.col("student_model").str.contains("local:")).height > 0
    # the checkpoints hold the fine-tuned encoder (safetensors), changed from the saved weights
    from safetensors.torch import load_file

    start = load_file(model_dir / "model.safetensors")
    word = next(k for k in start if k.endswith("word_embeddings.weight"))
    changed = 0
    for path in (cache / "checkpoints").glob("*/model.safetensors"):
        state = load_file(path)
        key = f"text.encoder.{word}"
        if key in state:
            changed += int(not torch.equal(state[key], start[word]))
    assert changed == 5  # mbert teacher, zero-shot, translate-train, c2kd mbert, c2kd muse
