"""A local leaderboard of your own runs: one row per run folder under a folder.

``c2kd-analyze runs [DIR]`` shows it. A run folder is a folder holding a checksummed
``config.json`` or a ``cells/`` folder; folders below a run folder are not searched. Nothing is
hidden: a run that lacks cells is ``partial``, one whose ``config.json`` or cells cannot be read
is ``damaged``, with the reason. Only each done cell's ``metrics.parquet`` is read (never the
per-query ranks), so listing a folder of large runs is quick.

Columns: ``run_id, dataset, teachers, mode, seeds, cells`` (done/planned), ``status``
(complete, partial, damaged), ``device``, ``date`` (when its last cell finished), ``best`` (the
system with the highest text-to-video R@1 averaged over languages and seeds), ``best_r1`` (that
average, in [0, 1]), ``folder``, ``problem`` (why a run is partial or damaged).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..errors import UserError
from ..layout import RunFolder

if TYPE_CHECKING:
    import polars as pl

    from .load import RunMeta

COLUMNS: dict[str, str] = {
    "run_id": "str", "dataset": "str", "teachers": "str", "mode": "str", "seeds": "str",
    "cells": "str", "status": "str", "device": "str", "date": "str", "best": "str",
    "best_r1": "float", "folder": "str", "problem": "str",
}  # fmt: skip
#: how deep below DIR run folders are looked for (runs/<sweep>/<run> is two levels)
MAX_DEPTH = 4


def find_run_folders(root: Path) -> list[Path]:
    """Folders under ``root`` (``root`` included) that c2kd-analyze made a run in, sorted: a
    ``config.json`` with its checksum, or a ``cells/`` folder (a model folder's own
    ``config.json``, an exported student's, is no run)."""
    found: list[Path] = []
    base = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if "config.json" + io.CHECKSUM_SUFFIX in filenames or "cells" in dirnames:
            found.append(here)
            dirnames.clear()  # a run's own folders (cells/, figures/) hold no runs
            continue
        if len(here.parts) - base >= MAX_DEPTH:
            dirnames.clear()
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    return sorted(found)


def index_runs(root: str | Path) -> pl.DataFrame:
    """One row per run folder under ``root`` (see the module docstring for the columns)."""
    import polars as pl

    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserError(f"{root} is not a folder; pass the folder that holds your run folders")
    rows = [_row(path) for path in find_run_folders(root)]
    schema = {name: pl.Float64 if kind == "float" else pl.String for name, kind in COLUMNS.items()}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _row(path: Path) -> dict[str, Any]:
    from .load import read_meta

    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["folder"] = str(path)
    try:
        meta = read_meta(path)
    except UserError as exc:  # config.json damaged, unreadable, not a run record
        return {**row, "run_id": path.name, "status": "damaged", "problem": str(exc)}
    planned = len(meta.planned) if meta.planned is not None else None
    row.update(
        run_id=meta.run_id,
        dataset=meta.dataset,
        teachers=",".join(meta.teachers),
        mode=str(meta.config.get("mode", "")),
        seeds=",".join(map(str, meta.config.get("seeds", []))),
        cells=f"{len(meta.done)}/{planned if planned is not None else '?'}",
        device=_device(meta),
        date=_finished(path, meta),
    )
    row["problem"] = meta.partial_line()
    row["status"] = "damaged" if meta.damaged else ("partial" if row["problem"] else "complete")
    try:
        best = _best(path, meta)
    except UserError as exc:
        return {**row, "status": "damaged", "problem": str(exc)}
    if best is not None:
        row["best"], row["best_r1"] = best
    return row


def _device(meta: RunMeta) -> str | None:
    """``cpu, fp32`` or ``cuda:0 x 8, bf16``: where it ran, short (the report has the model)."""
    if not meta.device:
        return None
    ranks = int(meta.device.get("world_size") or 1)
    where = str(meta.device.get("device", "?")) + (f" x {ranks}" if ranks > 1 else "")
    return f"{where}, {meta.config.get('precision', 'fp32')}"


def _finished(path: Path, meta: RunMeta) -> str | None:
    """When the run's last done cell (or its config) was written, local time, to the minute."""
    folder = RunFolder(path)
    stamps = []
    for file in [folder.config, *(folder.cell(c).done for c in meta.done)]:
        try:
            stamps.append(file.stat().st_mtime)
        except OSError:
            continue
    if not stamps:
        return None
    return dt.datetime.fromtimestamp(max(stamps)).strftime("%Y-%m-%d %H:%M")


def _best(path: Path, meta: RunMeta) -> tuple[str, float] | None:
    """The system with the highest t2v R@1 averaged over languages (mean over seeds)."""
    import polars as pl

    from .compat import result_fills
    from .systems import add_methods
    from .tables import AVG, summarize

    frames = [io.read_parquet(RunFolder(path).cell(c).metrics) for c in meta.done]
    if not frames:
        return None
    results = pl.concat(frames, how="diagonal_relaxed")
    r1 = results.filter(
        (pl.col("metric") == "recall") & (pl.col("k") == 1) & (pl.col("direction") == "t2v")
    )
    if r1.is_empty():
        return None
    fills = {c: e for c, e in result_fills(meta.config).items() if c not in r1.columns}
    r1 = add_methods(r1.with_columns(**fills), meta.teachers)  # an older run's rows: compat
    avg = summarize(r1).filter(pl.col("lang") == AVG).sort("mean", descending=True)
    return str(avg["method"][0]), float(avg["mean"][0])


def runs_text(frame: pl.DataFrame, fmt: str) -> str:
    """The index as ``md`` (a Markdown table), ``csv`` or ``json`` (records) text; R@1 x100 in
    ``md``, a fraction in the others (as every stored number)."""
    import json

    import polars as pl

    if fmt == "csv":
        return frame.write_csv()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), indent=2) + "\n"
    from .export import to_markdown
    from .formatting import pct_expr

    shown = frame.with_columns(pct_expr(pl.col("best_r1")).alias("best_r1")).rename(
        {"best_r1": "best R@1 (%)"}
    )
    return to_markdown(shown.drop("problem", "folder").fill_null("–"))
