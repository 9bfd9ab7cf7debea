"""Run folders built on disk with the exact schema the run writes, from seeded random scores.

Each test clip's true item gets score ``quality[system, lang] + difficulty[clip] + noise``, every
other item a standard normal score; a query's counts are the items above (``rank - 1``) and the
items tied with its true item. Queries follow the writer (``distill.outputs.ranks_frame``): per
language the clips with a caption in it, in clip order, then the ``absent`` ones the benchmark
counts but the data lacks (null clip, rank and ties). The metric rows are computed from those very
counts under the run's tie policy (``distill.metrics``), so tables (from metrics) and statistics
(from ranks) agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from c2kd_analyze import io
from c2kd_analyze.distill.metrics import hit_fraction, policy_ranks
from c2kd_analyze.results import (
    DIAGNOSTIC_COLUMNS,
    HISTORY_COLUMNS,
    RANK_COLUMNS,
    RESULT_COLUMNS,
    polars_schema,
)

LANGS = ("en", "de", "fr", "zh")
TEACHERS = ("labse", "muse", "minilm-en")


@dataclass(frozen=True)
class RunSpec:
    dataset: str = "demo"
    langs: tuple[str, ...] = LANGS
    teachers: tuple[str, ...] = TEACHERS
    seeds: tuple[int, ...] = (0, 1)
    n_queries: int = 80  # test clips
    directions: tuple[str, ...] = ("t2v", "v2t")
    synthetic: bool = True
    pool: bool = False
    pool_op: str = "max"
    data_seed: int = 7
    #: (stage, teacher) -> extra quality in non-English languages
    boost: dict = field(
        default_factory=lambda: {
            ("translate-train", None): 0.6,
            ("c2kd", "labse"): 1.6,
            ("c2kd", "muse"): 0.9,
            ("c2kd", "minilm-en"): 0.6,
            ("c2kd-pool", "labse+muse+minilm-en"): 1.2,
        }
    )
    absent: int = 3  # benchmark queries missing from the data (misses in every language)
    #: language -> the clips without a caption in it (that language has fewer queries)
    masked: dict = field(default_factory=dict)
    #: (stage, teacher) -> English quality instead of 2.5 (e.g. a student whose English falls)
    english: dict = field(default_factory=dict)
    ties: str | None = "optimistic"  # config.ties; None: an old run without the setting
    #: (stage, teacher) -> "all" (constant scores: every item ties) or "some" (a few ties)
    tied: dict = field(default_factory=dict)
    tied_in: tuple[str, ...] = ("t2v", "v2t")  # the directions in which ``tied`` systems tie
    old_ranks: bool = False  # ranks.parquet without the clip and ties columns (older runs)
    teacher_recipe: str = "translate-train"  # how the teachers were trained (result column)
    dataset_options: tuple[tuple[str, object], ...] = ()  # config.json's --dataset-option pairs
    history_steps: int = 30  # training steps in each cell's history.parquet (5 epochs)
    #: epochs of validation rows in each cell's validation.parquet (0: a run without validation)
    val_epochs: int = 0


def _quality(spec: RunSpec, stage: str, teacher: str | None, lang: str) -> float:
    if stage == "teacher":
        return 2.5 if lang == "en" else 1.0 + 0.3 * spec.teachers.index(teacher)
    if lang == "en":
        return spec.english.get((stage, teacher), 2.5)
    base = 0.4 - 0.1 * spec.langs.index(lang)
    return base + spec.boost.get((stage, teacher), 0.0)


def simulate_counts(
    quality: float, difficulty: np.ndarray, n_items: int, rng: np.random.Generator, tied: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Items above and items tied with each query's true item among ``n_items``: two int arrays."""
    n = difficulty.shape[0]
    if tied == "all":  # constant scores: every other item ties
        return np.zeros(n, np.int64), np.full(n, n_items - 1, np.int64)
    true = quality + difficulty + 0.5 * rng.standard_normal(n)
    others = rng.standard_normal((n, n_items - 1))
    higher = (others > true[:, None]).sum(axis=1).astype(np.int64)
    ties = np.zeros(n, np.int64)
    if tied == "some":  # every third query ties with two other items
        ties[::3] = np.minimum(2, n_items - 1 - higher[::3])
    return higher, ties


def present_clips(spec: RunSpec, lang: str) -> np.ndarray:
    """The clips with a caption in ``lang``, in clip order: all but the masked ones."""
    return np.setdiff1d(np.arange(spec.n_queries), np.asarray(spec.masked.get(lang, ()), int))


def _cells(spec: RunSpec) -> list[tuple[str, str | None]]:
    cells = [("teacher", t) for t in spec.teachers]
    cells += [("zero-shot", None), ("translate-train", None)]
    cells += [("c2kd", t) for t in spec.teachers]
    if spec.pool:
        cells.append(("c2kd-pool", "+".join(spec.teachers)))
    return cells


def _cell_name(spec: RunSpec, stage: str, teacher: str | None, seed: int) -> str:
    """The cell's folder name, as the planner names it (``zero-shot-s0``, ``c2kd-muse-s0``)."""
    from c2kd_analyze.distill.plan import Cell

    teachers = tuple(spec.teachers) if stage == "c2kd-pool" else ((teacher,) if teacher else ())
    pool = spec.pool_op if stage == "c2kd-pool" else None
    return Cell(stage, teachers, seed, pool=pool).name  # type: ignore[arg-type]


def write_run(root: Path, spec: RunSpec = RunSpec(), run_id: str | None = None) -> Path:
    """Write a complete run folder under ``root``; returns its path."""
    run_id = run_id or f"{spec.dataset}-{abs(hash((spec.seeds, spec.data_seed))) % 10**10:010d}"
    run = root / run_id
    rng_data = np.random.default_rng(spec.data_seed)
    difficulty = rng_data.normal(0.0, 1.0, spec.n_queries)  # per clip, shared by languages
    all_results, all_history = [], []
    for seed in spec.seeds:
        for stage, teacher in _cells(spec):
            # the draws are seeded by an older naming, so the numbers stay those tests expect
            old = f"{stage}-{teacher or 'none'}-s{seed}"
            rng = np.random.default_rng([seed, len(old), sum(map(ord, old))])
            cell = _cell_name(spec, stage, teacher, seed)
            res, ranks, diag = _cell_frames(
                spec, run_id, cell, stage, teacher, seed, difficulty, rng
            )
            hist = _history(spec, run_id, cell, stage, seed)
            d = run / "cells" / cell
            io.write_parquet(d / "metrics.parquet", res)
            io.write_parquet(d / "ranks.parquet", ranks)
            io.write_parquet(d / "history.parquet", hist)
            if diag is not None:
                io.write_parquet(d / "diagnostics.parquet", diag)
            if spec.val_epochs:
                io.write_parquet(d / "validation.parquet", _validation(res, spec.val_epochs))
            io.write_json(d / "done.json", {"cell": cell})
            all_results.append(res)
            all_history.append(hist)
    io.write_parquet(run / "results.parquet", pl.concat(all_results))
    io.write_parquet(run / "history.parquet", pl.concat(all_history))
    config = {
        "dataset": spec.dataset, "teachers": list(spec.teachers), "student": "me5-small",
        "seeds": list(spec.seeds), "mode": "frozen", "preset": "demo",
        "pool": spec.pool_op if spec.pool else None, "teacher_recipe": spec.teacher_recipe,
        "dataset_options": [list(kv) for kv in spec.dataset_options],
    }  # fmt: skip
    if spec.ties is not None:
        config["ties"] = spec.ties
    if spec.val_epochs:
        config.update(val_fraction=0.1, epochs=spec.val_epochs)
    io.write_json(
        run / "config.json",
        {
            "run_id": run_id,
            "config": config,
            "versions": {"c2kd-analyze": "0.1.0"},
            "git_sha": "abc123",
            "dataset": {
                "name": spec.dataset,
                "synthetic": spec.synthetic,
                "n_test": spec.n_queries,
                "languages": list(spec.langs),
            },
        },
    )
    return run


#: the loss of a stage's first step: the stages' losses are different sums (over languages)
LOSS_SCALE = {"teacher": 80.0, "zero-shot": 9.0, "translate-train": 80.0, "c2kd": 30.0,
              "c2kd-pool": 30.0}  # fmt: skip


def _history(spec: RunSpec, run_id: str, cell: str, stage: str, seed: int) -> pl.DataFrame:
    """A decaying, noisy loss per step (its own generator: the result draws stay as they are)."""
    n = spec.history_steps
    rng = np.random.default_rng([99, seed, sum(map(ord, cell))])
    step = np.arange(n)
    decay = 0.35 + 0.65 * np.exp(-step / max(1.0, 0.3 * n))
    loss = LOSS_SCALE[stage] * decay * np.exp(0.05 * rng.standard_normal(n))
    return pl.DataFrame(
        {"run_id": [run_id] * n, "cell": [cell] * n, "epoch": step * 5 // max(n, 1),
         "step": step, "loss": loss, "lr": np.full(n, 1e-3)},
        schema=polars_schema(HISTORY_COLUMNS),
    )  # fmt: skip


def _lang_rows(spec, stage, teacher, lang, difficulty, rng, direction):
    """Metric values and rank rows of one language and direction."""
    clips = present_clips(spec, lang)
    n = clips.size + spec.absent
    tied = spec.tied.get((stage, teacher), "") if direction in spec.tied_in else ""
    higher, ties = simulate_counts(
        _quality(spec, stage, teacher, lang), difficulty[clips], spec.n_queries, rng, tied
    )
    policy = spec.ties or "optimistic"
    values = {("recall", k): hit_fraction(higher, ties, k, policy).sum() / n for k in (1, 5, 10)}
    ranks = policy_ranks(higher, ties, policy)
    values[("median_rank", None)] = float(np.median(ranks))
    values[("mean_rank", None)] = float(ranks.mean())
    none = [None] * spec.absent
    rank_rows = {
        "query": list(range(n)),
        "clip": [*clips.tolist(), *none],
        "rank": [*(higher + 1).tolist(), *none],
        "ties": [*ties.tolist(), *none],
    }
    return values, n, rank_rows


def _cell_frames(spec, run_id, cell, stage, teacher, seed, difficulty, rng):
    res_rows, rank_frames = [], []
    for direction in spec.directions:
        for lang in spec.langs:
            values, n, rank_rows = _lang_rows(
                spec, stage, teacher, lang, difficulty, rng, direction
            )
            base = dict(
                run_id=run_id, cell=cell, stage=stage, teacher=teacher,
                teacher_model=f"{teacher}@test" if teacher else None,
                student_model="me5-small@test", dataset=spec.dataset, split="test", lang=lang,
                direction=direction, n_queries=n, seed=seed, mode="frozen",
                teacher_recipe=spec.teacher_recipe if teacher else None,
                pool=spec.pool_op if stage == "c2kd-pool" else None,
                tie_policy=spec.ties or "optimistic",
            )  # fmt: skip
            res_rows += [
                {**base, "metric": metric, "k": k, "value": float(v)}
                for (metric, k), v in values.items()
            ]
            size = len(rank_rows["query"])
            rank_frames.append(
                pl.DataFrame(
                    {
                        "run_id": [run_id] * size,
                        "cell": [cell] * size,
                        "lang": [lang] * size,
                        "direction": [direction] * size,
                        **rank_rows,
                    },
                    schema=polars_schema(RANK_COLUMNS),
                )
            )
    ranks = pl.concat(rank_frames)
    if spec.old_ranks:
        ranks = ranks.drop("clip", "ties")
    results = pl.DataFrame(res_rows, schema=polars_schema(RESULT_COLUMNS))
    if spec.ties is None:  # a run older than the setting: its rows said neither (schema 1)
        results = results.drop("pool", "tie_policy")
    return (
        results,
        ranks,
        _diagnostics(spec, run_id, cell, stage, teacher, seed),
    )


def _diagnostics(spec, run_id, cell, stage, teacher, seed):
    if stage not in ("teacher", "c2kd", "c2kd-pool"):
        return None
    metric = "translation_recall" if stage == "teacher" else "teacher_agreement_kl"
    rows = []
    for lang in spec.langs:
        if stage == "teacher" and lang == "en":
            continue
        value = (
            0.9 - 0.2 * spec.teachers.index(teacher.split("+")[0])
            if stage == "teacher"
            else 0.5 + 0.1 * len(teacher) + 0.01 * seed
        )
        rows.append(
            {"run_id": run_id, "cell": cell, "stage": stage, "teacher": teacher, "lang": lang,
             "metric": metric, "k": 1 if stage == "teacher" else None, "value": value,
             "seed": seed}
        )  # fmt: skip
    return pl.DataFrame(rows, schema=polars_schema(DIAGNOSTIC_COLUMNS))


def _validation(results: pl.DataFrame, epochs: int) -> pl.DataFrame:
    """Validation rows of a cell: its test t2v recalls as split "val", rising over the epochs
    to the test value (a learning curve; the numbers are made up, as every number here)."""
    t2v = results.filter((pl.col("direction") == "t2v") & (pl.col("metric") == "recall"))
    frames = [
        t2v.with_columns(split=pl.lit("val"), epoch=pl.lit(e, pl.Int64),
                         value=pl.col("value") * (0.5 + 0.5 * e / epochs))
        for e in range(1, epochs + 1)
    ]  # fmt: skip
    return pl.concat(frames, how="diagonal_relaxed")
