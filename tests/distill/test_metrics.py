"""Retrieval metrics against a naive sort-based oracle, plus their defining properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from c2kd_analyze.distill.metrics import TIES, query_ranks, retrieval_metrics


def _tied_positions(row: np.ndarray, i: int) -> list[int]:
    """1-based positions the true item i can take in a descending sort of ``row``."""
    order = sorted(range(len(row)), key=lambda j: -row[j])
    return [pos + 1 for pos, j in enumerate(order) if row[j] == row[i]]


def _naive_ranks(sims: np.ndarray, ties: str) -> np.ndarray:
    """One Python loop per query: sort the row, read positions of the true item and its ties."""
    pick = {"optimistic": min, "pessimistic": max, "mean": lambda p: sum(p) / len(p)}[ties]
    return np.array([pick(_tied_positions(row, i)) for i, row in enumerate(sims)], dtype=float)


def _naive_recall(sims: np.ndarray, ties: str, k: int) -> float:
    """Share of queries found in the top k; under ``mean`` every order of a tied block is
    equally likely, so a query counts for the share of its tied positions that are <= k."""
    hits = []
    for i, row in enumerate(sims):
        positions = _tied_positions(row, i)
        within = [p <= k for p in positions]
        by_policy = {"optimistic": within[0], "pessimistic": within[-1]}
        hits.append(by_policy[ties] if ties in by_policy else sum(within) / len(within))
    return float(np.mean(hits))


def _naive_sort_rank_tie_free(sims: np.ndarray) -> np.ndarray:
    """The original's way on tie-free input: position of i in the descending argsort, + 1."""
    order = np.argsort(-sims, axis=1)
    return np.array([int(np.where(order[i] == i)[0][0]) + 1 for i in range(sims.shape[0])])


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (50, 50), (40, 65), (2500, 2500)])
def test_matches_argsort_on_tie_free_input(shape):
    rng = np.random.default_rng(shape[0])
    sims = rng.normal(size=shape)
    ranks = query_ranks(sims, block_size=64)
    np.testing.assert_array_equal(ranks, _naive_sort_rank_tie_free(sims))
    m = retrieval_metrics(sims, ks=(1, 5, 10))
    ref = _naive_sort_rank_tie_free(sims)
    for k in (1, 5, 10):
        assert m.recall[k] == (ref <= k).mean()
    assert m.median_rank == np.median(ref)
    assert m.mean_rank == pytest.approx(ref.mean())
    # every tie policy agrees when nothing ties
    for ties in ("mean", "pessimistic"):
        np.testing.assert_array_equal(query_ranks(sims, ties=ties), ranks)
    assert m.n_tied_queries == 0


def test_torch_input_and_denominator():
    sims = torch.eye(4) + 0.01 * torch.arange(16.0).reshape(4, 4)
    m = retrieval_metrics(sims, ks=(1,), n_queries=10)
    # rows 0..2: diagonal 1 + small beats the row's other entries; row 3 as well
    assert m.recall[1] == pytest.approx(4 / 10)
    assert m.n_queries == 10
    with pytest.raises(ValueError):
        retrieval_metrics(sims, n_queries=3)


def test_tie_policies_on_constant_matrix():
    sims = np.zeros((5, 5))
    np.testing.assert_array_equal(query_ranks(sims, "optimistic"), np.ones(5))
    np.testing.assert_array_equal(query_ranks(sims, "mean"), np.full(5, 3.0))
    np.testing.assert_array_equal(query_ranks(sims, "pessimistic"), np.full(5, 5.0))
    # a constant matrix: optimistic recall is perfect, pessimistic zero, mean the chance level
    assert retrieval_metrics(sims, ks=(1, 5), ties="optimistic").recall == {1: 1.0, 5: 1.0}
    assert retrieval_metrics(sims, ks=(1, 5), ties="pessimistic").recall == {1: 0.0, 5: 1.0}
    assert retrieval_metrics(sims, ks=(1, 2, 5), ties="mean").recall == {1: 0.2, 2: 0.4, 5: 1.0}
    assert retrieval_metrics(sims, ks=(1,)).n_tied_queries == 5


def test_bad_inputs():
    with pytest.raises(ValueError):
        query_ranks(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        query_ranks(np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError):
        query_ranks(np.zeros((2, 2)), ties="worst")


# small integer-valued matrices produce many ties
tie_heavy = st.integers(1, 12).flatmap(
    lambda n: arrays(np.float64, (n, n), elements=st.integers(-3, 3).map(float))
)


POLICIES = st.sampled_from(["optimistic", "mean", "pessimistic"])


@settings(max_examples=150, deadline=None)
@given(tie_heavy, POLICIES)
def test_matches_naive_oracle_with_ties(sims, ties):
    np.testing.assert_array_equal(query_ranks(sims, ties, block_size=3), _naive_ranks(sims, ties))
    ks = (1, 2, 3)
    recall = retrieval_metrics(sims, ks=ks, ties=ties).recall
    for k in ks:
        assert recall[k] == pytest.approx(_naive_recall(sims, ties, k), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(tie_heavy, st.integers(1, 6))
def test_mean_recall_lies_between_pessimistic_and_optimistic(sims, k):
    r = {t: retrieval_metrics(sims, ks=(k,), ties=t).recall[k] for t in TIES}
    assert r["pessimistic"] <= r["mean"] <= r["optimistic"]


@settings(max_examples=100, deadline=None)
@given(tie_heavy, POLICIES)
def test_recall_monotone_in_k(sims, ties):
    ks = tuple(range(1, sims.shape[0] + 2))
    recall = retrieval_metrics(sims, ks=ks, ties=ties).recall
    values = [recall[k] for k in ks]
    assert all(a <= b for a, b in itertools.pairwise(values))
    assert values[-1] == 1.0  # k >= n_items: every query is found


@settings(max_examples=100, deadline=None)
@given(tie_heavy, st.randoms(use_true_random=False), POLICIES)
def test_permutation_invariance(sims, rnd, ties):
    n = sims.shape[0]
    perm = list(range(n))
    rnd.shuffle(perm)
    p = np.array(perm)
    # reorder queries and items together: the same retrieval problem, queries listed differently
    permuted = sims[p][:, p]
    a = retrieval_metrics(permuted, ks=(1, 3), ties=ties)
    b = retrieval_metrics(sims, ks=(1, 3), ties=ties)
    assert a.recall == b.recall and a.median_rank == b.median_rank
    assert a.mean_rank == pytest.approx(b.mean_rank)
    np.testing.assert_array_equal(a.ranks, b.ranks[p])


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40))
def test_identity_gives_perfect_scores(n):
    m = retrieval_metrics(np.eye(n), ks=(1, 5, 10))
    assert m.recall == {1: 1.0, 5: 1.0, 10: 1.0}
    assert m.median_rank == 1.0 and m.mean_rank == 1.0


@pytest.mark.parametrize("where", [(0, 0), (0, 2), (3, 1), (4, 4)])
def test_a_nan_anywhere_is_refused(where):
    """On and off the diagonal, in the in-memory and the streamed counts (NaN compares neither
    above, below nor equal, so it must not pass for a lower score)."""
    from c2kd_analyze.distill.metrics import streamed_counts

    rng = np.random.default_rng(0)
    sims = rng.normal(size=(5, 6)).astype(np.float32)
    sims[where] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        query_ranks(sims)
    with pytest.raises(ValueError, match="NaN"):
        query_ranks(torch.from_numpy(sims))
    queries, items = np.eye(5, dtype=np.float32), sims.T.copy()  # queries @ items.T == sims
    with pytest.raises(ValueError, match="NaN"):
        streamed_counts(queries, items, block_size=2)


def test_signed_zeros_and_infinities_tie_as_equal_scores():
    sims = np.array([[0.0, -0.0, 1.0], [np.inf, np.inf, 0.0], [-np.inf, 2.0, -np.inf]])
    np.testing.assert_array_equal(query_ranks(sims, "optimistic"), [2.0, 1.0, 2.0])
    np.testing.assert_array_equal(query_ranks(sims, "pessimistic"), [3.0, 2.0, 3.0])
    for ties in TIES:
        np.testing.assert_array_equal(query_ranks(sims, ties), _naive_ranks(sims, ties))


@settings(max_examples=40, deadline=None)
@given(tie_heavy, POLICIES, st.sampled_from(["float32", "float64", "transposed", "tensor"]))
def test_layouts_and_dtypes_give_the_same_ranks(sims, ties, layout):
    """The host path reads any layout: float32 or float64, a transposed view, a CPU tensor."""
    if layout == "transposed":
        given_sims = np.ascontiguousarray(sims.T).T  # same values, column-major
    elif layout == "tensor":
        given_sims = torch.from_numpy(sims)
    else:
        given_sims = sims.astype(layout)
    np.testing.assert_array_equal(query_ranks(given_sims, ties), _naive_ranks(sims, ties))


def test_wide_matrices_cross_the_count_lanes():
    """More than 8 x 255 items: the per-row counts add several groups of uint64 lanes."""
    rng = np.random.default_rng(1)
    sims = rng.integers(-2, 3, size=(20, 4500)).astype(np.float32)  # many ties
    for ties in TIES:
        np.testing.assert_array_equal(query_ranks(sims, ties), _naive_ranks(sims, ties))


@settings(max_examples=40, deadline=None)
@given(tie_heavy, POLICIES, st.integers(2, 5))
def test_counting_in_threads_splits_rows_without_changing_a_rank(sims, ties, workers):
    """A large matrix is counted by several threads, each a contiguous share of the rows (forced
    here on small ones, more threads than rows included): every rank as the naive oracle's."""
    from unittest import mock

    from c2kd_analyze.distill import metrics

    with mock.patch.object(metrics, "_count_workers", return_value=workers):
        np.testing.assert_array_equal(query_ranks(sims, ties), _naive_ranks(sims, ties))
        got = query_ranks(sims, ties, block_size=2)  # the streamed path's blocks too
    np.testing.assert_array_equal(got, _naive_ranks(sims, ties))


def test_a_large_matrix_is_counted_in_threads_as_in_one():
    """Above the threshold the real thread pool runs: the same counts as one thread."""
    from unittest import mock

    from c2kd_analyze.distill import metrics

    rng = np.random.default_rng(2)
    sims = rng.integers(-40, 40, size=(2100, 2100)).astype(np.float32)  # 4.4M scores, ties
    assert sims.size >= metrics._THREADED_FROM
    with mock.patch.object(torch, "get_num_threads", return_value=3):
        assert metrics._count_workers(sims.size) == 3
        threaded = retrieval_metrics(sims)
    with mock.patch.object(metrics, "_count_workers", return_value=1):
        single = retrieval_metrics(sims)
    np.testing.assert_array_equal(threaded.higher, single.higher)
    np.testing.assert_array_equal(threaded.tied, single.tied)
