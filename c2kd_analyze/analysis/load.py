"""Read one or several run folders into three tidy frames, validated against the result schema.

A run folder (:mod:`c2kd_analyze.layout`) holds ``config.json`` and one folder per cell under
``cells/``. Cells are authoritative (``results.parquet`` is only their concatenation, and
ranks exist only per cell); a cell counts once its ``done.json`` is valid, so a killed run
reads as the cells it finished. Every file is read through ``c2kd_analyze.io``, which verifies
its checksum.

Every result row says everything about itself, its ``pool`` and ``tie_policy`` included; the
ranks get their system (and tie policy) from their cell's result rows. Files written by older
versions are read with :mod:`.compat`'s rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import io
from ..choices import Ties, values
from ..errors import UserError
from ..lang import normalize_lang
from ..layout import RunFolder
from ..results import (
    DIAGNOSTIC_COLUMNS,
    METRICS,
    RANK_COLUMNS,
    RESULT_COLUMNS,
    STAGES,
    polars_schema,
)
from .compat import OLD_TIE_POLICY, rank_fills, result_fills

TIE_POLICIES: tuple[str, ...] = values(Ties)

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)

#: a system (one trained model family, compared across seeds) within a dataset
SYSTEM_KEY: tuple[str, ...] = ("dataset", "mode", "stage", "teacher", "pool", "teacher_recipe")


@dataclass(frozen=True)
class RunMeta:
    """What a run's ``config.json`` says about it."""

    run_id: str
    path: Path
    dataset: str
    synthetic: bool
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    git_sha: str | None = None
    dataset_info: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)  # {"device", "name", "world_size"}
    #: the cells the config plans (None: a config of another version), those done (read), and
    #: those damaged (a file fails its checksum: left out, recomputed by the next run)
    planned: tuple[str, ...] | None = None
    done: tuple[str, ...] = ()
    damaged: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """Planned cells that are neither done nor damaged (not run yet, or running now)."""
        if self.planned is None:
            return ()
        return tuple(c for c in self.planned if c not in self.done and c not in self.damaged)

    def partial_line(self) -> str | None:
        """``partial: 3 of 12 cells of run X (missing: ...; damaged: ...)``; None when the run
        holds every cell it plans."""
        if not self.missing and not self.damaged:
            return None
        planned = self.planned if self.planned is not None else (*self.done, *self.damaged)
        done = [c for c in self.done if c in planned]
        parts = []
        if self.missing:
            parts.append(f"missing: {_names(self.missing)}")
        if self.damaged:
            parts.append(f"damaged: {_names(self.damaged)}")
        return (
            f"partial: {len(done)} of {len(planned)} cells of run {self.run_id} "
            f"({'; '.join(parts)}); run the same `c2kd-analyze run` again to complete it"
        )

    @property
    def device_label(self) -> str:
        """``cuda:0 (NVIDIA H200) x 8 ranks, bf16``; "–" for runs that did not record it."""
        if not self.device:
            return "–"
        label = f"{self.device.get('device', '?')} ({self.device.get('name', '?')})"
        ranks = int(self.device.get("world_size") or 1)
        label += f" x {ranks} ranks" if ranks > 1 else ""
        return f"{label}, {self.config.get('precision', 'fp32')}"

    @property
    def languages(self) -> tuple[str, ...]:
        """The dataset's declared language order (``config.json``: ``dataset.languages``)."""
        return tuple(normalize_lang(x) for x in self.dataset_info.get("languages") or ())

    @property
    def teachers(self) -> tuple[str, ...]:
        """The teachers in the order the user listed them (``config.teachers``)."""
        return tuple(self.config.get("teachers") or ())

    @property
    def pool(self) -> str | None:
        return self.config.get("pool") or None

    @property
    def tie_policy(self) -> str:
        return str(self.config.get("ties") or OLD_TIE_POLICY)


def _names(cells: tuple[str, ...], limit: int = 3) -> str:
    more = f" and {len(cells) - limit} more" if len(cells) > limit else ""
    return ", ".join(cells[:limit]) + more


class LoadedRuns(NamedTuple):
    """``(results, ranks, diagnostics, meta)``: unpacks like the tuple the API promises."""

    results: pl.DataFrame  # RESULT_COLUMNS, one row per number
    # RANK_COLUMNS + tie_policy + dataset, mode, stage, teacher, pool, seed (joined from results)
    ranks: pl.DataFrame
    diagnostics: pl.DataFrame  # DIAGNOSTIC_COLUMNS + dataset
    meta: dict[str, RunMeta]  # run_id -> meta


def load_runs(run_dirs: list[Path] | list[str]) -> LoadedRuns:
    """Load and validate run folders; :class:`UserError` on anything that is not a usable run."""
    import polars as pl

    if not run_dirs:
        raise UserError("no run folder given; pass the folder(s) `c2kd-analyze run` wrote")
    metas: dict[str, RunMeta] = {}
    results, ranks, diags = [], [], []
    for raw in run_dirs:
        path = Path(raw)
        meta = read_meta(path)
        if meta.run_id in metas:
            raise UserError(
                f"run {meta.run_id} is given twice ({metas[meta.run_id].path} and {path})"
            )
        metas[meta.run_id] = meta
        r, k, d = _read_cells(path, meta)
        results.append(r)
        ranks.append(k)
        diags.append(d)
    res = pl.concat(results)
    kept = _unique_cells(res)  # the same cell in two runs: once, when the numbers agree
    res = res.join(kept, on=["run_id", "cell"], how="semi")
    diag = pl.concat(diags).join(kept, on=["run_id", "cell"], how="semi")
    cells = res.select("run_id", "cell", "dataset", "teacher_recipe").unique()
    diag = diag.join(cells, on=["run_id", "cell"], how="left")
    rk = _attach_systems(pl.concat(ranks), res)
    return LoadedRuns(res, rk, diag, metas)


def read_meta(path: Path) -> RunMeta:
    """Read ``config.json`` of a run folder."""
    if not path.is_dir():
        raise UserError(f"{path} is not a folder; pass a run folder written by `c2kd-analyze run`")
    cfg_path = RunFolder(path).config
    try:
        raw = io.read_json(cfg_path)
    except FileNotFoundError as exc:
        raise UserError(
            f"{path} is not a run folder (no valid config.json); pass a folder written by "
            "`c2kd-analyze run`"
        ) from exc
    except io.CorruptFileError:  # never "delete it": the run's cells depend on it
        raise UserError(
            f"{cfg_path} is damaged (it fails its checksum); restore config.json from a backup"
        ) from None
    if not isinstance(raw, dict) or "run_id" not in raw or "config" not in raw:
        raise UserError(f"{cfg_path} lacks run_id/config; it was not written by `c2kd-analyze run`")
    ds = raw.get("dataset") or {}
    config = raw.get("config") or {}
    ties = config.get("ties") or "optimistic"
    if ties not in TIE_POLICIES:
        raise UserError(
            f"{cfg_path}: unknown ties policy {ties!r}; expected one of {', '.join(TIE_POLICIES)}"
        )
    planned, done, damaged = _cell_states(path, str(raw["run_id"]), config)
    return RunMeta(
        run_id=str(raw["run_id"]),
        path=path,
        dataset=str(ds.get("name") or config.get("dataset") or "unknown"),
        synthetic=bool(ds.get("synthetic", False)),
        config=config,
        versions=raw.get("versions") or {},
        git_sha=raw.get("git_sha"),
        dataset_info=ds,
        device=raw.get("device") or {},
        planned=planned,
        done=done,
        damaged=damaged,
    )


def _cell_states(
    path: Path, run_id: str, config: Any
) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]:
    """(planned, done, damaged) cell names of a run folder, in plan order where known."""
    from ..distill.plan import cell_state, planned_names

    plan = planned_names(config)
    present = [c.name for c in RunFolder(path).cell_folders()]
    names = list(dict.fromkeys([*(plan or ()), *present]))
    states = {name: cell_state(path, name, run_id, strict=False) for name in names}
    done = tuple(n for n in names if states[n] == "done")
    damaged = tuple(n for n in names if states[n] == "damaged")
    return (tuple(plan) if plan is not None else None), done, damaged


def partial_lines(run_dirs: list[Path] | list[str]) -> list[str]:
    """``warning: partial: ...`` for each run folder that lacks some of its cells (what ``report``
    and ``run`` print on stderr; the report says it at its top)."""
    lines = []
    for path in run_dirs:
        line = read_meta(Path(path)).partial_line()
        if line:
            lines.append(f"warning: {line}")
    return lines


def _read_cells(path: Path, meta: RunMeta) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    import polars as pl

    done = [RunFolder(path).cell(name) for name in meta.done]
    if not done:
        damaged = f" ({len(meta.damaged)} damaged)" if meta.damaged else ""
        raise UserError(
            f"run {path} has no finished cells yet{damaged}; run `c2kd-analyze run` to "
            "completion first"
        )
    results, ranks, diags = [], [], []
    fills = result_fills(meta.config)
    for cell in done:
        results.append(_read_frame(cell.metrics, RESULT_COLUMNS, required=True, optional=fills))
        ranks.append(_read_frame(cell.ranks, RANK_COLUMNS, required=False, optional=rank_fills()))
        diags.append(_read_frame(cell.diagnostics, DIAGNOSTIC_COLUMNS, required=False))
    res = pl.concat(results)
    if res.is_empty():
        raise UserError(
            f"run {path} has no result rows; run `c2kd-analyze run` to completion first"
        )
    _check_values(res, path)
    if set(res["run_id"].unique()) != {meta.run_id}:
        raise UserError(
            f"run {path}: result rows carry a run_id other than {meta.run_id} (config.json)"
        )
    res = _normalize_langs(res)
    return res, _normalize_langs(pl.concat(ranks)), _normalize_langs(pl.concat(diags))


def _normalize_langs(frame: pl.DataFrame) -> pl.DataFrame:
    """ISO 639-1 codes through :func:`normalize_lang`, called once per distinct spelling."""
    import polars as pl

    spellings = frame["lang"].drop_nulls().unique().to_list()
    codes = {s: normalize_lang(s) for s in spellings}
    return frame.with_columns(pl.col("lang").replace_strict(codes, return_dtype=pl.String))


def _read_frame(
    file: Path, columns: dict[str, str], *, required: bool, optional=None
) -> pl.DataFrame:
    """Read one cell file and coerce it to the schema; a missing optional file is an empty frame.

    ``optional``: column -> expression to fill it with when the file lacks it (an older
    version's file: :mod:`.compat`).
    """
    import polars as pl

    schema = polars_schema(columns)
    try:
        frame = io.read_parquet(file)
    except FileNotFoundError as exc:
        if required:
            raise UserError(
                f"{file} is missing although its cell is marked done; rerun that cell"
            ) from exc
        return pl.DataFrame(schema=schema)
    fills = {c: e for c, e in (optional or {}).items() if c not in frame.columns}
    if fills:
        frame = frame.with_columns(e.alias(c) for c, e in fills.items())
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"{file} does not match the result schema: missing column(s) {missing}")
    for name, dtype in schema.items():
        got = frame.schema[name]
        # an all-null column may have been written with dtype Null; any other mismatch is a bug
        if got != dtype and not (got == pl.Null or (got.is_integer() and dtype.is_integer())):
            raise UserError(
                f"{file} does not match the result schema: column {name} is {got}, expected {dtype}"
            )
    return frame.select([pl.col(n).cast(t) for n, t in schema.items()])


def _check_values(res: pl.DataFrame, path: Path) -> None:
    import polars as pl

    checks = {
        "stage": ~pl.col("stage").is_in(STAGES),
        "metric": ~pl.col("metric").is_in(METRICS),
        "direction": ~pl.col("direction").is_in(["t2v", "v2t"]),
        "recall value": (pl.col("metric") == "recall")
        & (
            pl.col("value").is_null()
            | (pl.col("value") < 0)
            | (pl.col("value") > 1)
            | pl.col("k").is_null()
        ),
    }
    for what, bad in checks.items():
        n_bad = res.filter(bad).height
        if n_bad:
            raise UserError(
                f"run {path}: {n_bad} result row(s) have an invalid {what}; the run folder is "
                "damaged"
            )


def _unique_cells(res: pl.DataFrame) -> pl.DataFrame:
    """``(run_id, cell)`` of the cells to keep: one per system and seed of a dataset.

    Runs merged into one report may share a cell (two teacher recipes share their baselines):
    when its numbers are the same in every run, the first run's copy is kept; when they differ,
    the runs disagree about one system and the merge is refused.
    """
    import polars as pl

    key = [*SYSTEM_KEY, "seed"]
    numbers = ["lang", "direction", "metric", "k", "value"]
    cells = (
        res.sort(numbers, nulls_last=True)
        .group_by("run_id", "cell", *key, maintain_order=True)
        .agg(pl.struct(numbers).alias("numbers"))
    )
    groups = cells.group_by(key, maintain_order=True).agg(
        pl.col("run_id"), pl.col("cell"), pl.col("numbers").n_unique().alias("versions")
    )
    clash = groups.filter((pl.col("run_id").list.len() > 1) & (pl.col("versions") > 1))
    if clash.height:
        row = clash.row(0, named=True)
        raise UserError(
            f"runs {', '.join(sorted(row['run_id']))} both hold {row['stage']} "
            f"{row['teacher'] or ''} seed {row['seed']} on {row['dataset']} with different "
            "numbers; pass only one of them"
        )
    first = groups.select(pl.col("run_id").list.first(), pl.col("cell").list.first())
    return first


def _attach_systems(ranks: pl.DataFrame, res: pl.DataFrame) -> pl.DataFrame:
    """Give each rank row its system and seed (from the cell's result rows)."""
    cells = res.select("run_id", "cell", *SYSTEM_KEY, "seed", "tie_policy").unique()
    n_cells = cells.select("run_id", "cell").unique().height
    if n_cells != cells.height:
        raise UserError(
            "a cell's result rows disagree on stage/teacher/seed/tie policy; the run folder is "
            "damaged"
        )
    return ranks.join(cells, on=["run_id", "cell"], how="inner")
