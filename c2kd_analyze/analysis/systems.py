"""Systems: one label, one row order and one colour for each trained model family.

A *system* is ``(dataset, mode, stage, teacher, pool, teacher_recipe)``, compared across seeds.
Its label is chosen here, once, for every table, figure and the CLI::

    zero-shot | translate-train | teacher muse | c2kd muse | c2kd pool max(muse+labse)

(``c2kd pool muse+labse`` when the pooling operation is unknown), plus `` [full]`` in datasets
whose runs used more than one mode, and `` [english]`` / `` [translate-train]`` (how the teachers
were trained) in datasets whose runs used more than one teacher recipe.

Row order, everywhere: the baselines (zero-shot, translate-train), the teachers' own rows, the
C2KD students, then the pools; teachers and students in the order the user listed ``--teachers``
(``config.json``: ``config.teachers``), any other teacher after them in order of first appearance.

Colours: a fixed mapping from label to colour shared by every figure. Baselines are greys; a
teacher's row, its student and its scatter point share the teacher's colour, the k-th teacher
(in the order above) taking the k-th colour of seaborn's colour-blind palette, pools after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

BASELINES: tuple[str, ...] = ("zero-shot", "translate-train")
STUDENT_STAGES: tuple[str, ...] = ("c2kd", "c2kd-pool")
#: stages in row order (the first sort key)
STAGE_ORDER: tuple[str, ...] = ("zero-shot", "translate-train", "teacher", "c2kd", "c2kd-pool")
MODE_ORDER: tuple[str, ...] = ("frozen", "full")

#: seaborn "colorblind" without its grey, then seaborn "dark" without its grey (hex, so that the
#: mapping is fixed and cheap: no plotting library is imported to name a colour)
PALETTE: tuple[str, ...] = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#ece133",
    "#56b4e9", "#001c7f", "#b1400d", "#12711c", "#8c0800", "#591e71", "#592f0d", "#a23582",
    "#b8850a", "#006374",
)  # fmt: skip
BASELINE_COLOURS: dict[str, str] = {"zero-shot": "#b4b4b4", "translate-train": "#5a5a5a"}


def system_label(
    stage: str, teacher: str | None, pool: str | None = None, mode: str | None = None
) -> str:
    """The label of one system: :func:`label_expr` on one row (``mode``: name it, as in a
    dataset whose runs used several modes).

    >>> system_label("c2kd-pool", "muse+labse", "max"), system_label("c2kd", "muse", mode="full")
    ('c2kd pool max(muse+labse)', 'c2kd muse [full]')
    """
    import polars as pl

    row = pl.DataFrame(
        {"stage": [stage], "teacher": [teacher], "pool": [pool], "mode": [mode or "frozen"],
         "teacher_recipe": [None], "_multi_mode": [mode is not None], "_multi_recipe": [False]},
        schema={"stage": pl.String, "teacher": pl.String, "pool": pl.String, "mode": pl.String,
                "teacher_recipe": pl.String, "_multi_mode": pl.Boolean,
                "_multi_recipe": pl.Boolean},
    )  # fmt: skip
    return str(row.select(label_expr()).item())


def label_expr() -> pl.Expr:
    """A system's label, built once here for every table, figure and the CLI: a polars
    expression over stage, teacher, pool, mode, teacher_recipe, ``_multi_mode`` and
    ``_multi_recipe`` (whether the row's dataset has runs in several modes / teacher recipes)."""
    import polars as pl

    stage, teacher, pool = pl.col("stage"), pl.col("teacher"), pl.col("pool")
    pooled = (
        pl.when(pool.is_null())
        .then(pl.concat_str(pl.lit("c2kd pool "), teacher))
        .otherwise(pl.concat_str(pl.lit("c2kd pool "), pool, pl.lit("("), teacher, pl.lit(")")))
    )
    base = (
        pl.when(stage.is_in(BASELINES) | teacher.is_null())
        .then(stage)
        .when(stage == "c2kd-pool")
        .then(pooled)
        .otherwise(pl.concat_str(stage, pl.lit(" "), teacher))
    )
    with_mode = pl.concat_str(base, pl.lit(" ["), pl.col("mode"), pl.lit("]"))
    labelled = pl.when(pl.col("_multi_mode")).then(with_mode).otherwise(base)
    recipe = pl.col("teacher_recipe")
    with_recipe = pl.concat_str(labelled, pl.lit(" ["), recipe, pl.lit("]"))
    return (
        pl.when(pl.col("_multi_recipe") & recipe.is_not_null())
        .then(with_recipe)
        .otherwise(labelled)
    )


def add_methods(frame: pl.DataFrame, teachers: Sequence[str] = ()) -> pl.DataFrame:
    """Add ``method`` (the label), ``order`` (the row-order key) and ``pool`` (null if absent).

    ``frame`` has dataset, mode, stage, teacher (and optionally pool). ``teachers``: the order the
    user listed them in; teachers not in it follow in order of first appearance.
    """
    import polars as pl

    for column in ("pool", "teacher_recipe"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    known = list(
        dict.fromkeys([*teachers, *frame["teacher"].drop_nulls().unique(maintain_order=True)])
    )
    position = pl.col("teacher").replace_strict(
        known, list(range(len(known))), default=len(known), return_dtype=pl.Int64
    )
    stage = pl.col("stage").replace_strict(
        STAGE_ORDER, list(range(len(STAGE_ORDER))), default=len(STAGE_ORDER), return_dtype=pl.Int64
    )
    mode = pl.col("mode").replace_strict(
        MODE_ORDER, list(range(len(MODE_ORDER))), default=len(MODE_ORDER), return_dtype=pl.Int64
    )
    recipe = (pl.col("teacher_recipe") == "english").fill_null(False).cast(pl.Int64)
    return (
        frame.with_columns(
            (pl.col("mode").n_unique().over("dataset") > 1).alias("_multi_mode"),
            (pl.col("teacher_recipe").drop_nulls().n_unique().over("dataset") > 1).alias(
                "_multi_recipe"
            ),
        )
        .with_columns(
            label_expr().alias("method"),
            (stage * 1_000_000 + position.fill_null(0) * 100 + mode * 10 + recipe).alias("order"),
        )
        .drop("_multi_mode", "_multi_recipe")
    )


def ordered_methods(frame: pl.DataFrame) -> list[str]:
    """Distinct methods of a frame with ``method`` and ``order``, in row order."""
    rows = frame.select("order", "method").unique().sort("order", "method")
    return list(dict.fromkeys(rows["method"].to_list()))


def ordered_langs(langs: Sequence[str], declared: Sequence[str] = ()) -> list[str]:
    """English first, then the dataset's declared order, then any other language in order of
    first appearance; only languages in ``langs``.

    >>> ordered_langs(["de", "zh", "en", "fr"], declared=["en", "fr", "de"])
    ['en', 'fr', 'de', 'zh']
    """
    seen = set(langs)
    order = [x for x in dict.fromkeys([*declared, *langs]) if x in seen]
    return (["en"] if "en" in seen else []) + [x for x in order if x != "en"]


def system_colours(frame: pl.DataFrame) -> dict[str, str]:
    """Label -> hex colour for every system of a frame with method, order, stage, teacher, pool,
    mode (see the module docstring): the one mapping every figure uses."""
    import polars as pl

    systems = frame.select("order", "method", "stage", "teacher", "pool", "mode").unique()
    systems = systems.sort("order", "method")
    baselines = systems.filter(pl.col("stage").is_in(BASELINES))
    others = systems.filter(~pl.col("stage").is_in(BASELINES))
    # one colour per (teacher, pool, mode): a teacher's row and its student share it
    keys = others.select(
        pl.struct(pl.col("teacher").fill_null(""), pl.col("pool").fill_null(""), "mode").alias("k"),
        pl.when(pl.col("stage") == "c2kd-pool").then(1).otherwise(0).alias("is_pool"),
        "order",
    )
    grouped = keys.group_by("k").agg(pl.col("is_pool").max(), pl.col("order").min())
    distinct = grouped.sort("is_pool", "order")["k"].to_list()
    index = {tuple(k.values()): i for i, k in enumerate(distinct)}
    colours = {
        method: PALETTE[index[(teacher or "", pool or "", mode)] % len(PALETTE)]
        for method, teacher, pool, mode in others.select("method", "teacher", "pool", "mode").rows()
    }
    for method, stage in baselines.select("method", "stage").rows():
        colours[method] = BASELINE_COLOURS[stage]
    return colours
