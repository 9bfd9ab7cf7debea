"""Batches by tokens in length order: the longest texts first, each batch as many texts as fit
a token budget once padded, so little of a batch is padding and memory stays bounded."""

from __future__ import annotations

from collections.abc import Sequence


def token_batches(lengths: Sequence[int], max_tokens: int, max_batch: int = 256) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches, longest first (ties in input order).

    A batch's padded size, ``len(batch) * max(its lengths)``, is at most ``max_tokens``, and it
    holds at most ``max_batch`` texts; a single text longer than the budget goes alone.

    >>> token_batches([3, 9, 4, 9, 1], max_tokens=18)
    [[1, 3], [2, 0, 4]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # descending order: the batch's longest text is its first
        longest = lengths[current[0]] if current else lengths[i]
        if current and ((len(current) + 1) * longest > max_tokens or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
