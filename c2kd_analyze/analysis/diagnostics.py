"""Teacher diagnostics and how they relate to the student's gain.

Per single teacher (pools have no single encoder) of a dataset, in one direction:

- ``teacher_en_r{1,5,10}``: the teacher model's own English R@k (stage ``teacher`` rows);
- ``translation_r1``: its encoder's English -> language translation R@1 on the parallel test
  captions (diagnostic rows written by teacher cells), averaged over languages and seeds;
- ``agreement_kl``: mean KL between the teacher's and its student's similarity distributions on
  the test set (rows written by C2KD cells), averaged over languages and seeds;
- ``gain_r1``: its C2KD student's language-average R@1 minus translate-train's.

The relation is a Spearman rank correlation across teachers, its p-value exact (all orderings) for
up to 8 teachers. With a handful of teachers it can take only a few values (with 3: -1, -0.5, 0.5,
1, and p >= 1/3) and means little; it is a hint.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .tables import AVG

if TYPE_CHECKING:
    import polars as pl

DIAGNOSTICS: tuple[str, ...] = ("teacher_en_r1", "translation_r1", "agreement_kl")
MIN_POINTS = 3


def teacher_diagnostics(
    summary: pl.DataFrame, diagnostics: pl.DataFrame, dataset: str, direction: str
) -> pl.DataFrame:
    """One row per teacher with a C2KD student: the module doc's columns (null if absent)."""
    import polars as pl

    rec = summary.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == "recall")
    )
    students = rec.filter(
        (pl.col("stage") == "c2kd") & (pl.col("k") == 1) & (pl.col("lang") == AVG)
    )
    tt = rec.filter(
        (pl.col("stage") == "translate-train") & (pl.col("k") == 1) & (pl.col("lang") == AVG)
    )
    tt_avg = tt["mean"].item() if tt.height == 1 else None
    own = rec.filter((pl.col("stage") == "teacher") & (pl.col("lang") == "en"))
    diag = diagnostics.filter(pl.col("dataset") == dataset)
    rows = []
    for teacher, student_avg in students.select("teacher", "mean").sort("teacher").iter_rows():
        row: dict[str, object] = {"teacher": teacher}
        for k in (1, 5, 10):
            hit = own.filter((pl.col("teacher") == teacher) & (pl.col("k") == k))
            row[f"teacher_en_r{k}"] = hit["mean"].item() if hit.height == 1 else None
        row["translation_r1"] = _mean(
            diag, teacher, "teacher", "translation_recall", exclude_en=True
        )
        row["agreement_kl"] = _mean(diag, teacher, "c2kd", "teacher_agreement_kl", exclude_en=False)
        row["student_r1"] = student_avg
        row["gain_r1"] = None if tt_avg is None else student_avg - tt_avg
        rows.append(row)
    schema = {
        "teacher": pl.String,
        **{
            c: pl.Float64
            for c in (
                "teacher_en_r1",
                "teacher_en_r5",
                "teacher_en_r10",
                "translation_r1",
                "agreement_kl",
                "student_r1",
                "gain_r1",
            )
        },
    }
    return pl.DataFrame(rows, schema=schema)


def _mean(
    diag: pl.DataFrame, teacher: str, stage: str, metric: str, *, exclude_en: bool
) -> float | None:
    import polars as pl

    sel = diag.filter(
        (pl.col("teacher") == teacher) & (pl.col("stage") == stage) & (pl.col("metric") == metric)
    )
    if exclude_en:
        sel = sel.filter(pl.col("lang") != "en")
    value = sel["value"].mean() if sel.height else None
    return None if value is None else float(value)


def diagnostics_by_language(diagnostics: pl.DataFrame, dataset: str, metric: str) -> pl.DataFrame:
    """Teacher x language means over seeds of one diagnostic: columns teacher, lang, value."""
    import polars as pl

    return (
        diagnostics.filter((pl.col("dataset") == dataset) & (pl.col("metric") == metric))
        .group_by("teacher", "lang")
        .agg(pl.col("value").mean())
        .sort("teacher", "lang")
    )


def gain_correlations(table: pl.DataFrame) -> pl.DataFrame:
    """Spearman's rho (and its p-value) of each diagnostic against ``gain_r1``, across teachers.

    Columns: diagnostic, n_teachers, rho, p. ``rho`` is null with fewer than 3 teachers having both
    values, or when either side is constant.
    """
    import polars as pl

    rows = []
    for name in DIAGNOSTICS:
        both = table.select(name, "gain_r1").drop_nulls()
        rho = p = None
        x, y = both[name].to_numpy(), both["gain_r1"].to_numpy()
        if both.height >= MIN_POINTS and x.std() > 0 and y.std() > 0:
            rho, p = spearman(x, y)
        rows.append({"diagnostic": name, "n_teachers": both.height, "rho": rho, "p": p})
    return pl.DataFrame(
        rows,
        schema={
            "diagnostic": pl.String,
            "n_teachers": pl.Int64,
            "rho": pl.Float64,
            "p": pl.Float64,
        },
    )


#: up to this many points the p-value enumerates every permutation (8! = 40320)
EXACT_MAX = 8


def spearman(x, y) -> tuple[float | None, float | None]:
    """Spearman's rho and its two-sided p-value: exact by enumeration for few points, else scipy's.

    >>> spearman([1, 2, 3], [2, 4, 9])  # 2 of the 6 orderings reach |rho| = 1
    (1.0, 0.3333333333333333)
    """
    from itertools import permutations

    import numpy as np
    from scipy.stats import rankdata, spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    rho = float(spearmanr(x, y).statistic)
    if math.isnan(rho):
        return None, None
    if len(x) > EXACT_MAX:
        return rho, float(spearmanr(x, y).pvalue)
    rx, ry = rankdata(x), rankdata(y)
    perms = np.array(list(permutations(ry)))  # (n!, n)
    rhos = np.array([np.corrcoef(rx, p)[0, 1] for p in perms])
    return rho, float(np.mean(np.abs(rhos) >= abs(rho) - 1e-12))
