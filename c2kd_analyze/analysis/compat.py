"""Reading run folders written by older versions: every compatibility rule, in one place.

A cell file that lacks a column a later version added gets it here, filled with what that older
version meant (``schema_version`` in config.json and done.json says which version wrote a run;
:data:`c2kd_analyze.results.SCHEMA_VERSION` is this one's):

- results before ``teacher_recipe``: every teacher was trained with translate-train;
- results before ``pool`` / ``tie_policy`` (schema 1): the run's config.json said them
  (``config.pool`` on c2kd-pool rows; ``config.ties``, and before that setting "optimistic");
- results before ``epoch`` (schema 2 and older): no run selected an epoch, so every test number
  is of the model after the run's last epoch (``config.epochs``); those runs had no validation;
- ranks before ``clip`` / ``ties``: the query's clip was its position, and nothing tied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

#: the tie policy of runs older than the ``ties`` setting: the original code's
OLD_TIE_POLICY = "optimistic"


def result_fills(config: dict[str, Any]) -> dict[str, pl.Expr]:
    """Column -> expression for result columns an older file lacks; ``config``: its run's."""
    import polars as pl

    with_teacher = pl.col("stage").is_in(["teacher", "c2kd", "c2kd-pool"])
    pool = config.get("pool") or None
    return {
        "teacher_recipe": pl.when(with_teacher).then(pl.lit("translate-train")),
        "pool": pl.when(pl.col("stage") == "c2kd-pool").then(pl.lit(pool, pl.String)),
        "tie_policy": pl.lit(config.get("ties") or OLD_TIE_POLICY, pl.String),
        "epoch": pl.lit(config.get("epochs"), pl.Int64),
    }


def rank_fills() -> dict[str, pl.Expr]:
    """Column -> expression for rank columns an older file lacks."""
    import polars as pl

    return {
        "clip": pl.col("query"),
        "ties": pl.when(pl.col("rank").is_not_null()).then(pl.lit(0, pl.Int64)),
    }
