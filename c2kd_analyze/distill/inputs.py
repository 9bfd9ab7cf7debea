"""What the text tower reads, per mode, and batched no-grad embedding of whole splits.

- :class:`FrozenTexts` (``--mode frozen``): the encoder's pooled, L2-normalised outputs of every
  caption, precomputed through the content-addressed encoder cache; a batch is a row gather.
- :class:`TokenizedTexts` (``--mode full``): the captions themselves, tokenized per batch with the
  model's own tokenizer (and prefix, e.g. E5's ``"query: "``), for a fine-tuned encoder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .captions import CaptionTable

if TYPE_CHECKING:
    import torch

    from .models import RetrievalModel


class TextInputs(Protocol):
    tables: dict[str, CaptionTable]

    def inputs(self, lang: str, rows: np.ndarray) -> Any:
        """The text tower's input for captions ``rows`` of ``lang``'s table."""
        ...


class FrozenTexts:
    """Pooled encoder outputs per language: ``features[lang]`` (n_texts, D), rows = table rows."""

    def __init__(self, tables: dict[str, CaptionTable], features: dict[str, np.ndarray]) -> None:
        import torch

        self.tables = tables
        self.features = {
            lang: torch.from_numpy(np.ascontiguousarray(f)) for lang, f in features.items()
        }
        for lang, table in tables.items():
            n_rows = self.features[lang].shape[0]
            if n_rows != len(table.texts):
                raise ValueError(f"{lang}: {n_rows} feature rows for {len(table.texts)} captions")

    @property
    def dim(self) -> int:
        return int(next(iter(self.features.values())).shape[1])

    def inputs(self, lang: str, rows: np.ndarray) -> torch.Tensor:
        import torch

        return self.features[lang][torch.from_numpy(np.asarray(rows, dtype=np.int64))]


class TokenizedTexts:
    """Raw captions, tokenized per batch: padding to the longest, truncation at ``max_tokens``."""

    def __init__(
        self, tables: dict[str, CaptionTable], tokenizer: Any, max_tokens: int, prefix: str = ""
    ) -> None:
        self.tables = tables
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.prefix = prefix

    def inputs(self, lang: str, rows: np.ndarray) -> dict[str, torch.Tensor]:
        texts = [self.prefix + self.tables[lang].texts[int(r)] for r in rows]
        return dict(
            self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_tokens,
                return_tensors="pt",
            )
        )


def embed_texts(
    model: RetrievalModel, texts: TextInputs, lang: str, rows: np.ndarray, batch_size: int = 512
) -> torch.Tensor:
    """Text embeddings (n, P) of captions ``rows`` of ``lang``, model in eval mode, no gradients."""
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            out.append(model.encode_text(texts.inputs(lang, rows[start : start + batch_size])))
    model.train(was_training)
    if not out:
        return torch.zeros(0, model.text_dim)
    return torch.cat(out)


def embed_videos(
    model: RetrievalModel, frames: torch.Tensor, mask: torch.Tensor, batch_size: int = 256
) -> torch.Tensor:
    """Clip embeddings (n_clips, P) of frames (n_clips, T, D) / mask (n_clips, T), eval, no grad."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = [
            model.encode_video(frames[s : s + batch_size], mask[s : s + batch_size])
            for s in range(0, frames.shape[0], batch_size)
        ]
    model.train(was_training)
    return torch.cat(out)
