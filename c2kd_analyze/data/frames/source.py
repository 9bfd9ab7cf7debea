"""``--model``: which image tower runs, found (never downloaded) but not loaded."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError
from ..model_hub import (
    FoundModel,
    HubRef,
    cached_model,
    local_model,
    looks_like_folder,
    missing_message,
    model_folder,
    read_config,
)
from .registry import get_tower_spec
from .spec import TowerKind, VisionSpec

WHAT = "image model"
_CLIP = ("clip", "clip_vision_model")
_SIGLIP = ("siglip", "siglip_vision_model", "siglip2", "siglip2_vision_model")


@dataclass(frozen=True)
class TowerSource:
    found: FoundModel
    kind: TowerKind
    label: str
    spec: VisionSpec | None = None

    @property
    def model_id(self) -> str:
        return self.found.model_id


def resolve_tower(value: str) -> TowerSource:
    """The image tower named by ``value`` (a registered name, a HF id or a folder); UserError
    (one line) when it is unknown, absent or not an image model."""
    if looks_like_folder(value):
        found = local_model(model_folder(value, WHAT))
        return TowerSource(found, _kind(found, str(found.folder)), str(found.folder))
    if "/" in value:
        ref = HubRef(value)
        found = cached_model(ref, missing_message(WHAT, value, ref))
        return TowerSource(found, _kind(found, value), value)
    spec = get_tower_spec(value)
    ref = HubRef(spec.model, spec.revision)
    found = cached_model(ref, missing_message(WHAT, spec.name, ref))
    _kind(found, spec.name)
    return TowerSource(found, spec.kind, spec.name, spec)


def _kind(found: FoundModel, label: str) -> TowerKind:
    """The tower kind of a model folder; UserError for a folder of another kind of model."""
    config = read_config(found.folder)
    model_type = str(config.get("model_type", ""))
    has_processor = (found.folder / "preprocessor_config.json").is_file()
    if has_processor and model_type in _CLIP:
        return "clip"
    if has_processor and model_type in _SIGLIP:
        return "siglip"
    if config.get("is_encoder_decoder") or not has_processor:
        raise UserError(
            f"--model {label} is a {model_type or 'unknown'!r} model without an image processor "
            "(preprocessor_config.json), not an image model; give an image model such as "
            "clip-b32, siglip-b16 or a folder of one"
        )
    return "auto"
