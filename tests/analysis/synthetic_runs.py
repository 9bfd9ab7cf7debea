"""Run folders built on disk with the exact schema the run writes, from seeded random scores.

Each query's true item gets score ``quality[method, lang] + difficulty[query] + noise``, every other
item a standard normal score; the rank is 1 + the number of items that score higher. The metric
rows are computed from those very ranks, so tables (from metrics) and statistics (from ranks) agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from c2kd_analyze import io
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
    n_queries: int = 80
    directions: tuple[str, ...] = ("t2v", "v2t")
    synthetic: bool = True
    pool: bool = False
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
    missing_queries: int = 3  # queries of the last language with no rank (missing from the data)


def _quality(spec: RunSpec, stage: str, teacher: str | None, lang: str) -> float:
    if stage == "teacher":
        return 2.5 if lang == "en" else 1.0 + 0.3 * spec.teachers.index(teacher)
    if lang == "en":
        return 2.5
    base = 0.4 - 0.1 * spec.langs.index(lang)
    return base + spec.boost.get((stage, teacher), 0.0)


def simulate_ranks(
    quality: float, difficulty: np.ndarray, n_items: int, rng: np.random.Generator
) -> np.ndarray:
    """1-based rank of each query's true item among ``n_items``: ``(n_queries,)`` int."""
    true = quality + difficulty + 0.5 * rng.standard_normal(difficulty.shape[0])
    others = rng.standard_normal((difficulty.shape[0], n_items - 1))
    return 1 + (others > true[:, None]).sum(axis=1)


def _cells(spec: RunSpec) -> list[tuple[str, str | None]]:
    cells = [("teacher", t) for t in spec.teachers]
    cells += [("zero-shot", None), ("translate-train", None)]
    cells += [("c2kd", t) for t in spec.teachers]
    if spec.pool:
        cells.append(("c2kd-pool", "+".join(spec.teachers)))
    return cells


def write_run(root: Path, spec: RunSpec = RunSpec(), run_id: str | None = None) -> Path:
    """Write a complete run folder under ``root``; returns its path."""
    run_id = run_id or f"{spec.dataset}-{abs(hash((spec.seeds, spec.data_seed))) % 10**10:010d}"
    run = root / run_id
    rng_data = np.random.default_rng(spec.data_seed)
    difficulty = rng_data.normal(0.0, 1.0, spec.n_queries)  # shared by languages: parallel queries
    all_results, all_history = [], []
    for seed in spec.seeds:
        for stage, teacher in _cells(spec):
            cell = f"{stage}-{teacher or 'none'}-s{seed}"
            rng = np.random.default_rng([seed, len(cell), sum(map(ord, cell))])
            res, ranks, diag = _cell_frames(
                spec, run_id, cell, stage, teacher, seed, difficulty, rng
            )
            hist = pl.DataFrame(
                {
                    "run_id": [run_id] * 2,
                    "cell": [cell] * 2,
                    "epoch": [0, 1],
                    "step": [10, 20],
                    "loss": [2.0, 1.5],
                    "lr": [1e-3, 9e-4],
                },
                schema=polars_schema(HISTORY_COLUMNS),
            )
            d = run / "cells" / cell
            io.write_parquet(d / "metrics.parquet", res)
            io.write_parquet(d / "ranks.parquet", ranks)
            io.write_parquet(d / "history.parquet", hist)
            if diag is not None:
                io.write_parquet(d / "diagnostics.parquet", diag)
            io.write_json(d / "done.json", {"cell": cell})
            all_results.append(res)
            all_history.append(hist)
    io.write_parquet(run / "results.parquet", pl.concat(all_results))
    io.write_parquet(run / "history.parquet", pl.concat(all_history))
    io.write_json(
        run / "config.json",
        {
            "run_id": run_id,
            "config": {
                "dataset": spec.dataset,
                "teachers": list(spec.teachers),
                "student": "me5-small",
                "seeds": list(spec.seeds),
                "mode": "frozen",
                "preset": "demo",
                "pool": "max" if spec.pool else None,
            },
            "versions": {"c2kd-analyze": "0.1.0"},
            "git_sha": "abc123",
            "dataset": {
                "name": spec.dataset,
                "synthetic": spec.synthetic,
                "n_test": spec.n_queries,
            },
        },
    )
    return run


def _cell_frames(spec, run_id, cell, stage, teacher, seed, difficulty, rng):
    res_rows, rank_rows, diag_rows = [], [], []
    n = spec.n_queries
    for direction in spec.directions:
        for lang in spec.langs:
            ranks = simulate_ranks(_quality(spec, stage, teacher, lang), difficulty, n, rng)
            ranks = ranks.astype(object)
            if lang == spec.langs[-1] and spec.missing_queries:
                ranks[: spec.missing_queries] = None  # a miss: counted in the denominator
            present = np.array([r for r in ranks if r is not None], dtype=float)
            base = dict(
                run_id=run_id,
                cell=cell,
                stage=stage,
                teacher=teacher,
                teacher_model=f"{teacher}@test" if teacher else None,
                student_model="me5-small@test",
                dataset=spec.dataset,
                split="test",
                lang=lang,
                direction=direction,
                n_queries=n,
                seed=seed,
                mode="frozen",
            )
            for k in (1, 5, 10):
                hits = sum(1 for r in ranks if r is not None and r <= k)
                res_rows.append({**base, "metric": "recall", "k": k, "value": hits / n})
            res_rows.append(
                {**base, "metric": "median_rank", "k": None, "value": float(np.median(present))}
            )
            res_rows.append(
                {**base, "metric": "mean_rank", "k": None, "value": float(present.mean())}
            )
            # a missing query is either a row with a null rank or no row at all: both are misses
            rank_rows += [
                {
                    "run_id": run_id,
                    "cell": cell,
                    "lang": lang,
                    "direction": direction,
                    "query": q,
                    "clip": None if r is None else q,
                    "rank": r,
                    "ties": None if r is None else 0,
                }
                for q, r in enumerate(ranks)
                if r is not None or q == 0
            ]
    diag = None
    if stage in ("teacher", "c2kd", "c2kd-pool"):
        metric = "translation_recall" if stage == "teacher" else "teacher_agreement_kl"
        for lang in spec.langs:
            if stage == "teacher" and lang == "en":
                continue
            value = (
                0.9 - 0.2 * spec.teachers.index(teacher.split("+")[0])
                if stage == "teacher"
                else 0.5 + 0.1 * len(teacher) + 0.01 * seed
            )
            diag_rows.append(
                {
                    "run_id": run_id,
                    "cell": cell,
                    "stage": stage,
                    "teacher": teacher,
                    "lang": lang,
                    "metric": metric,
                    "k": 1 if stage == "teacher" else None,
                    "value": value,
                    "seed": seed,
                }
            )
        diag = pl.DataFrame(diag_rows, schema=polars_schema(DIAGNOSTIC_COLUMNS))
    return (
        pl.DataFrame(res_rows, schema=polars_schema(RESULT_COLUMNS)),
        pl.DataFrame(rank_rows, schema=polars_schema(RANK_COLUMNS)),
        diag,
    )
