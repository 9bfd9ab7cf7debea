"""A cell's video tower as ``video/model.safetensors`` + ``video/config.json``.

The weights are the checkpoint's ``video.*`` entries, names unchanged (``token_proj.fc.weight``,
``blocks.layers.0.self_attn.in_proj_weight``, ...), so the plain-PyTorch class in
:data:`c2kd_analyze.export.card.VIDEO_SNIPPET` loads them with ``strict=True``. The architecture
numbers are read from the rebuilt :class:`~c2kd_analyze.distill.models.VideoTower` itself (heads
and feed-forward width are not in the weights' shapes alone), after a strict load, so the config
always describes the weights next to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .locate import CellModel

VIDEO_DIR = "video"


def video_config(model: CellModel, video_state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The tower's constructor arguments and how the run fed it, from a strict rebuild."""
    from ..distill.models import VideoTower

    recorded = model.meta.get("video")  # the constructor's arguments, in newer checkpoints
    if recorded:
        tower = VideoTower(**recorded)
    else:  # older checkpoints: the shapes, and today's defaults for heads and depth
        feature_dim = int(video_state["token_proj.fc.weight"].shape[1])
        width = int(video_state["token_proj.fc.weight"].shape[0])
        projection_dim = int(video_state["proj.fc.weight"].shape[0])
        tower = VideoTower(feature_dim, projection_dim, width=width)
    tower.load_state_dict(video_state, strict=True)
    layer = tower.blocks.layers[0]
    return {
        "feature_dim": tower.config["feature_dim"],
        "projection_dim": tower.config["projection_dim"],
        "width": tower.config["width"],
        "depth": len(tower.blocks.layers),
        "heads": int(layer.self_attn.num_heads),
        "ffn_dim": int(layer.linear1.out_features),
        "n_video_tokens": model.n_video_tokens,
        "feature_kind": model.dataset.get("feature_kind"),
        "output": "L2-normalised (projection_dim,) embeddings; score = cosine with the text side",
    }


def write_video_tower(model: CellModel, state: dict[str, torch.Tensor], folder: Path) -> dict:
    """Write ``folder/video/{model.safetensors,config.json}``; returns the config."""
    from safetensors.torch import save_file

    from .text_side import split_state

    video_state = {k: v.contiguous() for k, v in split_state(state, "video.").items()}
    config = video_config(model, video_state)
    out = folder / VIDEO_DIR
    out.mkdir(parents=True, exist_ok=True)
    save_file(video_state, str(out / "model.safetensors"))
    (out / "config.json").write_text(_json(config))
    return config


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, sort_keys=True) + "\n"
