"""Where a run computes and in which precision: ``--device`` and ``--precision``, resolved once.

``--device``:

- ``auto`` (default): the GPU when CUDA is visible, else the CPU. Under torchrun every rank takes
  ``cuda:LOCAL_RANK``. Apple's MPS is used only when asked for.
- ``cpu``, ``cuda``, ``cuda:N``, ``mps``: that device; one that is not there is a
  :class:`~c2kd_analyze.errors.UserError` (one line, exit 2) before any work starts.

``--precision``:

- ``auto`` (default): ``bf16`` where the chosen device computes it natively
  (:mod:`c2kd_analyze.native_bf16`: a CUDA GPU of compute capability 8.0 or newer, a CPU with
  AMX-BF16), ``fp32`` elsewhere; resolved after the device is chosen;
- ``fp32``; ``bf16`` (autocast); ``fp16`` (autocast with a gradient scaler).

What autocast covers: weights stay fp32 (so checkpoints are the same files in every precision),
and similarity matrices, losses and metrics are computed in fp32. On an accelerator the models'
whole forward passes run under autocast (:func:`autocast`); on a CPU only the text encoders do
(:func:`encoder_autocast`: frozen encoding and the fine-tuned towers of ``--mode full``), because
that is where the time goes and where AMX pays, while the small heads and the video tower stay
fp32.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .choices import Precision, PrecisionSpec, values
from .errors import UserError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


PRECISIONS: tuple[str, ...] = values(PrecisionSpec)
DEVICE_HELP = "auto, cpu, cuda, cuda:N or mps"
_DEVICE_RE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device_spec(spec: str) -> str:
    """``spec`` if it is a device name this tool understands (no torch import), else UserError."""
    spec = str(spec).strip().lower()
    if not _DEVICE_RE.fullmatch(spec):
        raise UserError(f"unknown --device {spec!r}; use {DEVICE_HELP}")
    return spec


def check_precision_spec(spec: str) -> str:
    spec = str(spec).strip().lower()
    if spec not in PRECISIONS:
        raise UserError(f"unknown --precision {spec!r}; use {', '.join(PRECISIONS)}")
    return spec


def _local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def cuda_possible() -> bool:
    """False when this machine certainly has no CUDA (or ROCm) device: no driver device files, or
    ``CUDA_VISIBLE_DEVICES`` hides them all. True means "ask torch". Lets a finished run resume
    without importing torch (seconds) just to learn that ``auto`` means the CPU."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    dev = Path("/dev")
    return any(dev.glob("nvidia*")) or (dev / "kfd").exists() or (dev / "dxg").exists()


def planned_precision(device_spec: str, precision_spec: str) -> Precision:
    """The precision a run with ``--device`` / ``--precision`` computes in (part of its run id),
    importing torch only when a GPU may be involved."""
    device_spec, precision_spec = (
        check_device_spec(device_spec),
        check_precision_spec(precision_spec),
    )
    if device_spec == "cpu" or (device_spec == "auto" and not cuda_possible()):
        return _cpu_precision(precision_spec)
    return resolve_precision(precision_spec, resolve_device(device_spec))


def _cpu_precision(spec: str) -> Precision:
    """``spec`` on a CPU: ``auto`` is bf16 exactly where the CPU has AMX-BF16 (no torch import)."""
    from .native_bf16 import cpu_bf16

    if spec == "auto":
        return "bf16" if cpu_bf16().native else "fp32"
    if spec == "bf16" and not cpu_bf16().native:
        _warn_once(
            f"--precision bf16: this CPU has no native bf16 ({cpu_bf16().describe()}); its text "
            "encoders will run slower than in fp32"
        )
    return spec  # type: ignore[return-value]


@functools.cache
def _warn_once(message: str) -> None:
    """A run resolves its precision twice (its id, then its device): say a thing once."""
    log.warning(message)


def resolve_device(spec: str = "auto") -> torch.device:
    """The ``torch.device`` for ``spec``; UserError when it is not there."""
    import torch

    spec = check_device_spec(spec)
    if spec == "auto":
        spec = "cuda" if cuda_possible() and torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise UserError("--device mps: no Apple MPS device here; use --device cpu or auto")
        return torch.device("mps")
    if not torch.cuda.is_available():
        why = "this torch is a CPU build" if torch.version.cuda is None else "no GPU is visible"
        raise UserError(f"--device {spec}: CUDA is not available ({why}); use --device cpu or auto")
    index = int(spec.split(":")[1]) if ":" in spec else _local_rank()
    count = torch.cuda.device_count()
    if index >= count:
        raise UserError(
            f"--device {spec}: there is no cuda:{index} ({count} GPU(s) visible: "
            f"cuda:0..cuda:{count - 1}); choose one of them"
        )
    return torch.device("cuda", index)


def describe_device(device: torch.device) -> dict[str, str]:
    """What config.json and the report record: ``{"device": "cuda:0", "name": "NVIDIA H200",
    "bf16": "native (compute capability 9.0)"}`` (``bf16``: what ``--precision auto`` found)."""
    from .native_bf16 import cpu_bf16, describe_cuda_bf16

    if device.type == "cuda":
        import torch

        name = torch.cuda.get_device_name(device)
        return {"device": str(device), "name": name, "bf16": describe_cuda_bf16(device)}
    if device.type == "mps":
        return {"device": "mps", "name": "Apple MPS", "bf16": "not used by auto on MPS"}
    return {"device": "cpu", "name": _cpu_name(), "bf16": cpu_bf16().describe()}


def _cpu_name() -> str:
    import platform

    name = ""
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    name = name or platform.processor() or platform.machine()
    return f"{name} ({os.cpu_count()} cores)"


def resolve_precision(spec: str, device: torch.device) -> Precision:
    """The precision ``spec`` means on ``device`` (see the module docstring). ``bf16`` on a GPU
    that cannot run it even emulated is a UserError."""
    spec = check_precision_spec(spec)
    if device.type == "cpu":
        return _cpu_precision(spec)
    if device.type != "cuda":
        return "fp32" if spec == "auto" else spec  # type: ignore[return-value]
    import torch

    from .native_bf16 import cuda_native_bf16, describe_cuda_bf16

    if spec == "auto":
        return "bf16" if cuda_native_bf16(device) else "fp32"
    if spec == "bf16" and not cuda_native_bf16(device):
        if not torch.cuda.is_bf16_supported():
            raise UserError(
                f"--precision bf16: {torch.cuda.get_device_name(device)} does not support "
                "bfloat16; use --precision fp16 or fp32"
            )
        _warn_once(f"--precision bf16 on {device}: {describe_cuda_bf16(device)}")
    return spec  # type: ignore[return-value]


def autocast_dtype(precision: Precision):
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)


def autocast(device: torch.device, precision: Precision):
    """The autocast around a whole model's forward (a training step, an evaluation pass): the
    precision's autocast on an accelerator; none on a CPU, where reduced precision is for the
    text encoders alone (:func:`encoder_autocast`) and heads and video tower stay fp32."""
    if device.type == "cpu":
        return contextlib.nullcontext()
    return encoder_autocast(device, precision)


def encoder_autocast(device: torch.device, precision: Precision):
    """The autocast around an encoder's forward (a text encoder frozen or fine-tuned, the frame
    extractor of ``features extract``, the translator of ``datasets translate``), on every
    device; a no-op in fp32. Inside :func:`autocast` on an accelerator it changes nothing."""
    import torch

    dtype = autocast_dtype(precision)
    if dtype is None or device.type == "meta":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, precision: Precision):
    """A gradient scaler, enabled for fp16 only (bf16 has fp32's range and needs none)."""
    import torch

    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
