"""Retrieval metrics: recall at k, median and mean rank, from a similarity matrix.

What the numbers mean here (as the C2KD code, docs/method.md §4): row ``i`` of ``sims`` is a
query (a caption for text-to-video), the columns are the items it searches (the videos), and the
one correct item of query ``i`` is column ``i``. For each query we count ``higher``, the items
scoring strictly above its correct item, and ``tied``, the *other* items scoring exactly the same.
The rank is the 1-based position of the correct item in the sorted items; ties decide it:

- ``optimistic`` (the original code's policy): rank ``1 + higher``; a tie never hurts;
- ``pessimistic``: rank ``1 + higher + tied``; every tie is lost;
- ``mean``: the expectation over a random order of the tied items: rank
  ``1 + higher + tied / 2``, and a query is a hit at k with probability
  ``clip((k - higher) / (tied + 1), 0, 1)``, the share of the tied block's positions within k.

With continuous scores nothing ties and the three agree. Degenerate scores (constant features, a
collapsed model) tie everything: optimistic recall is then 1 and pessimistic 0, so a run counts
its tied queries and says so. Recall at k is the number of hits divided by ``n_queries``, the
benchmark's query count: a query missing from the data (MSR-VTT test has 968 of its 1000 videos)
counts as a miss. Median and mean rank are over the queries present. Computed block-wise over
queries with vectorised comparisons, never a full argsort: O(n_rows x n_items) time,
O(block x n_items) memory, on whatever device the inputs live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..choices import Ties, values

TIES: tuple[str, ...] = values(Ties)


@dataclass(frozen=True)
class RetrievalMetrics:
    """Metrics of one (queries x items) similarity matrix under the tie policy ``ties``.

    ``recall[k]`` is a fraction in [0, 1]. Per row of ``sims``: ``higher`` (n_rows,) int64 items
    strictly above the correct one and ``tied`` (n_rows,) int64 other items equal to it;
    ``ranks`` (n_rows,) float64 are the policy's 1-based ranks (``mean`` may give halves).
    """

    recall: dict[int, float]
    median_rank: float
    mean_rank: float
    n_queries: int
    ranks: np.ndarray
    higher: np.ndarray
    tied: np.ndarray
    ties: Ties = "optimistic"

    @property
    def n_tied_queries(self) -> int:
        """Queries whose correct item ties with at least one other item."""
        return int((self.tied > 0).sum())


def check_ties(ties: str) -> Ties:
    """``ties`` as a tie policy; ValueError when it is not one of :data:`TIES`."""
    if ties not in TIES:
        raise ValueError(f"unknown ties policy {ties!r}; choose one of {TIES}")
    return ties  # type: ignore[return-value]


def _check_counts(n_queries: int, n_items: int) -> None:
    """The true item of query i is item i: there must be queries, and at least as many items."""
    if n_queries == 0:
        raise ValueError("no queries")
    if n_items < n_queries:
        raise ValueError(
            f"fewer items ({n_items}) than queries ({n_queries}); "
            "the correct item of query i must be item i"
        )


def _as_tensor(x: Any):
    """A detached torch tensor, float32 (float64 stays float64); numpy becomes a CPU tensor."""
    import torch

    t = torch.as_tensor(x).detach()
    return t if t.dtype == torch.float64 else t.float()


#: columns compared at once within a block of scores on an accelerator: the comparison masks
#: and their sums stay a few MB whatever the number of items
_COLUMNS = 4096
#: bytes of scores counted at once on a CPU: a chunk of rows this size stays in the L2 cache
#: between its two comparisons, so only the first reads main memory
_CPU_CHUNK_BYTES = 1 << 20


def _block_counts(block, start: int) -> tuple[Any, Any]:
    """(higher, tied) of rows ``start ..`` of a score matrix given as a (rows, n_items) tensor
    on an accelerator (torch ops on its device)."""
    import torch

    rows = torch.arange(block.shape[0], device=block.device)
    true = block[rows, start + rows].unsqueeze(1)
    higher = torch.zeros(block.shape[0], dtype=torch.int32, device=block.device)
    tied = torch.full_like(higher, -1)  # the true item equals itself
    for col in range(0, block.shape[1], _COLUMNS):
        part = block[:, col : col + _COLUMNS]
        higher += (part > true).sum(dim=1, dtype=torch.int32)
        tied += (part == true).sum(dim=1, dtype=torch.int32)
    return higher, tied


def _row_counts(hits: np.ndarray) -> np.ndarray:
    """True cells per row of a (rows, width) bool array, width a multiple of 8: (rows,) int64.

    numpy's ``count_nonzero(axis=1)`` widens every cell to an integer first; this reads the
    bytes eight at a time as uint64 words and adds words (each byte lane counts its column's
    hits; 255 words at most, so no lane overflows), then adds each sum's eight lanes.
    """
    rows, words = hits.shape[0], hits.shape[1] // 8
    packed = hits.view(np.uint64)
    total = np.zeros(rows, dtype=np.int64)
    for start in range(0, words, 255):
        lanes = packed[:, start : start + 255].sum(axis=1, dtype=np.uint64)
        total += lanes.view(np.uint8).reshape(rows, 8).sum(axis=1, dtype=np.int64)
    return total


def _host_counts(scores: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(higher, tied, has NaN) of the rows of ``scores`` (rows, n_items), numpy on the host, the
    true item of row r being column ``start + r``.

    Per cache-sized chunk of rows, two comparisons against each row's true score: ``higher``
    (``>``) and ``lower`` (``<``). Every other item ties with the true one or is NaN, so a row
    with ``higher + lower == n_items - 1`` has neither; the others are looked at again only for
    a NaN (refused), so the rest of each count is its ties. A large matrix is split into
    contiguous shares of rows counted at once by torch's number of threads (numpy's comparisons
    and sums release the GIL); each row's counts are the same however it is split.
    """
    rows, n_items = scores.shape
    higher = np.empty(rows, dtype=np.int64)
    lower = np.empty(rows, dtype=np.int64)
    workers = _count_workers(scores.size)
    share = -(-rows // workers)
    if workers == 1:
        _count_rows(scores, start, 0, rows, higher, lower)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            jobs = [
                pool.submit(_count_rows, scores, start, a, min(a + share, rows), higher, lower)
                for a in range(0, rows, share)
            ]
            for job in jobs:
                job.result()
    tied = n_items - 1 - higher - lower  # ties, plus NaN where there is any
    maybe = np.flatnonzero(tied)
    # a NaN is neither above nor below, so it can only be in these rows; without one, every
    # item neither above nor below equals the true score: ``tied`` is exact (max propagates NaN)
    if maybe.size * 8 > rows:
        nan = bool(np.isnan(np.max(scores)))  # one pass, no copy
    else:
        nan = bool(maybe.size) and bool(np.isnan(np.max(scores[maybe])))
    return higher, tied, nan


#: scores below which one thread counts (a thread pool costs more than it saves)
_THREADED_FROM = 1 << 22


def _count_workers(size: int) -> int:
    """Threads for counting ``size`` scores: torch's thread count (``OMP_NUM_THREADS``, torch's
    setting) for a large matrix, one for a small one."""
    import torch

    return max(1, torch.get_num_threads()) if size >= _THREADED_FROM else 1


def _count_rows(
    scores: np.ndarray, start: int, first: int, last: int, higher: np.ndarray, lower: np.ndarray
) -> None:
    """Fill ``higher`` and ``lower`` for rows ``first:last``, a cache-sized chunk at a time."""
    n_items = scores.shape[1]
    step = int(np.clip(_CPU_CHUNK_BYTES // (n_items * scores.itemsize), 8, 1024))
    # padded to whole uint64 words for _row_counts; the padding stays False
    buffer = np.zeros((min(step, last - first), -(-n_items // 8) * 8), dtype=bool)
    for a in range(first, last, step):
        chunk = scores[a : min(a + step, last)]
        k = chunk.shape[0]
        true = np.diagonal(chunk, offset=start + a)[:, None]  # chunk[i, start + a + i]
        hits = buffer[:k, :n_items]
        np.greater(chunk, true, out=hits)
        higher[a : a + k] = _row_counts(buffer[:k])
        np.less(chunk, true, out=hits)
        lower[a : a + k] = _row_counts(buffer[:k])


def _on_host(t) -> bool:
    return t.device.type == "cpu"


def streamed_counts(
    queries: Any, items: Any, block_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """(higher, tied) per query of ``queries @ items.T`` without ever holding that matrix.

    ``queries``: (n_q, P), ``items``: (n_items, P), n_items >= n_q, torch tensors (on any device)
    or arrays; the correct item of query i is item i. Scores are made one (block_size, n_items)
    block at a time on the inputs' device, so peak memory is one block of scores: a 20,000 x
    20,000 float32 retrieval needs 82 MB per block instead of 1.6 GB. Returns two (n_q,) int64
    numpy arrays (one copy to the host per call).
    """
    import torch

    q, it = _as_tensor(queries), _as_tensor(items)
    dtype = torch.float64 if torch.float64 in (q.dtype, it.dtype) else torch.float32
    q, it = q.to(dtype), it.to(dtype=dtype, device=q.device)
    if q.ndim != 2 or it.ndim != 2 or q.shape[1] != it.shape[1]:
        raise ValueError(f"queries {tuple(q.shape)} and items {tuple(it.shape)} must be (n, P)")
    _check_counts(q.shape[0], it.shape[0])
    items_t = it.T.contiguous()
    highers, tieds, nan = [], [], torch.zeros((), dtype=torch.bool, device=q.device)
    host_nan = False
    # one buffer of scores for every block: no large allocation per block, so the peak is one
    # block whatever the allocator does with freed memory
    buffer = q.new_empty((min(block_size, q.shape[0]), it.shape[0]))
    for start in range(0, q.shape[0], block_size):
        rows = q[start : start + block_size]
        block = torch.matmul(rows, items_t, out=buffer[: rows.shape[0]])  # (block, n_items)
        if _on_host(block):
            higher, tied, block_nan = _host_counts(block.numpy(), start)
            host_nan = host_nan or block_nan
        else:
            nan = nan | torch.isnan(block).any()
            higher, tied = _block_counts(block, start)
        highers.append(higher)
        tieds.append(tied)
    if host_nan or bool(nan):  # one host sync for the whole matrix
        raise ValueError("scores contain NaN")
    return _joined(highers), _joined(tieds)


def _joined(parts: list) -> np.ndarray:
    """Per-block counts (numpy arrays or device tensors) as one (n,) int64 numpy array."""
    import torch

    if parts and isinstance(parts[0], torch.Tensor):
        return torch.cat(parts).cpu().numpy().astype(np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def matrix_counts(sims: Any, block_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(higher, tied) per row of a (n_rows, n_items) similarity matrix, n_items >= n_rows."""
    import torch

    s = _as_tensor(sims)
    if s.ndim != 2:
        raise ValueError(f"sims must be a 2-D (queries x items) array, got shape {tuple(s.shape)}")
    _check_counts(s.shape[0], s.shape[1])
    if _on_host(s):
        higher, tied, nan = _host_counts(s.numpy(), 0)
        if nan:
            raise ValueError("sims contains NaN")
        return higher, tied
    if bool(torch.isnan(s).any()):
        raise ValueError("sims contains NaN")
    parts = [
        _block_counts(s[start : start + block_size], start)
        for start in range(0, s.shape[0], block_size)
    ]
    return _joined([h for h, _ in parts]), _joined([t for _, t in parts])


def policy_ranks(higher: np.ndarray, tied: np.ndarray, ties: Ties = "optimistic") -> np.ndarray:
    """1-based ranks (float64) under a tie policy, from the counts (see the module docstring)."""
    check_ties(ties)
    spread = {"optimistic": 0.0, "mean": 0.5, "pessimistic": 1.0}[ties]
    return 1.0 + np.asarray(higher, np.float64) + spread * np.asarray(tied, np.float64)


def hit_fraction(higher: Any, tied: Any, k: int, ties: Ties = "optimistic") -> np.ndarray:
    """Per query, the probability that its correct item is within the top ``k``: 0 or 1, or
    between for ``mean`` (a random order of the tied block). Null-free float64 arrays in; the
    report computes its per-query hits with this same function.

    >>> hit_fraction(np.array([0, 0, 3]), np.array([0, 3, 0]), k=2, ties="mean").tolist()
    [1.0, 0.5, 0.0]
    """
    check_ties(ties)
    higher = np.asarray(higher, np.float64)
    tied = np.asarray(tied, np.float64)
    if ties == "optimistic":
        return (higher < k).astype(np.float64)
    if ties == "pessimistic":
        return (higher + tied < k).astype(np.float64)
    return np.clip((k - higher) / (tied + 1.0), 0.0, 1.0)


def query_ranks(sims: Any, ties: Ties = "optimistic", block_size: int = 1024) -> np.ndarray:
    """1-based rank of the correct item (column i) for each query row i: (n_rows,) float64.

    ``sims``: (n_rows, n_items) numpy array or torch tensor, n_items >= n_rows.
    """
    check_ties(ties)
    return policy_ranks(*matrix_counts(sims, block_size), ties)


def streamed_ranks(
    queries: Any, items: Any, ties: Ties = "optimistic", block_size: int = 1024
) -> np.ndarray:
    """Ranks of ``queries @ items.T`` streamed (see :func:`streamed_counts`): (n_q,) float64.

    Same ranks as ``query_ranks(queries @ items.T)`` (up to matmul rounding).
    """
    check_ties(ties)
    return policy_ranks(*streamed_counts(queries, items, block_size), ties)


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
    check_ties(ties)
    return metrics_from_counts(*matrix_counts(sims), ks=ks, ties=ties, n_queries=n_queries)


def streamed_retrieval_metrics(
    queries: Any,
    items: Any,
    ks: tuple[int, ...] = (1, 5, 10),
    ties: Ties = "optimistic",
    n_queries: int | None = None,
    block_size: int = 1024,
) -> RetrievalMetrics:
    """:func:`retrieval_metrics` of ``queries @ items.T``, streamed (see :func:`streamed_counts`).

    ``queries``: (n_q, P), ``items``: (n_items, P); the correct item of query i is item i.
    """
    check_ties(ties)
    higher, tied = streamed_counts(queries, items, block_size)
    return metrics_from_counts(higher, tied, ks=ks, ties=ties, n_queries=n_queries)


def metrics_from_counts(
    higher: np.ndarray,
    tied: np.ndarray,
    ks: tuple[int, ...] = (1, 5, 10),
    ties: Ties = "optimistic",
    n_queries: int | None = None,
) -> RetrievalMetrics:
    """Recall@k, median and mean rank from per-query counts (see the module docstring)."""
    n_rows = higher.shape[0]
    n_queries = n_rows if n_queries is None else int(n_queries)
    if n_queries < n_rows:
        raise ValueError(f"n_queries ({n_queries}) is smaller than the number of rows ({n_rows})")
    ranks = policy_ranks(higher, tied, ties)
    # fsum: exactly rounded, so the result does not depend on the order of the queries
    recall = {int(k): math.fsum(hit_fraction(higher, tied, k, ties)) / n_queries for k in ks}
    return RetrievalMetrics(
        recall=recall,
        median_rank=float(np.median(ranks)),
        mean_rank=float(ranks.mean()),
        n_queries=n_queries,
        ranks=ranks,
        higher=np.asarray(higher, np.int64),
        tied=np.asarray(tied, np.int64),
        ties=ties,
    )
