"""Where everything lives inside a run folder: the one place that spells its file names.

::

    RUN_DIR/config.json        {"run_id", "config", "versions", "git_sha", "dataset", "where", ...}
    RUN_DIR/config.toml        every setting of the run: `run --config` on it runs it again
    RUN_DIR/.lock              the run folder's lock (shards, torchrun, concurrent runs)
    RUN_DIR/.active            share-locked by every process working on the run (see runner)
    RUN_DIR/cells/<cell>/metrics.parquet      results.RESULT_COLUMNS
    RUN_DIR/cells/<cell>/ranks.parquet        results.RANK_COLUMNS
    RUN_DIR/cells/<cell>/history.parquet      results.HISTORY_COLUMNS
    RUN_DIR/cells/<cell>/diagnostics.parquet  results.DIAGNOSTIC_COLUMNS
    RUN_DIR/cells/<cell>/validation.parquet   results.RESULT_COLUMNS, split "val" (optional:
                                              only in a run with --val-fraction)
    RUN_DIR/cells/<cell>/done.json            written last: the cell is complete
    RUN_DIR/cells/<cell>/.lock                held by the process running the cell
    RUN_DIR/results.parquet, history.parquet  concatenations of the cells' files
    RUN_DIR/report.md, report.html, figures/, tables/   written by `c2kd-analyze report`
    RUN_DIR/tracking/          `--report-to` trackers' own files (TensorBoard events, wandb)

Writers (the runner, the cell writer), readers (the report's loader) and clean-up all go through
:class:`RunFolder`, so a rename cannot break resume or the report silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".lock"
ACTIVE_NAME = ".active"


@dataclass(frozen=True)
class CellFolder:
    """One cell's folder: its four tables, its completion marker and its claim lock."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.parquet"

    @property
    def ranks(self) -> Path:
        return self.path / "ranks.parquet"

    @property
    def history(self) -> Path:
        return self.path / "history.parquet"

    @property
    def diagnostics(self) -> Path:
        return self.path / "diagnostics.parquet"

    @property
    def validation(self) -> Path:
        """Per-epoch validation rows; only a cell of a run with ``--val-fraction`` has one."""
        return self.path / "validation.parquet"

    @property
    def done(self) -> Path:
        return self.path / "done.json"

    @property
    def lock(self) -> Path:
        return self.path / LOCK_NAME

    @property
    def tables(self) -> tuple[Path, Path, Path, Path]:
        """The four tables, in the order they are written (``done`` comes after them)."""
        return (self.metrics, self.ranks, self.history, self.diagnostics)

    @property
    def optional_tables(self) -> tuple[Path]:
        """Tables only some cells have (written after :attr:`tables`, before ``done``)."""
        return (self.validation,)


@dataclass(frozen=True)
class RunFolder:
    """A run folder (see the module docstring); paths only, nothing is read or created."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def config_toml(self) -> Path:
        """The run's settings as a config file (``run --config`` on it runs it again)."""
        return self.path / "config.toml"

    @property
    def lock(self) -> Path:
        return self.path / LOCK_NAME

    @property
    def active(self) -> Path:
        return self.path / ACTIVE_NAME

    @property
    def cells_dir(self) -> Path:
        return self.path / "cells"

    def cell(self, name: str) -> CellFolder:
        return CellFolder(self.cells_dir / name)

    def cell_folders(self) -> Iterator[CellFolder]:
        """Every cell folder present, done or not, sorted by name."""
        if self.cells_dir.is_dir():
            for path in sorted(p for p in self.cells_dir.iterdir() if p.is_dir()):
                yield CellFolder(path)

    @property
    def results(self) -> Path:
        return self.path / "results.parquet"

    @property
    def history(self) -> Path:
        return self.path / "history.parquet"

    @property
    def report_md(self) -> Path:
        return self.path / "report.md"

    @property
    def report_html(self) -> Path:
        return self.path / "report.html"

    @property
    def report_key(self) -> Path:
        """What the report in this folder was made from (its inputs' checksums)."""
        return self.path / "report.key.json"

    @property
    def tracking_dir(self) -> Path:
        """What ``--report-to`` trackers write (their own formats, so no checksums)."""
        return self.path / "tracking"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    @property
    def tables_dir(self) -> Path:
        return self.path / "tables"

    @property
    def run_files(self) -> tuple[Path, ...]:
        """Files of the run itself (``--overwrite`` removes them)."""
        return (
            self.config, self.config_toml, self.results, self.history, self.report_md,
            self.report_html, self.report_key,
        )  # fmt: skip

    @property
    def run_dirs(self) -> tuple[Path, ...]:
        """Folders of the run itself (``--overwrite`` removes them)."""
        return (self.cells_dir, self.figures_dir, self.tables_dir, self.tracking_dir)
