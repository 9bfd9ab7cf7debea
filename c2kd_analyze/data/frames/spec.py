"""An image tower is data: a frozen spec (the zoo), or a model found by id or folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

#: ``clip``: CLIP's vision tower and projection (``image_embeds``, the features CLIP compares
#: with text); ``siglip``: SigLIP's vision tower (its pooled output); ``auto``: any other vision
#: model (``get_image_features`` when it has one, else the pooled or mean last hidden state).
TowerKind = Literal["clip", "siglip", "auto"]
TOWER_KINDS: tuple[str, ...] = get_args(TowerKind)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class VisionSpec:
    """A registered image tower (``features models`` lists them)."""

    name: str
    model: str  # Hugging Face id
    revision: str  # a commit (40 hex)
    kind: TowerKind
    dim: int  # the feature size it writes
    image_size: int = 224
    size: str = ""  # as the card names it
    licence: str = ""
    reference: str = ""
    description: str = ""


def spec_problems(spec: VisionSpec) -> list[str]:
    problems = []
    if not _NAME.match(spec.name):
        problems.append(f"name {spec.name!r} is not lower-case letters, digits, '.', '_', '-'")
    if spec.kind not in TOWER_KINDS:
        problems.append(f"unknown kind {spec.kind!r} (known: {', '.join(TOWER_KINDS)})")
    if not _COMMIT.match(spec.revision):
        problems.append(f"revision {spec.revision!r} is not a commit hash")
    if spec.dim <= 0:
        problems.append(f"dim {spec.dim!r} is not positive")
    return problems
