"""What the text tower reads, per mode, and batched no-grad embedding of whole splits.

- :class:`FrozenTexts` (``--mode frozen``): the encoder's pooled, L2-normalised outputs of every
  caption, precomputed through the content-addressed encoder cache and moved to the run's device
  once; a batch is a row gather on the device.
- :class:`TokenizedTexts` (``--mode full``): every caption of a split tokenised once (with the
  model's own tokenizer and prompt, e.g. E5's ``"query: "``) into one padded id matrix on the
  device; a batch gathers its rows and is cut to its own longest caption.

Both take caption rows as host (numpy) indices, so a training step never waits for the device to
tell it which rows to read.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .captions import CaptionTable

if TYPE_CHECKING:
    import torch

    from ..devices import Precision
    from .models import RetrievalModel


def device_index(rows: np.ndarray, device: torch.device) -> torch.Tensor:
    """Host indices (n,) as an int64 tensor on ``device`` (an asynchronous copy on a GPU)."""
    import torch

    index = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64))
    return index.to(device, non_blocking=True) if device.type != "cpu" else index


class TextInputs(Protocol):
    tables: dict[str, CaptionTable]
    device: torch.device

    def inputs(self, lang: str, rows: np.ndarray) -> Any:
        """The text tower's input for captions ``rows`` of ``lang``'s table."""
        ...


class FrozenTexts:
    """Pooled encoder outputs per language: ``features[lang]`` (n_texts, D) on ``device``, rows =
    table rows."""

    def __init__(
        self,
        tables: dict[str, CaptionTable],
        features: dict[str, Any],
        device: torch.device | str = "cpu",
    ) -> None:
        import torch

        self.tables = tables
        self.device = torch.device(device)
        self.features = {
            lang: torch.as_tensor(np.ascontiguousarray(f) if isinstance(f, np.ndarray) else f).to(
                self.device
            )
            for lang, f in features.items()
        }
        for lang, table in tables.items():
            n_rows = self.features[lang].shape[0]
            if n_rows != len(table.texts):
                raise ValueError(f"{lang}: {n_rows} feature rows for {len(table.texts)} captions")

    @property
    def dim(self) -> int:
        return int(next(iter(self.features.values())).shape[1])

    def inputs(self, lang: str, rows: np.ndarray) -> torch.Tensor:
        return self.features[lang][device_index(rows, self.device)]


class TokenizedTexts:
    """Captions tokenised once per split (truncated at ``max_tokens``), kept on ``device`` as a
    padded id matrix per language; :meth:`inputs` pads a batch only to its longest caption.

    Padding follows the tokenizer's ``padding_side``: right padding stores rows left-aligned and a
    batch keeps the first L columns; left padding stores them right-aligned and keeps the last L.
    """

    def __init__(
        self,
        tables: dict[str, CaptionTable],
        tokenizer: Any,
        max_tokens: int,
        prompt: Any = "",
        device: torch.device | str = "cpu",
    ) -> None:
        import torch

        self.tables = tables
        self.max_tokens = max_tokens
        self.device = torch.device(device)
        self.left = getattr(tokenizer, "padding_side", "right") == "left"
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        apply = prompt if callable(prompt) else (lambda text: str(prompt) + text)
        self.ids: dict[str, torch.Tensor] = {}
        self.lengths: dict[str, np.ndarray] = {}
        self._lengths_dev: dict[str, torch.Tensor] = {}
        for lang, table in tables.items():
            encoded = (
                tokenizer([apply(t) for t in table.texts], truncation=True, max_length=max_tokens)[
                    "input_ids"
                ]
                if table.texts
                else []
            )
            lengths = np.array([len(e) for e in encoded], dtype=np.int64)
            width = int(lengths.max()) if lengths.size else 1
            ids = np.full((len(encoded), width), pad_id, dtype=np.int64)
            for i, e in enumerate(encoded):
                if self.left:
                    ids[i, width - len(e) :] = e
                else:
                    ids[i, : len(e)] = e
            self.ids[lang] = torch.from_numpy(ids).to(self.device)
            self.lengths[lang] = lengths
            self._lengths_dev[lang] = torch.from_numpy(lengths).to(self.device)

    def inputs(self, lang: str, rows: np.ndarray) -> dict[str, torch.Tensor]:
        """``input_ids`` and ``attention_mask`` (B, L) for captions ``rows``, L = their longest."""
        import torch

        rows = np.asarray(rows, dtype=np.int64)
        width = self.ids[lang].shape[1]
        longest = int(self.lengths[lang][rows].max()) if rows.size else 1
        index = device_index(rows, self.device)
        ids = self.ids[lang][index]
        lengths = self._lengths_dev[lang][index].unsqueeze(1)
        positions = torch.arange(longest, device=self.device).unsqueeze(0)
        if self.left:
            ids = ids[:, width - longest :]
            mask = positions >= longest - lengths
        else:
            ids = ids[:, :longest]
            mask = positions < lengths
        return {"input_ids": ids, "attention_mask": mask.long()}


def _autocast(device: torch.device, precision: Precision | None):
    from ..devices import autocast

    return autocast(device, precision) if precision else nullcontext()


def embed_texts(
    model: RetrievalModel,
    texts: TextInputs,
    lang: str,
    rows: np.ndarray,
    batch_size: int = 512,
    precision: Precision | None = None,
) -> torch.Tensor:
    """Text embeddings (n, P) float32 on the texts' device of captions ``rows`` of ``lang``; model
    in eval mode, no gradients, forward under ``precision``'s autocast."""
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad(), _autocast(texts.device, precision):
        for start in range(0, len(rows), batch_size):
            batch = texts.inputs(lang, rows[start : start + batch_size])
            out.append(model.encode_text(batch).float())
    model.train(was_training)
    if not out:
        return torch.zeros(0, model.text_dim, device=texts.device)
    return torch.cat(out)


def embed_videos(
    model: RetrievalModel,
    frames: torch.Tensor,
    mask: torch.Tensor,
    batch_size: int = 256,
    precision: Precision | None = None,
) -> torch.Tensor:
    """Clip embeddings (n_clips, P) float32 of frames (n_clips, T, D) / mask (n_clips, T), on their
    device; eval, no grad, forward under ``precision``'s autocast."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad(), _autocast(frames.device, precision):
        out = [
            model.encode_video(frames[s : s + batch_size], mask[s : s + batch_size]).float()
            for s in range(0, frames.shape[0], batch_size)
        ]
    model.train(was_training)
    return torch.cat(out)
