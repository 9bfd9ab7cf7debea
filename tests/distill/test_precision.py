"""``--precision auto``: what it picks on a CPU (AMX-BF16 or not) and on a CUDA GPU (compute
capability >= 8.0 of the chosen device), and what bf16 covers on a CPU (the text encoders, never
the heads, the video tower or the losses).

The CUDA policy runs on this CPU machine: torch's CUDA queries are replaced by a stand-in with
two GPUs of different capabilities, and the project's own functions run unchanged on top.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from c2kd_analyze import devices, native_bf16
from c2kd_analyze.devices import planned_precision, resolve_precision
from c2kd_analyze.errors import UserError
from c2kd_analyze.native_bf16 import CpuBf16

SAPPHIRE_RAPIDS = "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
COOPER_LAKE = "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SKYLAKE = "flags\t\t: fpu sse2 avx2 avx512f avx512bw\n"


@pytest.fixture
def cpuinfo(tmp_path, monkeypatch):
    """``cpuinfo(text)``: this process reads ``text`` as /proc/cpuinfo (the real parser)."""
    real = native_bf16._proc_flags

    def use(text: str, isa: str | None = None) -> CpuBf16:
        path = tmp_path / "cpuinfo"
        path.write_text("processor\t: 0\nmodel name\t: Test CPU\n" + text)
        monkeypatch.setattr(native_bf16, "_proc_flags", lambda: real(str(path)))
        monkeypatch.setattr(native_bf16.sys, "platform", "linux")
        if isa is None:
            monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
        else:
            monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa)
        native_bf16._detect.cache_clear()
        return native_bf16.cpu_bf16()

    yield use
    native_bf16._detect.cache_clear()


def test_only_amx_bf16_counts_as_native_on_a_cpu(cpuinfo):
    amx = cpuinfo(SAPPHIRE_RAPIDS)
    assert amx.native and amx.flags == ("amx_bf16", "amx_tile", "avx512_bf16")
    assert amx.describe().startswith("native (AMX-BF16, AVX512-BF16; /proc/cpuinfo")
    assert planned_precision("cpu", "auto") == "bf16"
    assert resolve_precision("auto", torch.device("cpu")) == "bf16"
    # AVX512-BF16 without AMX ran slower than fp32 (native_bf16's docstring): auto stays fp32
    avx = cpuinfo(COOPER_LAKE)
    assert not avx.native and "AVX512-BF16 without AMX-BF16" in avx.describe()
    assert planned_precision("cpu", "auto") == "fp32"
    assert not cpuinfo(SKYLAKE).native and planned_precision("cpu", "auto") == "fp32"
    # asked for, bf16 runs anyway, and fp32 is fp32 on any CPU
    assert planned_precision("cpu", "bf16") == "bf16"
    cpuinfo(SAPPHIRE_RAPIDS)
    assert planned_precision("cpu", "fp32") == "fp32"


def test_onednn_held_below_amx_turns_auto_off(cpuinfo):
    assert not cpuinfo(SAPPHIRE_RAPIDS, isa="AVX512_CORE_BF16").native
    assert "switched off" in native_bf16.cpu_bf16().describe()
    assert planned_precision("cpu", "auto") == "fp32"
    assert cpuinfo(SAPPHIRE_RAPIDS, isa="AVX512_CORE_AMX").native
    assert cpuinfo(SAPPHIRE_RAPIDS, isa="ALL").native


def test_the_proc_flags_agree_with_torch_on_this_machine():
    """Two independent readings of this machine's CPU: /proc/cpuinfo (what a run uses, without
    torch) and torch's cpuinfo library."""
    native_bf16._detect.cache_clear()
    ours = native_bf16.cpu_bf16()
    if ours.source != "/proc/cpuinfo":
        pytest.skip("no /proc/cpuinfo here")
    caps = torch.cpu.get_capabilities()
    assert set(ours.flags) == {f for f in native_bf16.CPU_FLAGS if caps.get(f)}


def test_the_policy_is_recorded_in_describe_device(cpuinfo):
    cpuinfo(COOPER_LAKE)
    described = devices.describe_device(torch.device("cpu"))
    assert described["device"] == "cpu" and described["bf16"].startswith("not native")


def test_a_cpu_run_plans_its_precision_without_importing_torch():
    code = (
        "import sys; from c2kd_analyze.devices import planned_precision; "
        "from c2kd_analyze.native_bf16 import cpu_bf16; "
        "print(planned_precision('cpu', 'auto'), cpu_bf16().native, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    precision, native, imported = out.stdout.split()
    assert imported == "False"
    assert precision == ("bf16" if native == "True" else "fp32")


class _TwoGpus:
    """torch.cuda's queries for a machine with cuda:0 = A100 (8.0) and cuda:1 = T4 (7.5); the
    current device is cuda:0, so a policy that asked the current device would get cuda:1 wrong."""

    def __init__(self, monkeypatch, emulates: bool = True) -> None:
        self.caps = {0: (8, 0), 1: (7, 5)}
        self.names = {0: "NVIDIA A100", 1: "Tesla T4"}
        cuda = torch.cuda
        monkeypatch.setattr(cuda, "is_available", lambda: True)
        monkeypatch.setattr(cuda, "device_count", lambda: 2)
        monkeypatch.setattr(cuda, "current_device", lambda: 0)
        monkeypatch.setattr(cuda, "get_device_capability", lambda d=None: self.caps[self._i(d)])
        monkeypatch.setattr(cuda, "get_device_name", lambda d=None: self.names[self._i(d)])
        # torch's own flag: True on the T4 too (emulated), which is why auto must not use it
        monkeypatch.setattr(cuda, "is_bf16_supported", lambda *a, **k: emulates)
        monkeypatch.setattr(devices, "cuda_possible", lambda: True)

    @staticmethod
    def _i(device) -> int:
        if device is None:
            return 0
        return torch.device(device).index or 0


def test_auto_on_cuda_asks_the_chosen_devices_compute_capability(monkeypatch):
    _TwoGpus(monkeypatch)
    assert resolve_precision("auto", torch.device("cuda", 0)) == "bf16"
    assert resolve_precision("auto", torch.device("cuda", 1)) == "fp32"
    # the run id's precision, resolved after the device is chosen
    assert planned_precision("cuda:0", "auto") == "bf16"
    assert planned_precision("cuda:1", "auto") == "fp32"
    monkeypatch.setenv("LOCAL_RANK", "1")  # torchrun: `auto` and `cuda` mean cuda:LOCAL_RANK
    assert planned_precision("auto", "auto") == "fp32"
    assert planned_precision("cuda", "auto") == "fp32"
    described = devices.describe_device(torch.device("cuda", 1))
    assert described == {
        "device": "cuda:1",
        "name": "Tesla T4",
        "bf16": "not native: compute capability 7.5 < 8.0 emulates it",
    }
    assert devices.describe_device(torch.device("cuda", 0))["bf16"] == (
        "native (compute capability 8.0)"
    )


def test_bf16_asked_for_on_an_older_gpu_runs_emulated_or_is_refused(monkeypatch):
    _TwoGpus(monkeypatch, emulates=True)
    assert resolve_precision("bf16", torch.device("cuda", 1)) == "bf16"  # emulated: a warning
    assert resolve_precision("fp16", torch.device("cuda", 1)) == "fp16"
    _TwoGpus(monkeypatch, emulates=False)
    with pytest.raises(UserError, match="Tesla T4 does not support bfloat16"):
        resolve_precision("bf16", torch.device("cuda", 1))


# what bf16 covers on a CPU ----------------------------------------------------------------------


class _MatmulDtypes(TorchDispatchMode):
    """The input dtypes of every matrix product (linear layers) that runs."""

    def __init__(self) -> None:
        super().__init__()
        self.dtypes: list[torch.dtype] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.__name__.split(".")[0] in ("addmm", "mm", "bmm", "linear", "_mkldnn_linear"):
            self.dtypes.append(
                args[1].dtype if func.__name__.startswith("addmm") else args[0].dtype
            )
        return func(*args, **(kwargs or {}))


def _tiny_tower(precision: str):
    from transformers import BertConfig, BertModel

    from c2kd_analyze.distill.models import FineTunedTextTower

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=32)  # fmt: skip
    return FineTunedTextTower(BertModel(config), 16, 8, precision=precision)


def test_on_a_cpu_bf16_runs_the_fine_tuned_encoder_only():
    """A full-mode text tower in bf16 on a CPU: the transformer's linear layers in bf16 (from
    fp32 weights), the head's in fp32, the output fp32 and close to fp32's."""
    tokens = {
        "input_ids": torch.randint(3, 50, (4, 7), generator=torch.Generator().manual_seed(1)),
        "attention_mask": torch.tensor([[1] * 7, [1] * 5 + [0] * 2, [1] * 7, [1] * 3 + [0] * 4]),
    }
    out = {}
    for precision in ("fp32", "bf16"):
        tower = _tiny_tower(precision)
        record = _MatmulDtypes()
        with record, devices.autocast(torch.device("cpu"), precision):  # as a training step
            out[precision] = tower(tokens)
        out[precision].sum().backward()
        assert all(p.dtype == torch.float32 for p in tower.parameters())
        assert tower.encoder.embeddings.word_embeddings.weight.grad is not None
        seen = set(record.dtypes)
        assert seen == ({torch.float32} if precision == "fp32" else {torch.float32, torch.bfloat16})
        # the head (norm + gated unit: 2 linear layers) is the last to run, in fp32
        assert record.dtypes[-2:] == [torch.float32, torch.float32]
    assert out["bf16"].dtype == torch.float32
    assert not torch.equal(out["bf16"], out["fp32"])
    torch.testing.assert_close(out["bf16"], out["fp32"], atol=0.05, rtol=0.05)


def test_on_a_cpu_bf16_leaves_heads_and_video_tower_in_fp32():
    """Frozen mode on a CPU: the encoders ran before (their vectors are the cache's), so a bf16
    step is the fp32 step exactly; on an accelerator the same step would run under autocast."""
    from test_devices import _setup

    from c2kd_analyze.distill.train import batch_loss

    clips, cap = np.arange(16), np.zeros(16, np.int64)
    losses = {}
    for precision in ("fp32", "bf16"):
        model, texts, frames, mask, recipe, targets = _setup("cpu", precision)
        record = _MatmulDtypes()
        with record:
            losses[precision] = batch_loss(model, texts, frames, mask, clips, cap, recipe, targets)
        assert set(record.dtypes) == {torch.float32}
    assert torch.equal(losses["bf16"], losses["fp32"])
    assert devices.autocast(torch.device("cpu"), "bf16").__class__.__name__ == "nullcontext"
    assert isinstance(devices.encoder_autocast(torch.device("cpu"), "bf16"), torch.autocast)
