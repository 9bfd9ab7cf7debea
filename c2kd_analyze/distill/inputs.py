"""What the text tower reads, per mode, and batched no-grad embedding of whole splits.

- :class:`FrozenTexts` (``--mode frozen``): the encoder's pooled, L2-normalised outputs of every
  caption, precomputed through the content-addressed encoder cache and moved to the run's device
  once; a batch is a row gather on the device.
- :class:`TokenizedTexts` (``--mode full``): every caption of a split tokenised once (with the
  model's own tokenizer and prompt, e.g. E5's ``"query: "``) into one padded id matrix on the
  device; a batch gathers its rows and is cut to its own longest caption.

Both stack the languages' captions in one table, so a training step reads the captions of all
its languages with one gather and runs the text tower once. Rows are chosen on the host (numpy
indices, widths from host-side lengths), so a step never waits for the device to tell it which
rows to read or how wide a batch is.
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


def round_up(n: int, multiple: int) -> int:
    """``n`` rounded up to a multiple of ``multiple`` (>= 1)."""
    return -(-n // multiple) * multiple


def _offsets(tables: dict[str, CaptionTable]) -> dict[str, int]:
    """Where each language's rows start in the languages' tables stacked in order."""
    out, start = {}, 0
    for lang, table in tables.items():
        out[lang] = start
        start += len(table.texts)
    return out


class TextInputs(Protocol):
    """What a text tower reads, for every language of a split.

    The languages' caption tables are stacked in order (``offsets[lang]`` is where a language's
    rows start), so a training step reads the captions of all its languages with one gather:
    :meth:`gather` of stacked rows, on the device, ``width`` tokens wide (from :meth:`width`,
    decided on the host). :meth:`inputs` reads one language's rows (evaluation).
    """

    tables: dict[str, CaptionTable]
    offsets: dict[str, int]
    device: torch.device

    def inputs(self, lang: str, rows: np.ndarray) -> Any:
        """The text tower's input for captions ``rows`` of ``lang``'s table."""
        ...

    def width(self, stacked_rows: np.ndarray) -> int:
        """The token width a batch of stacked rows (n,) needs (0: no tokens, frozen features)."""
        ...

    def gather(self, stacked_rows: torch.Tensor, width: int) -> Any:
        """The tower's input for stacked rows (n,) already on the device."""
        ...


class FrozenTexts:
    """Pooled encoder outputs of every language stacked in one (n_texts, D) tensor on
    ``device``; ``features[lang]`` is a language's (n_lang, D) view, rows = table rows."""

    def __init__(
        self,
        tables: dict[str, CaptionTable],
        features: dict[str, Any],
        device: torch.device | str = "cpu",
    ) -> None:
        import torch

        self.tables = tables
        self.device = torch.device(device)
        self.offsets = _offsets(tables)
        for lang, table in tables.items():
            n_rows = features[lang].shape[0]
            if n_rows != len(table.texts):
                raise ValueError(f"{lang}: {n_rows} feature rows for {len(table.texts)} captions")
        parts = [
            torch.as_tensor(np.ascontiguousarray(f) if isinstance(f, np.ndarray) else f)
            for f in (features[lang] for lang in tables)
        ]
        self.stacked = torch.cat([p.to(self.device) for p in parts])
        self.features = {
            lang: self.stacked[self.offsets[lang] : self.offsets[lang] + len(table.texts)]
            for lang, table in tables.items()
        }

    @property
    def dim(self) -> int:
        return int(self.stacked.shape[1])

    def inputs(self, lang: str, rows: np.ndarray) -> torch.Tensor:
        return self.features[lang][device_index(rows, self.device)]

    def width(self, stacked_rows: np.ndarray) -> int:
        return 0

    def gather(self, stacked_rows: torch.Tensor, width: int) -> torch.Tensor:
        return self.stacked[stacked_rows]


class TokenizedTexts:
    """Captions tokenised once per split (truncated at ``max_tokens``), every language's rows
    stacked in one padded id matrix on ``device``; a batch is padded only to its longest caption
    (rounded up to a multiple of ``pad_to``: ``torch.compile`` then sees few shapes).

    Padding follows the tokenizer's ``padding_side``: right padding stores rows left-aligned and a
    batch keeps the first W columns; left padding stores them right-aligned and keeps the last W.
    """

    def __init__(
        self,
        tables: dict[str, CaptionTable],
        tokenizer: Any,
        max_tokens: int,
        prompt: Any = "",
        device: torch.device | str = "cpu",
        pad_to: int = 1,
    ) -> None:
        import torch

        self.tables = tables
        self.max_tokens = max_tokens
        self.pad_to = pad_to
        self.device = torch.device(device)
        self.offsets = _offsets(tables)
        self.left = getattr(tokenizer, "padding_side", "right") == "left"
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        apply = prompt if callable(prompt) else (lambda text: str(prompt) + text)
        texts = [apply(t) for table in tables.values() for t in table.texts]
        encoded = (
            tokenizer(texts, truncation=True, max_length=max_tokens)["input_ids"] if texts else []
        )
        lengths = np.array([len(e) for e in encoded], dtype=np.int64)
        width = round_up(int(lengths.max()) if lengths.size else 1, pad_to)
        ids = np.full((len(encoded), width), pad_id, dtype=np.int64)
        for i, e in enumerate(encoded):
            if self.left:
                ids[i, width - len(e) :] = e
            else:
                ids[i, : len(e)] = e
        self.stacked = torch.from_numpy(ids).to(self.device)  # (n_texts, W)
        self.all_lengths = lengths  # (n_texts,) host: widths are decided without the device
        self._lengths_dev = torch.from_numpy(lengths).to(self.device)
        spans = {lang: slice(self.offsets[lang], self.offsets[lang] + len(table.texts))
                 for lang, table in tables.items()}  # fmt: skip
        self.ids = {lang: self.stacked[span] for lang, span in spans.items()}
        self.lengths = {lang: lengths[span] for lang, span in spans.items()}

    def width(self, stacked_rows: np.ndarray) -> int:
        longest = int(self.all_lengths[stacked_rows].max()) if stacked_rows.size else 1
        return min(round_up(longest, self.pad_to), self.stacked.shape[1])

    def gather(self, stacked_rows: torch.Tensor, width: int) -> dict[str, torch.Tensor]:
        """``input_ids`` and ``attention_mask`` (n, width) of stacked rows on the device."""
        import torch

        full = self.stacked.shape[1]
        ids = self.stacked[stacked_rows]
        lengths = self._lengths_dev[stacked_rows].unsqueeze(1)
        positions = torch.arange(width, device=self.device).unsqueeze(0)
        if self.left:
            ids = ids[:, full - width :]
            mask = positions >= width - lengths
        else:
            ids = ids[:, :width]
            mask = positions < lengths
        return {"input_ids": ids, "attention_mask": mask.long()}

    def inputs(self, lang: str, rows: np.ndarray) -> dict[str, torch.Tensor]:
        """``input_ids`` and ``attention_mask`` (B, W) for captions ``rows`` of ``lang``, W = their
        longest (rounded up to ``pad_to``)."""
        stacked = np.asarray(rows, dtype=np.int64) + self.offsets[lang]
        return self.gather(device_index(stacked, self.device), self.width(stacked))


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
