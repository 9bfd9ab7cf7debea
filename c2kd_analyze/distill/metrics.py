"""Retrieval metrics: recall at k, median and mean rank, from a similarity matrix.

What the numbers mean here (as the C2KD code, reference section 4.4): row ``i`` of ``sims`` is a
query (a caption for text-to-video), the columns are the items it searches (the videos), and the
one correct item of query ``i`` is column ``i``. The rank of a query is the 1-based position of
its correct item when the items are sorted by decreasing score. With ``ties="optimistic"`` (the
paper's policy) the rank is ``1 +`` the number of items scoring strictly higher, so a tie never
hurts; with ``ties="average"`` it is the mean position over all orders of the tied items,
``1 + higher + (equal - 1) / 2``, with ``equal`` counting the correct item itself. Recall at k is
the number of queries whose rank is at most k divided by ``n_queries``, the benchmark's query
count: a query missing from the data (MSR-VTT test has 968 of its 1000 videos) counts as a miss.
Median and mean rank are over the queries present. Computed block-wise over queries with
vectorised comparisons, never a full argsort: O(n_rows x n_items) time, O(block x n_items) memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Ties = Literal["optimistic", "average"]
TIES: tuple[str, ...] = ("optimistic", "average")


@dataclass(frozen=True)
class RetrievalMetrics:
    """Metrics of one (queries x items) similarity matrix.

    ``recall[k]`` is a fraction in [0, 1]; ``ranks`` has one 1-based rank per row of ``sims``
    (float: average ties may give halves).
    """

    recall: dict[int, float]
    median_rank: float
    mean_rank: float
    n_queries: int
    ranks: np.ndarray  # (n_rows,) float64


def _check_counts(n_queries: int, n_items: int) -> None:
    """The true item of query i is item i: there must be queries, and at least as many items."""
    if n_queries == 0:
        raise ValueError("no queries")
    if n_items < n_queries:
        raise ValueError(
            f"fewer items ({n_items}) than queries ({n_queries}); "
            "the correct item of query i must be item i"
        )


def _as_numpy(sims: Any) -> np.ndarray:
    if hasattr(sims, "detach"):  # a torch tensor; float() also covers bf16/fp16
        sims = sims.detach().float().cpu().numpy()
    arr = np.asarray(sims)
    if arr.ndim != 2:
        raise ValueError(f"sims must be a 2-D (queries x items) array, got shape {arr.shape}")
    _check_counts(arr.shape[0], arr.shape[1])
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def query_ranks(sims: Any, ties: Ties = "optimistic", block_size: int = 1024) -> np.ndarray:
    """1-based rank of the correct item (column i) for each query row i: (n_rows,) float64.

    ``sims``: (n_rows, n_items) numpy array or torch tensor, n_items >= n_rows.
    """
    if ties not in TIES:
        raise ValueError(f"unknown ties policy {ties!r}; choose one of {TIES}")
    arr = _as_numpy(sims)
    if np.isnan(arr).any():
        raise ValueError("sims contains NaN")
    n_rows = arr.shape[0]
    ranks = np.empty(n_rows, dtype=np.float64)
    for start in range(0, n_rows, block_size):
        block = arr[start : start + block_size]
        ranks[start : start + block.shape[0]] = _block_ranks(block, start, ties)
    return ranks


def _block_ranks(block: np.ndarray, start: int, ties: Ties) -> np.ndarray:
    """Ranks of rows ``start ..`` of a score matrix, given as a (rows, n_items) block."""
    rows = np.arange(block.shape[0])
    true = block[rows, start + rows][:, None]
    higher = (block > true).sum(axis=1)
    if ties == "optimistic":
        return 1.0 + higher
    others_equal = (block == true).sum(axis=1) - 1
    return 1.0 + higher + others_equal / 2


def streamed_ranks(
    queries: Any, items: Any, ties: Ties = "optimistic", block_size: int = 1024
) -> np.ndarray:
    """Ranks of ``queries @ items.T`` without ever holding that matrix: (n_queries,) float64.

    ``queries``: (n_q, P), ``items``: (n_items, P), n_items >= n_q, torch tensors or arrays (use
    L2-normalised rows for cosine scores); the correct item of query i is item i. Scores are made
    one (block_size, n_items) block at a time, so peak memory is one block of scores, not
    n_q x n_items: a 20,000 x 20,000 float32 retrieval needs 82 MB per block instead of 1.6 GB.
    Same ranks as ``query_ranks(queries @ items.T)`` (up to matmul rounding).
    """
    import torch

    if ties not in TIES:
        raise ValueError(f"unknown ties policy {ties!r}; choose one of {TIES}")
    q, it = torch.as_tensor(queries).detach(), torch.as_tensor(items).detach()
    dtype = torch.float64 if torch.float64 in (q.dtype, it.dtype) else torch.float32
    q, it = q.to(dtype), it.to(dtype)
    if q.ndim != 2 or it.ndim != 2 or q.shape[1] != it.shape[1]:
        raise ValueError(f"queries {tuple(q.shape)} and items {tuple(it.shape)} must be (n, P)")
    _check_counts(q.shape[0], it.shape[0])
    ranks = np.empty(q.shape[0], dtype=np.float64)
    items_t = it.T.contiguous()
    for start in range(0, q.shape[0], block_size):
        block = (q[start : start + block_size] @ items_t).numpy()  # (block, n_items)
        if np.isnan(block).any():
            raise ValueError("scores contain NaN")
        ranks[start : start + block.shape[0]] = _block_ranks(block, start, ties)
    return ranks


def retrieval_metrics(
    sims: Any,
    ks: tuple[int, ...] = (1, 5, 10),
    ties: Ties = "optimistic",
    n_queries: int | None = None,
) -> RetrievalMetrics:
    """Recall@k (fractions), median rank and mean rank of a (queries x items) similarity matrix.

    ``sims``: (n_rows, n_items) numpy array or torch tensor; the correct item of row i is column i.
    ``n_queries``: the recall denominator (default n_rows); larger when the benchmark counts
    queries that are missing from the data, which then count as misses.

    >>> m = retrieval_metrics(np.array([[0.9, 0.1], [0.8, 0.2]]), ks=(1,))
    >>> m.recall, m.median_rank, m.mean_rank
    ({1: 0.5}, 1.5, 1.5)
    """
    return metrics_from_ranks(query_ranks(sims, ties=ties), ks, n_queries)


def streamed_retrieval_metrics(
    queries: Any,
    items: Any,
    ks: tuple[int, ...] = (1, 5, 10),
    ties: Ties = "optimistic",
    n_queries: int | None = None,
    block_size: int = 1024,
) -> RetrievalMetrics:
    """:func:`retrieval_metrics` of ``queries @ items.T``, streamed (see :func:`streamed_ranks`).

    ``queries``: (n_q, P), ``items``: (n_items, P); the correct item of query i is item i.
    """
    ranks = streamed_ranks(queries, items, ties=ties, block_size=block_size)
    return metrics_from_ranks(ranks, ks, n_queries)


def metrics_from_ranks(
    ranks: np.ndarray, ks: tuple[int, ...] = (1, 5, 10), n_queries: int | None = None
) -> RetrievalMetrics:
    """Recall@k, median and mean rank from 1-based ranks (n_rows,) (see the module docstring)."""
    n_rows = ranks.shape[0]
    n_queries = n_rows if n_queries is None else int(n_queries)
    if n_queries < n_rows:
        raise ValueError(f"n_queries ({n_queries}) is smaller than the number of rows ({n_rows})")
    recall = {int(k): float((ranks <= k).sum() / n_queries) for k in ks}
    return RetrievalMetrics(
        recall=recall,
        median_rank=float(np.median(ranks)),
        mean_rank=float(ranks.mean()),
        n_queries=n_queries,
        ranks=ranks,
    )
