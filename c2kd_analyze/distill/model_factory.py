"""Fresh models for a run's cells: a text tower over one of its encoders and a video tower.

A frozen encoder is read by a :class:`~.models.TextHead` over its standardised outputs; a
fine-tuned one is a copy of the encoder's own module under the same head
(:class:`~.models.FineTunedTextTower`), pooled as its spec says or by masked mean for every model
(``finetune_pooling = "mean"``: the original C2KD code, the paper presets).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..config import RunConfig
from ..teachers.spec import Pooling
from .encoders import RunEncoders
from .execution import Execution, compile_encoder
from .models import FineTunedTextTower, RetrievalModel, TextHead, VideoTower
from .run_data import Role


class ModelFactory:
    """Builds the run's models on ``encoders``' device in its precision."""

    def __init__(
        self, cfg: RunConfig, encoders: RunEncoders, execution: Execution | None = None
    ) -> None:
        self.cfg = cfg
        self.encoders = encoders
        self.execution = execution or Execution()

    def pooling(self, name: str) -> Pooling:
        """How a fine-tuned encoder is pooled: its spec's pooling, or masked mean for every
        model (``finetune_pooling = "mean"``: the original C2KD code, the paper presets)."""
        from ..teachers import get_spec

        return "mean" if self.cfg.finetune_pooling == "mean" else get_spec(name).pooling

    def new(self, name: str, seed: int, role: Role = "student") -> RetrievalModel:
        """A fresh model reading encoder ``name`` in ``role``; heads and video tower seeded with
        ``seed``."""
        cfg, encoders = self.cfg, self.encoders
        torch.manual_seed(seed)
        text: nn.Module
        if encoders.mode_of(name) == "full":
            _, hf_model = encoders.hf_parts(name)
            encoder = copy.deepcopy(hf_model)  # every model fine-tunes its own copy
            text = FineTunedTextTower(
                encoder,
                encoder.config.hidden_size,
                cfg.projection_dim,
                self.pooling(name),
                precision=encoders.precision,
            )
            if self.execution.compile:
                compile_encoder(encoder)
        else:
            standardize = encoders.standardize(name, role)
            torch.manual_seed(seed)  # the statistics are data: the weights' draws start here
            text = TextHead(encoders.encoder(name).dim, cfg.projection_dim, standardize)
        feature_dim = encoders.data.dataset.feature_dim
        video = VideoTower(feature_dim, cfg.projection_dim, width=cfg.video_width)
        return RetrievalModel(text, video).to(encoders.device)
