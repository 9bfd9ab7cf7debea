"""The per-language R@1 table a run prints: one row per method, one column per language.

Values stay fractions here; :func:`format_r1_table` multiplies by 100 for printing only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..results import STAGES

if TYPE_CHECKING:
    import polars as pl


def method_label(stage: str, teacher: str | None) -> str:
    """``zero-shot``, ``translate-train``, ``teacher muse``, ``c2kd muse``, ``c2kd-pool a+b``."""
    return stage if teacher is None else f"{stage} {teacher}"


def r1_table(results: pl.DataFrame, direction: str = "t2v", k: int = 1) -> pl.DataFrame:
    """Long table ``method, lang, mean, std, n_seeds`` of recall@k (fractions) per language, plus
    ``lang == "mean"``: the mean over languages within each seed, then over seeds.

    Methods are ordered by stage (teacher, zero-shot, translate-train, c2kd, c2kd-pool), then by
    first appearance; std is null with a single seed.
    """
    import polars as pl

    rows = results.filter(
        (pl.col("metric") == "recall") & (pl.col("k") == k) & (pl.col("direction") == direction)
    ).with_columns(
        method=pl.struct("stage", "teacher").map_elements(
            lambda s: method_label(s["stage"], s["teacher"]), return_dtype=pl.String
        ),
        stage_order=pl.col("stage").replace_strict(
            {s: i for i, s in enumerate(STAGES)}, return_dtype=pl.Int64
        ),
    )
    per_seed_mean = rows.group_by("method", "seed").agg(value=pl.col("value").mean())
    per_seed_mean = per_seed_mean.with_columns(lang=pl.lit("mean"))
    order = (
        rows.with_row_index("pos")
        .group_by("method")
        .agg(stage_order=pl.col("stage_order").first(), pos=pl.col("pos").min())
    )
    both = pl.concat(
        [rows.select("method", "lang", "seed", "value"),
         per_seed_mean.select("method", "lang", "seed", "value")]
    )  # fmt: skip
    table = both.group_by("method", "lang").agg(
        mean=pl.col("value").mean(), std=pl.col("value").std(), n_seeds=pl.col("seed").n_unique()
    )
    return (
        table.join(order, on="method")
        .sort("stage_order", "pos")
        .select("method", "lang", "mean", "std", "n_seeds")
    )


def format_r1_table(
    results: pl.DataFrame, languages: list[str] | None = None, direction: str = "t2v"
) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of strings: R@1 x 100 per language and mean, ``mean ± std`` over seeds."""
    table = r1_table(results, direction=direction)
    if languages is None:
        languages = list(dict.fromkeys(results["lang"].to_list()))
    columns = [*languages, "mean"]
    cells: dict[tuple[str, str], str] = {}
    methods: list[str] = []
    for row in table.iter_rows(named=True):
        if row["method"] not in methods:
            methods.append(row["method"])
        text = f"{100 * row['mean']:.1f}"
        if row["n_seeds"] > 1 and row["std"] is not None:
            text += f" ± {100 * row['std']:.1f}"
        cells[(row["method"], row["lang"])] = text
    body = [[m, *(cells.get((m, c), "") for c in columns)] for m in methods]
    return ["method", *columns], body
