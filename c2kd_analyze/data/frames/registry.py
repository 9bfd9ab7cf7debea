"""The image towers: a scan of ``zoo/`` (see :mod:`..zoo_scan`)."""

from __future__ import annotations

import functools

from ..zoo_scan import scan_zoo, unknown_name
from .spec import VisionSpec, spec_problems

DEFAULT_TOWER = "clip-b32"


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, VisionSpec]:
    from . import zoo

    return scan_zoo(zoo, VisionSpec, spec_problems)


def list_towers() -> list[VisionSpec]:
    return list(_registry().values())


def get_tower_spec(name: str) -> VisionSpec:
    spec = _registry().get(name)
    if spec is None:
        raise unknown_name(
            "image model",
            name,
            list(_registry()),
            "or give a Hugging Face id (org/name) or a model folder",
        )
    return spec
