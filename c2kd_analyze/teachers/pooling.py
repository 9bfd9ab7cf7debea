"""Pooling: token states (B, L, H) and their attention mask (B, L) -> one vector per text (B, H).

Used by every torch backend and by the full-mode trainer, so a teacher is pooled the same way
whether it is frozen or fine-tuned. Correct for right padding (BERT-style tokenizers) and left
padding (decoder embedders such as Qwen3-Embedding): positions come from the mask, never from
``L - 1`` or ``0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .spec import Pooling

#: Poolings computed from the token states alone (``pooler`` needs the model's pooler output).
TOKEN_POOLINGS = ("mean", "cls", "last-token")


def _first_and_last(attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of each row's first and last real token: (B,), (B,). All-padding rows give 0."""
    import torch

    mask = attention_mask.bool()
    length = mask.shape[1]
    positions = torch.arange(length, device=mask.device).expand_as(mask)
    first = torch.where(mask, positions, length).amin(dim=1).clamp(max=length - 1)
    last = torch.where(mask, positions, -1).amax(dim=1).clamp(min=0)
    return first, last


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: Pooling) -> torch.Tensor:
    """Pool ``hidden`` (B, L, H) over the real tokens of ``attention_mask`` (B, L): (B, H).

    ``mean``: masked mean; ``cls``: the first real token (the [CLS]/<s> a BERT-style tokenizer
    puts first); ``last-token``: the last real token (the EOS a decoder embedder appends). A row
    with no real token gives zeros, never NaN.

    >>> import torch
    >>> h = torch.arange(6.0).reshape(1, 3, 2)            # tokens [0, 1], [2, 3], [4, 5]
    >>> m = torch.tensor([[0, 1, 1]])                      # left padding: one pad first
    >>> pool(h, m, "mean"), pool(h, m, "cls"), pool(h, m, "last-token")
    (tensor([[3., 4.]]), tensor([[2., 3.]]), tensor([[4., 5.]]))
    """
    import torch

    mask = attention_mask.to(hidden.device).bool()
    # torch.where, not a product: states at padding may be NaN (a fully masked attention row of a
    # left-padded decoder), and NaN * 0 is NaN.
    if how == "mean":
        summed = torch.where(mask.unsqueeze(-1), hidden, 0.0).sum(dim=1)
        return summed / mask.sum(dim=1, keepdim=True).clamp(min=1).to(hidden.dtype)
    if how in ("cls", "last-token"):
        first, last = _first_and_last(mask)
        index = first if how == "cls" else last
        rows = hidden[torch.arange(hidden.shape[0], device=hidden.device), index]
        return torch.where(mask.any(dim=1, keepdim=True), rows, 0.0)
    raise ValueError(
        f"pooling {how!r} is not computed from token states; use one of {TOKEN_POOLINGS} "
        f"(or pool_output for 'pooler')"
    )


def pool_output(output: Any, attention_mask: torch.Tensor, how: Pooling) -> torch.Tensor:
    """Pool a Hugging Face model's forward output: (B, H).

    ``pooler`` reads ``output.pooler_output`` (the CLS state through the model's trained dense +
    tanh layer, how supervised SimCSE embeds); every other pooling pools
    ``output.last_hidden_state`` with :func:`pool`.
    """
    if how == "pooler":
        pooled = getattr(output, "pooler_output", None)
        if pooled is None:
            raise ValueError("pooling 'pooler' needs a model with a pooler layer (pooler_output)")
        return pooled
    return pool(output.last_hidden_state, attention_mask, how)
