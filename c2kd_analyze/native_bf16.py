"""Does this processor compute bfloat16 matrix products natively? What ``--precision auto`` asks.

- **CPU**: native means Intel AMX-BF16 tile units (Sapphire Rapids and newer Xeons), which
  oneDNN, PyTorch's CPU matmul library, uses for bf16 ``linear`` layers. Measured on this
  project's 2-core AMX machine, a 12-layer 384-wide BERT forward (256 captions x 16 tokens) ran
  3.5x faster under bf16 autocast than in fp32; with oneDNN held to AVX512-BF16 instructions
  (``ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16``) the same forward ran at 0.71x of fp32, and with plain
  AVX-512 at 0.29x. So AVX512-BF16 alone does not count: there ``auto`` stays fp32.
  The flags are read from ``/proc/cpuinfo`` (no torch import, so a finished run resumes fast);
  elsewhere from ``torch.cpu.get_capabilities()``. ``ONEDNN_MAX_CPU_ISA`` set below AMX turns
  it off, as it does for oneDNN.
- **CUDA**: native means compute capability 8.0 or newer (Ampere, Ada, Hopper, Blackwell). Older
  GPUs run bf16 by emulation (``torch.cuda.is_bf16_supported()`` is True there too), slower than
  fp32, so ``auto`` asks the chosen device's capability, never the current device's flag.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

#: the CPU flags that matter, in /proc/cpuinfo's spelling (torch.cpu.get_capabilities() agrees)
CPU_FLAGS = ("amx_bf16", "amx_tile", "avx512_bf16")
#: the oldest CUDA compute capability with bf16 tensor cores
CUDA_NATIVE_BF16 = (8, 0)


@dataclass(frozen=True)
class CpuBf16:
    """What was detected about a CPU's bf16 support, and where it was read."""

    flags: tuple[str, ...]  # the CPU_FLAGS present
    source: str  # "/proc/cpuinfo", "torch.cpu.get_capabilities()" or "unknown"
    onednn_isa: str = ""  # ONEDNN_MAX_CPU_ISA, when set

    @property
    def native(self) -> bool:
        """AMX-BF16 present and not switched off for oneDNN."""
        return "amx_bf16" in self.flags and _isa_allows_amx(self.onednn_isa)

    def describe(self) -> str:
        """One line for ``doctor`` and ``config.json``: ``native (AMX-BF16; /proc/cpuinfo)``."""
        names = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512-BF16"}
        found = [names[f] for f in self.flags if f in names]
        where = self.source + (f", ONEDNN_MAX_CPU_ISA={self.onednn_isa}" if self.onednn_isa else "")
        if self.native:
            return f"native ({', '.join(found)}; {where})"
        if "amx_bf16" in self.flags:
            return f"AMX-BF16 present but switched off for oneDNN ({where})"
        if found:
            return f"not native: {', '.join(found)} without AMX-BF16 is slower than fp32 ({where})"
        return f"not native: no AMX-BF16 ({where})"


def _isa_allows_amx(isa: str) -> bool:
    isa = isa.strip().upper()
    return isa in ("", "DEFAULT", "ALL") or "AMX" in isa


def _proc_flags(path: str = "/proc/cpuinfo") -> set[str] | None:
    """The first processor's ``flags`` line as a set, or None where there is no such file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        return None
    return set()  # a cpuinfo without x86 flags (e.g. ARM): nothing of ours


def cpu_bf16() -> CpuBf16:
    """This machine's CPU bf16 support, detected once per process (and ONEDNN_MAX_CPU_ISA)."""
    return _detect(os.environ.get("ONEDNN_MAX_CPU_ISA", ""))


@functools.lru_cache(maxsize=4)
def _detect(isa: str) -> CpuBf16:
    flags = _proc_flags() if sys.platform.startswith("linux") else None
    if flags is not None:
        return CpuBf16(tuple(f for f in CPU_FLAGS if f in flags), "/proc/cpuinfo", isa)
    try:
        import torch

        caps = torch.cpu.get_capabilities()
    except Exception:  # no torch, or a build without the query: nothing native we can tell
        return CpuBf16((), "unknown", isa)
    found = tuple(f for f in CPU_FLAGS if caps.get(f))
    return CpuBf16(found, "torch.cpu.get_capabilities()", isa)


def cuda_capability(device: torch.device) -> tuple[int, int]:
    """The compute capability of CUDA ``device`` (the one a run chose, not the current one)."""
    import torch

    major, minor = torch.cuda.get_device_capability(device)
    return int(major), int(minor)


def cuda_native_bf16(device: torch.device) -> bool:
    return cuda_capability(device) >= CUDA_NATIVE_BF16


def describe_cuda_bf16(device: torch.device) -> str:
    major, minor = cuda_capability(device)
    if (major, minor) >= CUDA_NATIVE_BF16:
        return f"native (compute capability {major}.{minor})"
    return f"not native: compute capability {major}.{minor} < 8.0 emulates it"
