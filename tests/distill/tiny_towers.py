"""Full-mode models over tiny Hugging Face towers (folders from the conftest fixtures) and their
tokenised captions: the same classes a ``--mode full`` run builds."""

from __future__ import annotations

from pathlib import Path

import torch

from c2kd_analyze.distill.captions import CaptionTable
from c2kd_analyze.distill.inputs import TokenizedTexts
from c2kd_analyze.distill.models import FineTunedTextTower, RetrievalModel, VideoTower


def full_model(folder: Path, feature_dim: int, dim: int = 16, seed: int = 0) -> RetrievalModel:
    """A fine-tuned text tower over the HF model in ``folder`` (mean pooled) and a video tower."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(folder))
    torch.manual_seed(seed)
    text = FineTunedTextTower(encoder, encoder.config.hidden_size, dim, "mean")
    return RetrievalModel(text, VideoTower(feature_dim, dim, width=dim))


def tokenized(
    folder: Path,
    tables: dict[str, CaptionTable],
    device="cpu",
    max_tokens: int = 24,
    pad_to: int = 1,
) -> TokenizedTexts:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    return TokenizedTexts(tables, tokenizer, max_tokens, "", device, pad_to=pad_to)
