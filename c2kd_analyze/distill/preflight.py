"""Checks that run before any work, and the plan a ``--dry-run`` prints.

Everything here is cheap (no data loaded, no model built), so a mistake in the command line, a
missing model or a plan a user wants to see costs well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config import TABLES, RunConfig
from ..errors import UserError

if TYPE_CHECKING:
    from ..data.types import Dataset
    from .shard import Shard


def check_inputs(
    cfg: RunConfig,
    teacher_dirs: dict[str, Path],
    data_dir: str | Path | None,
    trust_remote_code: bool = False,
    *,
    need_data: bool = True,
) -> None:
    """What the user named exists and fits, checked without loading anything: teachers and the
    student are registered and may run, every ``--teacher-dir`` names a registered teacher and
    a model folder, and the data options suit the dataset (``need_data=False``, for a plan: a
    dataset's folder may still be missing)."""
    from ..data import dataset_info
    from ..data.registry import data_folder
    from ..teachers import get_spec
    from ..teachers.loader import refuse_remote_code
    from ..teachers.sources import check_folder

    for name in cfg.teachers:
        get_spec(name)  # an unknown name fails here, with a suggestion
    try:
        get_spec(cfg.student)
    except UserError as exc:  # the registry speaks of teachers; say which option was wrong
        raise UserError(f"--student: {exc}") from None
    for name in (*cfg.teachers, cfg.student):
        refuse_remote_code(get_spec(name), trust_remote_code)
    for name, folder in teacher_dirs.items():
        try:
            spec = get_spec(name)
        except UserError as exc:
            raise UserError(f"--teacher-dir: {exc}") from None
        check_folder(spec, Path(folder))
    info = dataset_info(cfg.dataset)
    if cfg.features is not None and cfg.features not in info.features:
        raise UserError(
            f"dataset {info.name!r} has no {cfg.features!r} features; "
            f"choose {' or '.join(info.features)}"
        )
    if info.needs_data_dir and data_dir is None and need_data:
        raise UserError(f"dataset {info.name!r} needs --data-dir: the folder that holds its files")
    if not info.needs_data_dir and data_dir is not None:
        raise UserError(f"dataset {info.name!r} is built in and takes no --data-dir")
    if data_dir is not None:
        data_folder(info, data_dir)  # empty, missing, or a file: one line


def check_models(cfg: RunConfig, teacher_dirs: dict[str, Path]) -> None:
    """Every teacher's and the student's weights are here (a folder given, the bundled package,
    or the local Hugging Face cache).

    Names every model whose weights are missing in one line (a paper preset needs four hub
    models: the user learns all of them at once, not one per attempt).
    """
    from ..teachers import get_spec
    from ..teachers.sources import TEACHER_DIRS_ENV, bundled_teacher_names, resolve_folder

    missing: list[str] = []
    models = dict.fromkeys(cfg.teachers, "teacher")
    models.setdefault(cfg.student, "student")
    for name, role in models.items():
        spec = get_spec(name)
        if spec.bundled or name in teacher_dirs:  # checked by check_inputs
            continue
        try:
            resolve_folder(spec, None)
        except UserError:
            missing.append(f"{name} ({spec.model}, {role})")
    if missing:
        first = missing[0].split(" ")[0]
        raise UserError(
            f"no local weights for {', '.join(missing)}; run `c2kd-analyze teachers fetch NAME` "
            f"where the Hugging Face hub is reachable, or pass --teacher-dir NAME=DIR (or "
            f"{TEACHER_DIRS_ENV}) for each, e.g. --teacher-dir {first}=/models/{first}; "
            f"bundled teachers that work offline: {', '.join(bundled_teacher_names())}"
        )


def check_dataset(cfg: RunConfig, dataset: Dataset) -> None:
    """The data is usable (the same check as ``datasets check``) and fits the recipe."""
    from ..data import check_usable

    check_usable(dataset)  # again: a dataset passed in memory skipped the loader's check
    wanted = cfg.data_fingerprint or ""
    loaded = dataset.source_fingerprint[: len(wanted)]
    if wanted and dataset.source_fingerprint and loaded != wanted:
        raise UserError(
            f"the data in {dataset.source} changed while the run started (files fingerprint "
            f"{loaded}, the run id was made with {cfg.data_fingerprint}); run the command again"
        )
    if cfg.batch_size > dataset.train.n_clips:
        raise UserError(
            f"--batch-size {cfg.batch_size} is larger than the {dataset.train.n_clips} training "
            f"clips of {dataset.name!r}; use at most {dataset.train.n_clips} (the paper: 64)"
        )


def value_source(name: str, value: object, sources: dict[str, str]) -> str:
    """Where a config value came from, in words: ``default``, ``preset NAME``, ``config file
    PATH``, ``option --flag``; for a table, each key's source."""
    from ..config import flag_of

    def said(where: str | None) -> str:
        if where is None:
            return "default"
        return f"option {flag_of(name)}" if where == "the command line" else where

    if name == "preset":
        return "option --preset" if sources.get("preset") else "default"
    if name == "data_fingerprint":
        return "the files the dataset's reader reads"
    if name == "precision" and sources.get(name) is None:
        return f"default auto, for {value} on this device"
    if name in TABLES:
        keys = [k for k in sources if k.startswith(name + ".")]
        if keys:
            by_source: dict[str, list[str]] = {}
            for key in keys:
                by_source.setdefault(said(sources[key]), []).append(key.split(".", 1)[1])
            return "; ".join(f"{', '.join(ks)}: {where}" for where, ks in by_source.items())
    return said(sources.get(name))


def _shown(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def describe_run(
    cfg: RunConfig,
    run_dir: Path,
    *,
    teacher_dirs: dict[str, Path],
    shard: Shard,
    device: str,
    sources: dict[str, str] | None = None,
) -> list[str]:
    """What ``run --dry-run`` prints: the resolved config (each value with where it came from:
    ``sources``, see :func:`~c2kd_analyze.config.configure`), the models, the device, the
    cells."""
    from ..data import dataset_info
    from ..teachers import get_spec
    from ..teachers.sources import is_offline_ready
    from .plan import plan_cells

    lines = [f"run {cfg.run_id} -> {run_dir}", f"device {device}, precision {cfg.precision}"]
    if dataset_info(cfg.dataset).needs_data_dir and not cfg.data_fingerprint:
        lines.append(f"data: MISSING: dataset {cfg.dataset!r} needs --data-dir to run")
    lines.append("")
    lines.append("config:")
    for name, value in cfg.to_dict().items():
        if name == "data_fingerprint" and not value:
            continue
        if name in TABLES:  # merged per key from every source: key=value,...
            table = TABLES[name](value) or {}
            shown = ",".join(f"{k}={_shown(v)}" for k, v in table.items()) or "(none)"
        else:
            shown = ",".join(map(str, value)) if isinstance(value, list) else value
        lines.append(f"  {name} = {shown}    ({value_source(name, value, sources or {})})")
    lines += ["", "models:"]
    for name, role in [*((t, "teacher") for t in cfg.teachers), (cfg.student, "student")]:
        spec = get_spec(name)
        here = name in teacher_dirs or is_offline_ready(spec)
        lines.append(
            f"  {role:<7} {name:<14} {spec.model_id}  "
            f"{'ready' if here else 'MISSING: no local weights'}"
        )
    cells = plan_cells(cfg)
    mine = set(map(id, shard.select(cells)))
    lines += ["", f"cells ({len(cells)}{f', shard {shard}' if shard.count > 1 else ''}):"]
    for i, cell in enumerate(cells):
        mark = "" if id(cell) in mine else "  (another shard)"
        lines.append(f"  {i:>3}  {cell.name}{mark}")
    return lines
