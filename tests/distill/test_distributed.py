"""DDP on the CPU (gloo, 2 processes) gives the single-process loss, gradients and weights.

Each case runs once in this process (the global batch on one rank) and once in two spawned
ranks that each embed half of every batch; both compute the global loss over gathered
embeddings. The batch has an odd size (padding in the gather) and a language with missing
captions (masking), for NCE only (translate-train) and for C2KD with two pooled teachers.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset

from c2kd_analyze.distill.distributed import local_slice, wrap
from c2kd_analyze.distill.inputs import FrozenTexts
from c2kd_analyze.distill.models import RetrievalModel, TextHead, VideoTower
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import (
    BatchEncoder,
    TeacherTargets,
    TrainRecipe,
    batch_loss,
    step_loss,
    train_model,
)

CASES = ("nce", "c2kd")
BATCH = 15  # odd: the ranks get 8 and 7 clips


def _features(table, dim: int = 12) -> np.ndarray:
    out = np.zeros((len(table.texts), dim), np.float32)
    for i, text in enumerate(table.texts):
        for word in text.split():
            out[i, sum(map(ord, word)) % dim] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _setup(case: str):
    from c2kd_analyze.distill.captions import caption_tables

    ds = tiny_dataset(n_train=40, n_test=4, missing_lang="fr")
    tables = caption_tables(ds.train, ds.languages)
    texts = FrozenTexts(tables, {lang: _features(t) for lang, t in tables.items()})
    frames, mask = split_tensors(ds.train, 30)
    targets = None
    if case == "c2kd":
        g = torch.Generator().manual_seed(7)
        n_en = len(tables["en"].texts)
        targets = TeacherTargets(
            tuple(torch.nn.functional.normalize(torch.randn(n_en, 6, generator=g), dim=-1)
                  for _ in range(2)),
            tuple(torch.nn.functional.normalize(torch.randn(40, 6, generator=g), dim=-1)
                  for _ in range(2)),
            pool="max",
        )  # fmt: skip
    recipe = TrainRecipe(
        languages=("en", "de", "fr"), epochs=2, lr=3e-3, lr_decay=0.9, batch_size=BATCH,
        temperature=0.05, seed=3, balance=0.3 if case == "c2kd" else 1.0, distill_temp=0.2,
    )  # fmt: skip
    return ds, texts, frames, mask, recipe, targets


def _model(feature_dim: int) -> RetrievalModel:
    torch.manual_seed(0)
    return RetrievalModel(TextHead(12, 16), VideoTower(feature_dim, 16, width=16))


def compute(case: str) -> dict:
    """One step's loss and gradients on a fixed global batch, then a short training run."""
    torch.set_num_threads(1)
    ds, texts, frames, mask, recipe, targets = _setup(case)
    model = _model(ds.feature_dim)
    clips = np.arange(5, 5 + BATCH)  # clips 5, 10, 15 lack French
    cap = np.arange(BATCH) % 2
    # one step path: in one process the whole batch, under DDP this rank's slice + the gather
    encoder = wrap(BatchEncoder(model), frames.device)  # DDP only with two ranks
    loss = step_loss(encoder, texts, frames, mask, clips, cap, recipe, targets)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    trained = _model(ds.feature_dim)
    history = train_model(trained, texts, frames, mask, recipe, targets)
    return {
        "loss": float(loss.detach()),
        "grads": grads,
        "history": [s.loss for s in history],
        "weights": {k: v.detach().clone() for k, v in trained.state_dict().items()},
    }


def _rank(rank: int, world: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)  # fmt: skip
    try:
        for case in CASES:
            result = compute(case)
            if rank == 0:
                torch.save(result, f"{out_dir}/{case}.pt")
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> dict:
    import torch.multiprocessing as mp

    tmp = tmp_path_factory.mktemp("ddp")
    mp.spawn(_rank, args=(2, str(tmp / "init"), str(tmp)), nprocs=2, join=True)
    return {case: torch.load(tmp / f"{case}.pt") for case in CASES}


@pytest.mark.slow  # spawns two DDP ranks (each imports torch): about 15 s
@pytest.mark.parametrize("case", CASES)
def test_two_ranks_equal_one_process(two_ranks, case):
    single, ddp = compute(case), two_ranks[case]
    assert single["loss"] > 0
    assert ddp["loss"] == pytest.approx(single["loss"], rel=1e-5, abs=1e-6)
    assert ddp["grads"].keys() == single["grads"].keys()
    for name, grad in single["grads"].items():
        assert grad.abs().sum() > 0 or name.endswith("masking_token"), name
        torch.testing.assert_close(ddp["grads"][name], grad, rtol=1e-4, atol=1e-6)
    # the whole loop: same per-step losses and the same trained weights
    np.testing.assert_allclose(ddp["history"], single["history"], rtol=1e-4, atol=1e-6)
    for key, value in single["weights"].items():
        got = ddp["weights"][key]
        if key.endswith("in_proj_bias"):
            # the attention key bias has an exactly-zero gradient (softmax ignores a constant
            # shift); Adam turns its float noise into +-lr steps, so only q and v biases compare
            width = value.shape[0] // 3
            value, got = (
                torch.cat([value[:width], value[2 * width :]]),
                torch.cat([got[:width], got[2 * width :]]),
            )
        torch.testing.assert_close(got, value, rtol=1e-4, atol=1e-5, msg=key)


@pytest.mark.slow  # needs the two DDP ranks' result
def test_gradients_differ_without_gathering(two_ranks):
    """The comparison can fail: a rank's half batch alone gives another loss."""
    ds, texts, frames, mask, recipe, _ = _setup("nce")
    model = _model(ds.feature_dim)
    clips, cap = np.arange(5, 5 + BATCH), np.arange(BATCH) % 2
    half = local_slice(BATCH, 0, 2)
    loss = batch_loss(model, texts, frames, mask, clips[half], cap[half], recipe, None)
    assert float(loss.detach()) != pytest.approx(two_ranks["nce"]["loss"], rel=1e-3)


@pytest.mark.parametrize(("n", "world"), [(15, 2), (16, 2), (5, 3), (2, 4)])
def test_local_slices_cover_the_batch_in_order(n, world):
    parts = [local_slice(n, r, world) for r in range(world)]
    assert np.concatenate([np.arange(n)[p] for p in parts]).tolist() == list(range(n))
    assert max(p.stop - p.start for p in parts) == -(-n // world)


@pytest.mark.slow
def test_cli_under_torchrun_matches_one_process(tmp_path, warm_cache):
    """`torchrun --nproc_per_node 2 -m c2kd_analyze run` (gloo): every stage trained
    data-parallel gives the single-process losses and metrics; rank 0 alone prints."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from c2kd_analyze import io

    conf = tmp_path / "small.toml"
    conf.write_text("projection_dim = 32\nvideo_width = 32\n")
    args = [
        "run", "--dataset-option", "n_train=64", "--dataset-option", "n_test=24",
        "--teachers", "muse", "--student", "minilm-en", "--epochs", "2", "--batch-size", "31",
        "--no-progress", "--no-report", "--config", str(conf),
    ]  # fmt: skip
    bin_dir = Path(sys.executable).parent

    def run(cmd, name):
        cache = warm_cache(tmp_path / f"cache-{name}")
        env = {**os.environ, "C2KD_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
        done = subprocess.run([*cmd, *args, "--out", str(tmp_path / name)], env=env,
                              capture_output=True, text=True, timeout=900)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    ddp = run([str(bin_dir / "torchrun"), "--standalone", "--nproc_per_node", "2",
               "-m", "c2kd_analyze"], "ddp")  # fmt: skip
    run([str(bin_dir / "c2kd-analyze")], "one")
    assert ddp.stdout.count("cell(s) run") == 1  # rank 0 alone prints
    key = ["cell", "epoch", "step"]
    h_ddp = io.read_parquet(tmp_path / "ddp" / "history.parquet").sort(key)
    h_one = io.read_parquet(tmp_path / "one" / "history.parquet").sort(key)
    assert set(h_one["cell"]) == {"teacher-muse-s0", "zero-shot-s0", "translate-train-s0",
                                  "c2kd-muse-s0"}  # fmt: skip
    assert h_ddp.select(key).equals(h_one.select(key))
    np.testing.assert_allclose(h_ddp["loss"].to_numpy(), h_one["loss"].to_numpy(), rtol=1e-4)
    cols = ["cell", "lang", "direction", "metric", "k"]
    r_ddp = io.read_parquet(tmp_path / "ddp" / "results.parquet").sort(cols)
    r_one = io.read_parquet(tmp_path / "one" / "results.parquet").sort(cols)
    assert r_ddp.select(cols).equals(r_one.select(cols))
    np.testing.assert_allclose(r_ddp["value"].to_numpy(), r_one["value"].to_numpy(), atol=1e-9)


@pytest.mark.parametrize("rank", ["0", "1"])
def test_one_gpu_for_every_rank_is_refused_under_torchrun(rank, tmp_path, monkeypatch, capsys):
    """``--device cuda:1`` under torchrun would put both ranks on one GPU: refused before
    anything is written, in one line from rank 0 (rank 1 exits 2 silently: the same mistake)."""
    from c2kd_analyze.cli import main

    for key, value in {"WORLD_SIZE": "2", "RANK": rank, "LOCAL_RANK": rank}.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--device", "cuda:1", "--no-report", "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    if rank == "0":
        assert len(err) == 1 and err[0].startswith("error: --device cuda:1 under torchrun")
        assert "--device cuda or auto" in err[0]
    else:
        assert err == []
    assert not out.exists()


def test_the_group_waits_longer_than_a_first_encoding(monkeypatch):
    """The group is made with a day's timeout (the other ranks wait at a barrier while rank 0
    fills the encoder cache), or ``$C2KD_DIST_TIMEOUT`` minutes; a bad value is one line."""
    from datetime import timedelta

    import torch.distributed as dist

    from c2kd_analyze.distill import distributed
    from c2kd_analyze.errors import UserError

    made = {}
    monkeypatch.setattr(dist, "init_process_group", lambda **kw: made.update(kw))
    monkeypatch.setattr(dist, "get_rank", lambda: 0)
    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.init_from_env(torch.device("cpu"))
    assert made == {"backend": "gloo", "timeout": timedelta(hours=24)}
    monkeypatch.setenv("C2KD_DIST_TIMEOUT", "90")
    assert distributed.group_timeout() == timedelta(minutes=90)
    for bad in ("soon", "0", "-5"):
        monkeypatch.setenv("C2KD_DIST_TIMEOUT", bad)
        with pytest.raises(UserError, match="C2KD_DIST_TIMEOUT"):
            distributed.group_timeout()
