"""``--compile`` and ``--deterministic``: how a run executes, not what it computes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset
from tiny_towers import full_model, tokenized

from c2kd_analyze.cli import main
from c2kd_analyze.distill.captions import caption_tables
from c2kd_analyze.distill.execution import (
    Execution,
    check_execution,
    compile_encoder,
    execution_scope,
)
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import TrainRecipe, train_model
from c2kd_analyze.errors import UserError


@pytest.fixture(scope="module")
def one_layer_bert(tmp_path_factory, minilm_dir):
    """One layer keeps inductor's compile time down (it grows with the graph)."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    folder = tmp_path_factory.mktemp("bert1")
    BertModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (minilm_dir / name).exists():
            shutil.copy(minilm_dir / name, folder / name)
    return folder


@pytest.mark.slow  # inductor compiles the forward and backward graphs: about a minute on 2 cores
def test_compiled_training_gives_the_eager_losses(one_layer_bert):
    """Six steps (batches of 8 and 9 clips, 3 languages, one missing for some clips) with the
    encoder compiled and token widths padded to 8, against eager with batches cut at their
    longest caption: the same losses up to float rounding, and few graphs."""
    import torch._dynamo

    ds = tiny_dataset(n_train=26, n_test=4, missing_lang="fr")
    tables = caption_tables(ds.train, ds.languages)
    frames, mask = split_tensors(ds.train, 30)
    recipe = TrainRecipe(languages=ds.languages, epochs=2, lr=1e-3, lr_decay=0.9, batch_size=8,
                    temperature=0.05, seed=3)  # fmt: skip
    histories = {}
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    for compiled in (False, True):
        execution = Execution(compile=compiled)
        model = full_model(one_layer_bert, ds.feature_dim)
        texts = tokenized(one_layer_bert, tables, max_tokens=35, pad_to=execution.pad_to)
        if compiled:
            compile_encoder(model.text.encoder)
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0  # no random masks: the two runs must see the same arithmetic
        histories[compiled] = [s.loss for s in train_model(model, texts, frames, mask, recipe)]
    assert len(histories[True]) == 2 * 3
    np.testing.assert_allclose(histories[True], histories[False], rtol=1e-4)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    assert 1 <= graphs <= 3, graphs  # a static graph, then one with dynamic sizes at most


def test_padding_to_eight_bounds_the_widths(one_layer_bert):
    ds = tiny_dataset(n_train=26, n_test=4)
    tables = caption_tables(ds.train, ds.languages)
    plain = tokenized(one_layer_bert, tables, max_tokens=35)
    texts = tokenized(one_layer_bert, tables, max_tokens=35, pad_to=Execution(compile=True).pad_to)
    rows = [np.arange(k, k + 3) for k in range(0, 150, 3)]
    assert len({plain.width(r) for r in rows}) > len({texts.width(r) for r in rows})
    assert all(texts.width(r) % 8 == 0 and texts.width(r) >= plain.width(r) for r in rows)
    assert texts.stacked.shape[1] % 8 == 0  # the stored matrix is wide enough to pad into


def test_compile_without_a_c_compiler_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no cc, gcc or clang on it
    with pytest.raises(UserError, match="--compile needs a C compiler"):
        check_execution(Execution(compile=True))
    check_execution(Execution(deterministic=True))  # needs none
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--compile", "--no-report", "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --compile needs a C compiler")
    assert not out.exists()


def test_deterministic_scope_sets_and_restores_torch_flags():
    assert not torch.are_deterministic_algorithms_enabled()
    with execution_scope(Execution(deterministic=True)):
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert not torch.are_deterministic_algorithms_enabled()
    with execution_scope(Execution()):
        assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.slow
def test_a_deterministic_run_records_it_and_repeats(tmp_path, warm_cache):
    """``--deterministic`` on the CPU: the run records it and gives bitwise the numbers of a
    run without it (CPU kernels are deterministic already)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from c2kd_analyze import io

    cli = str(Path(sys.executable).with_name("c2kd-analyze"))
    args = ["run", "--dataset-option", "n_train=48", "--dataset-option", "n_test=16",
            "--teachers", "muse", "--student", "minilm-en", "--epochs", "1", "--batch-size", "16",
            "--no-progress", "--no-report"]  # fmt: skip
    results = {}
    for flag in ("", "--deterministic"):
        name = flag.strip("-") or "plain"
        env = {**os.environ, "C2KD_CACHE": str(warm_cache(tmp_path / f"cache-{name}"))}
        done = subprocess.run([cli, *args, *([flag] if flag else []), "--out",
                               str(tmp_path / name)], env=env, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        config = json.loads((tmp_path / name / "config.json").read_text())
        assert config["execution"] == {"compile": False, "deterministic": bool(flag)}
        results[name] = io.read_parquet(tmp_path / name / "results.parquet")
    assert results["plain"].equals(results["deterministic"])
