"""The Python API: run an experiment, read a run folder back, write a report.

Every CLI command is a thin layer over one of these calls, so a notebook gets the same numbers,
the same checks and the same one-line errors (:class:`~c2kd_analyze.errors.UserError`; nothing
here exits the process):

>>> import c2kd_analyze as c2kd
>>> run = c2kd.run(teachers=["muse"], student="muse", epochs=1,  # doctest: +SKIP
...                dataset_options={"n_train": 200, "n_test": 50}, out="runs/quick")
>>> run.table()  # doctest: +SKIP
>>> c2kd.load_run("runs/quick").results  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UserError

if TYPE_CHECKING:
    import polars as pl

    from .analysis.load import LoadedRuns
    from .config import RunConfig
    from .distill.shard import Shard
    from .progress import Mode as ProgressMode


@dataclass(frozen=True)
class Run:
    """A run folder and what is in it. ``config`` is the resolved config: ``config.run_id`` is
    the folder's run id. ``cells_run`` / ``cells_skipped``: what the call that made it did (empty
    for a run read back with :func:`load_run`)."""

    path: Path
    config: RunConfig
    cells_run: tuple[str, ...] = ()
    cells_skipped: tuple[str, ...] = ()
    seconds: float = 0.0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.config.run_id

    @property
    def loaded(self) -> LoadedRuns:
        """The folder read once (results, ranks, diagnostics, meta), for every view below."""
        if "loaded" not in self._cache:
            from .analysis.load import load_runs

            self._cache["loaded"] = load_runs([self.path])
        return self._cache["loaded"]

    @property
    def results(self) -> pl.DataFrame:
        """Every number of the run's finished cells, one row each (``results.RESULT_COLUMNS``)."""
        return self.loaded.results

    @property
    def cells(self) -> list[str]:
        """The finished cells, in plan order."""
        return list(next(iter(self.loaded.meta.values())).done)

    @property
    def report_path(self) -> Path | None:
        """``report.html`` when the folder holds a complete report, else None."""
        from . import io
        from .layout import RunFolder

        html = RunFolder(self.path).report_html
        return html if io.is_valid(html) else None

    def table(self, direction: str = "t2v", k: int = 1) -> pl.DataFrame:
        """The results table ``run`` prints: one row per system, R@k x100 per language and the
        average (``mean ± std`` over seeds when there are several), as text."""
        import polars as pl

        from .analysis.tables import results_table

        meta = next(iter(self.loaded.meta.values()))
        header, rows = results_table(
            self.results, languages=list(meta.languages), teachers=list(meta.teachers),
            direction=direction, k=k, pool=meta.pool,
        )  # fmt: skip
        return pl.DataFrame(rows, schema=header, orient="row")

    def warnings(self) -> list[str]:
        """``warning: ...`` lines: tied scores (per direction) and missing or damaged cells."""
        from .analysis.ties import tie_warnings

        meta = next(iter(self.loaded.meta.values()))
        partial = meta.partial_line()
        return [*tie_warnings(loaded=self.loaded), *([f"warning: {partial}"] if partial else [])]

    def report(self, out: str | Path | None = None, *, resamples: int = 1000, seed: int = 0):
        """Write (or keep, when it is current) the run's report; returns ``report.html``."""
        return report([self.path], out, resamples=resamples, seed=seed, loaded=self.loaded)


def run(
    config: RunConfig | None = None,
    *,
    preset: str = "demo",
    config_file: str | Path | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    data_dir: str | Path | None = None,
    teacher_dirs: dict[str, str | Path] | None = None,
    device: str = "auto",
    shard: Shard | str | None = None,
    progress: bool | ProgressMode = True,
    write_report: bool = True,
    trust_remote_code: bool = False,
    compile: bool = False,
    deterministic: bool = False,
    report_to: str | list[str] | None = None,
    **settings: Any,
) -> Run:
    """Train and evaluate every cell of a run not yet done in its folder; returns the :class:`Run`.

    ``config``: a :class:`~c2kd_analyze.config.RunConfig`, or none to build one from ``preset``,
    ``config_file`` and ``settings`` (any config field: ``teachers=["muse"]``, ``seeds=[0, 1]``,
    ``dataset_options={"n_train": 500}``, ...; tables merge per key over the preset's and the
    file's). The other arguments are ``c2kd-analyze run``'s options. ``progress``: True (bars
    on a terminal, lines elsewhere), False (nothing), or a mode of
    :mod:`c2kd_analyze.progress` (``"bars"``, ``"lines"``, ``"quiet"``). ``write_report``: write
    the report when the run holds every cell (never for one shard). ``report_to``: experiment
    trackers (``["tensorboard", "wandb", "trackio"]``, any subset).
    """
    from .distill.execution import Execution
    from .distill.runner import run_experiment
    from .distill.shard import Shard
    from .progress import progress_mode
    from .tracking import parse_report_to

    cfg = _config(config, preset, config_file, settings)
    part = shard if isinstance(shard, Shard) else Shard.parse(shard)
    trackers = parse_report_to(report_to)
    mode: ProgressMode = "auto" if progress is True else "quiet" if progress is False else progress
    with progress_mode(mode):
        outcome = run_experiment(
            cfg, out, overwrite=overwrite, data_dir=data_dir, teacher_dirs=_dirs(teacher_dirs),
            progress=mode != "quiet", shard=part, device=device,
            trust_remote_code=trust_remote_code,
            execution=Execution(compile=compile, deterministic=deterministic),
            report_to=trackers,
        )  # fmt: skip
    result = Run(
        outcome.run_dir, outcome.config, outcome.cells_run, outcome.cells_skipped,
        outcome.seconds,
    )  # fmt: skip
    if write_report and part.count == 1 and outcome.results.height:
        result.report()
    return result


def plan(
    config: RunConfig | None = None,
    *,
    preset: str = "demo",
    config_file: str | Path | None = None,
    out: str | Path | None = None,
    data_dir: str | Path | None = None,
    teacher_dirs: dict[str, str | Path] | None = None,
    device: str = "auto",
    shard: Shard | str | None = None,
    trust_remote_code: bool = False,
    sources: dict[str, str] | None = None,
    **settings: Any,
) -> list[str]:
    """What ``run --dry-run`` prints: the resolved config (each value with its source), the
    models and whether their weights are here, the device and the cell plan. Runs nothing."""
    from .distill.runner import describe_run
    from .distill.shard import Shard

    if config is None:
        from .config import configure

        config, sources = configure(preset, config_file, **settings)
    part = shard if isinstance(shard, Shard) else Shard.parse(shard)
    return describe_run(
        config, out, data_dir=data_dir, teacher_dirs=_dirs(teacher_dirs), shard=part,
        device=device, trust_remote_code=trust_remote_code, sources=sources or {},
    )  # fmt: skip


def save_config(
    config: RunConfig, path: str | Path, *, device: str = "auto", data_dir: str | Path | None = None
) -> Path:
    """Write ``config``'s settings to ``path`` as a config file (resolved for ``device`` and
    ``data_dir`` as a run would be, so its run id is the run's); returns the path."""
    from . import io
    from .config.files import config_toml
    from .distill.runner import resolve_config

    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"--save-config {path} is a folder; give a file name, e.g. run.toml")
    text = config_toml(resolve_config(config, device, data_dir))
    try:
        with io.atomic_path(path) as tmp:
            tmp.write_text(text)
    except OSError as exc:
        raise io.write_error(path, exc) from exc
    return path


def load_run(path: str | Path) -> Run:
    """A run folder written by :func:`run` (or ``c2kd-analyze run``), read back."""
    from .analysis.load import read_meta
    from .config import RunConfig

    meta = read_meta(Path(path))
    try:
        config = RunConfig.model_validate(meta.config)
    except Exception as exc:  # pydantic: a config of another version of the tool
        raise UserError(
            f"{path}: its config.json was written by another version of c2kd-analyze and does not "
            f"read as this version's config ({type(exc).__name__}); read its results with "
            "c2kd_analyze.analysis.load.load_runs"
        ) from None
    if config.run_id != meta.run_id:
        raise UserError(f"{path}: config.json's run id {meta.run_id} is not its config's")
    return Run(Path(path), config)


def report(
    paths: list[str | Path] | str | Path,
    out: str | Path | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
    loaded: LoadedRuns | None = None,
) -> Path:
    """Write the report of one or several run folders (``out``: default the single run folder);
    returns ``report.html``. A report whose inputs are unchanged is kept as it is."""
    from .analysis.report import write_report

    folders = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    return write_report(folders, Path(out) if out else None, n_resamples=resamples, seed=seed,
                        loaded=loaded)  # fmt: skip


def _config(config, preset: str, config_file, settings: dict[str, Any]) -> RunConfig:
    if config is not None:
        if settings or config_file is not None:
            raise UserError("give either a RunConfig or settings (and a config file), not both")
        return config
    from .config import build_config

    return build_config(preset, config_file, **settings)


def _dirs(teacher_dirs: dict[str, str | Path] | None) -> dict[str, Path]:
    return {name: Path(folder) for name, folder in (teacher_dirs or {}).items()}
