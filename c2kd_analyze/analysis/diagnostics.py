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

from typing import TYPE_CHECKING

from .tables import AVG

if TYPE_CHECKING:
    import polars as pl

DIAGNOSTICS: tuple[str, ...] = ("teacher_en_r1", "translation_r1", "agreement_kl")
MIN_POINTS = 3


COLUMNS: tuple[str, ...] = (
    "teacher_en_r1", "teacher_en_r5", "teacher_en_r10", "translation_r1", "agreement_kl",
    "student_r1", "student_other_r1", "gain_r1",
)  # fmt: skip


def teacher_diagnostics(
    summary: pl.DataFrame, diagnostics: pl.DataFrame, dataset: str, direction: str
) -> pl.DataFrame:
    """One row per teacher with a C2KD student, in row order: teacher, method (the student's
    label) and the module doc's columns (null where absent)."""
    import polars as pl

    rec = summary.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == "recall")
    )
    avg1 = (pl.col("k") == 1) & (pl.col("lang") == AVG)
    key = ["teacher", "mode", "teacher_recipe"]
    students = rec.filter((pl.col("stage") == "c2kd") & avg1).select(
        "order", *key, "method", pl.col("mean").alias("student_r1")
    )
    # the student's R@1 outside English, beside the teacher's English R@1: the advantage the
    # teacher has to pass on
    other = (
        rec.filter((pl.col("stage") == "c2kd") & (pl.col("k") == 1))
        .filter(~pl.col("lang").is_in(["en", AVG]))
        .group_by(key)
        .agg(pl.col("mean").mean().alias("student_other_r1"))
    )
    tt = rec.filter((pl.col("stage") == "translate-train") & avg1)
    tt = tt.select("mode", pl.col("mean").alias("tt_r1"))
    own = rec.filter((pl.col("stage") == "teacher") & (pl.col("lang") == "en"))
    own = own.with_columns(pl.format("teacher_en_r{}", "k").alias("name"))
    own = own.pivot(on="name", index=key, values="mean", aggregate_function="first")
    diag = diagnostics.filter(pl.col("dataset") == dataset)
    translation = _mean_by_teacher(
        diag.filter((pl.col("stage") == "teacher") & (pl.col("lang") != "en")),
        "translation_recall",
        "translation_r1",
    )
    kl = _mean_by_teacher(
        diag.filter(pl.col("stage") == "c2kd"), "teacher_agreement_kl", "agreement_kl"
    )
    table = (
        students.join(tt, on="mode", how="left")
        .join(other, on=key, how="left", nulls_equal=True)
        .join(own, on=key, how="left", nulls_equal=True)
        .join(translation, on=["teacher", "teacher_recipe"], how="left", nulls_equal=True)
        .join(kl, on=["teacher", "teacher_recipe"], how="left", nulls_equal=True)
        .sort("order")
        .with_columns((pl.col("student_r1") - pl.col("tt_r1")).alias("gain_r1"))
    )
    missing = [pl.lit(None, pl.Float64).alias(c) for c in COLUMNS if c not in table.columns]
    return table.with_columns(missing).select(
        "teacher", "method", "teacher_recipe", *[pl.col(c).cast(pl.Float64) for c in COLUMNS]
    )


def _with_recipe(diag: pl.DataFrame) -> pl.DataFrame:
    """``diag`` with a ``teacher_recipe`` column (null in runs written before it existed)."""
    import polars as pl

    if "teacher_recipe" in diag.columns:
        return diag
    return diag.with_columns(pl.lit(None, pl.String).alias("teacher_recipe"))


def _mean_by_teacher(diag: pl.DataFrame, metric: str, name: str) -> pl.DataFrame:
    import polars as pl

    sel = _with_recipe(diag.filter(pl.col("metric") == metric))
    return sel.group_by("teacher", "teacher_recipe").agg(
        pl.col("value").mean().cast(pl.Float64).alias(name)
    )


def diagnostics_by_language(diagnostics: pl.DataFrame, dataset: str, metric: str) -> pl.DataFrame:
    """Teacher x language means over seeds of one diagnostic: columns teacher, teacher_recipe
    (how the teacher was trained; null where unknown), lang, value."""
    import polars as pl

    sel = _with_recipe(
        diagnostics.filter((pl.col("dataset") == dataset) & (pl.col("metric") == metric))
    )
    return (
        sel.group_by("teacher", "teacher_recipe", "lang")
        .agg(pl.col("value").mean())
        .sort("teacher", "teacher_recipe", "lang", nulls_last=True)
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
    """Spearman's rho (average ranks for ties) and its two-sided p-value: exact by enumerating
    every ordering for up to ``EXACT_MAX`` points, else scipy's approximation.

    >>> spearman([1, 2, 3], [2, 4, 9])  # 2 of the 6 orderings reach |rho| = 1
    (1.0, 0.3333333333333333)
    """
    from itertools import permutations

    import numpy as np
    import polars as pl

    x, y = np.asarray(x, float), np.asarray(y, float)
    rx = pl.Series(x).rank("average").to_numpy().astype(float)
    ry = pl.Series(y).rank("average").to_numpy().astype(float)
    if rx.std() == 0 or ry.std() == 0:
        return None, None
    rho = float(np.corrcoef(rx, ry)[0, 1])
    if len(x) > EXACT_MAX:
        from scipy.stats import spearmanr

        return rho, float(spearmanr(x, y).pvalue)
    perms = np.array(list(permutations(ry)))  # (n!, n)
    centred = perms - perms.mean(axis=1, keepdims=True)
    rhos = (
        centred
        @ (rx - rx.mean())
        / (np.linalg.norm(centred, axis=1) * np.linalg.norm(rx - rx.mean()))
    )
    return rho, float(np.mean(np.abs(rhos) >= abs(rho) - 1e-12))
