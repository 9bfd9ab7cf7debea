"""Spearman's rho and its exact p-value against hand counts of the orderings."""

from __future__ import annotations

import pytest

from c2kd_analyze.analysis.diagnostics import gain_correlations, spearman


@pytest.mark.parametrize(
    ("y", "rho", "p"),
    [
        ([1, 2, 3, 4], 1.0, 2 / 24),  # only the identity and its reverse reach |rho| = 1
        # rho = 1 - 6 * 2 / (4 * 15) = 0.8; |rho| >= 0.8: 1 + 3 adjacent swaps, and their mirrors
        ([1, 3, 2, 4], 0.8, 8 / 24),
        ([4, 3, 2, 1], -1.0, 2 / 24),
    ],
)
def test_spearman_exact_p_counts_orderings(y, rho, p):
    got_rho, got_p = spearman([10, 20, 30, 40], y)
    assert got_rho == pytest.approx(rho) and got_p == pytest.approx(p)


def test_spearman_ties_take_average_ranks_and_constant_is_undefined():
    # x ranks 1, 2.5, 2.5, 4 against 1..4: rho = corr of those ranks = 0.9487
    rho, _ = spearman([1, 2, 2, 3], [1, 2, 3, 4])
    assert rho == pytest.approx(0.9486832980505138)
    assert spearman([1, 1, 1], [1, 2, 3]) == (None, None)


def test_gain_correlations_need_three_teachers():
    import polars as pl

    table = pl.DataFrame(
        {"teacher_en_r1": [0.1, 0.2], "translation_r1": [0.3, 0.1], "agreement_kl": [1.0, 2.0],
         "gain_r1": [0.05, 0.02]}
    )  # fmt: skip
    corr = gain_correlations(table)
    assert corr["rho"].to_list() == [None, None, None] and corr["n_teachers"].to_list() == [2] * 3
