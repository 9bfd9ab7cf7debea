"""The C2KD text head as a sentence-transformers module, written by ``c2kd-analyze export``.

This file is copied verbatim into every exported folder (as ``c2kd_head.py``) and loaded by
``SentenceTransformer(folder, trust_remote_code=True)``; it needs only torch and safetensors, never
c2kd_analyze. It reads the pooled encoder output ``features["sentence_embedding"]`` (B, D) and
writes the student's text embedding (B, P) in its place:

- ``standardize`` (frozen-mode students only): ``(x - mean) / std`` per dimension, in float64
  with fixed statistics (the encoder's outputs on the English training captions);
- ``norm``: LayerNorm(D, eps=1e-6);
- ``proj``: the gated embedding unit ``y = W1 x + b1; out = y * sigmoid(W2 y + b2)`` to P.

A plain ``torch.nn.Module`` with the old one-argument ``load(path)``, which every
sentence-transformers version since 2.x loads.
"""

from __future__ import annotations

import json
import os

import torch
from safetensors.torch import load_file, save_file
from torch import nn

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


class GatedEmbeddingUnit(nn.Module):
    """``y = W1 x + b1; out = y * sigmoid(W2 y + b2)``: (..., in_dim) -> (..., out_dim)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.gate = nn.Linear(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return y * torch.sigmoid(self.gate(y))


class Standardize(nn.Module):
    """``(x - mean) / std`` with fixed float64 statistics: (B, D) -> (B, D) float32."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("std", torch.ones(dim, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.double() - self.mean.double()) / self.std.double()).float()


class C2KDTextHead(nn.Module):
    """(Standardize +) LayerNorm + gated unit: ``sentence_embedding`` (B, D) -> (B, P)."""

    def __init__(self, in_dim: int, out_dim: int, standardize: bool) -> None:
        super().__init__()
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        self.standardize = Standardize(in_dim) if standardize else None
        self.norm = nn.LayerNorm(in_dim, eps=1e-6)
        self.proj = GatedEmbeddingUnit(in_dim, out_dim)

    def forward(self, features: dict) -> dict:
        x = features["sentence_embedding"]
        if self.standardize is not None:
            x = self.standardize(x)
        features["sentence_embedding"] = self.proj(self.norm(x.to(self.norm.weight.dtype)))
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.out_dim

    get_embedding_dimension = get_sentence_embedding_dimension  # sentence-transformers >= 5

    def get_config_dict(self) -> dict:
        return {
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "standardize": self.standardize is not None,
        }

    def save(self, output_path: str, *args, **kwargs) -> None:
        os.makedirs(output_path, exist_ok=True)
        with open(os.path.join(output_path, CONFIG_NAME), "w", encoding="utf-8") as fh:
            json.dump(self.get_config_dict(), fh, indent=2)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, os.path.join(output_path, WEIGHTS_NAME))

    @staticmethod
    def load(input_path: str) -> C2KDTextHead:
        with open(os.path.join(input_path, CONFIG_NAME), encoding="utf-8") as fh:
            head = C2KDTextHead(**json.load(fh))
        head.load_state_dict(load_file(os.path.join(input_path, WEIGHTS_NAME)), strict=True)
        return head
