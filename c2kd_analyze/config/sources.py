"""Where a run's settings come from, and how they merge: preset < config file < command line,
each value with its source (so every mistake names where it came from)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import validated
from .files import NONE, ConfigFile, read_config_file
from .presets import preset
from .schema import DEFAULT_TEACHERS, NULLABLE, MaxTokens, RunConfig


def _as_table(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        try:
            return dict(value)
        except (TypeError, ValueError):
            return None
    return None


#: settings that are tables: each source sets some keys, and a later source overrides those keys
#: only (``--dataset-option seed=1`` keeps a config file's ``n_train``)
TABLES: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "dataset_options": _as_table,
    "teacher_lr": _as_table,
    "max_tokens": MaxTokens.parts,
}


def merge_sources(layers: list[tuple[str, dict[str, Any]]]) -> tuple[dict, dict[str, str]]:
    """Values from ``layers`` ((source, values), lowest first: preset < file < options), and
    where each came from: ``sources[field]``, and ``sources["field.key"]`` for each key of a
    table (:data:`TABLES`), which merge per key."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for where, layer in layers:
        for name, value in layer.items():
            parse = TABLES.get(name)
            new = parse(value) if parse else None
            if new is not None:
                old = parse(values[name]) if parse and name in values else None
                value = {**(old or {}), **new}
                sources.update({f"{name}.{key}": where for key in new})
            values[name] = value
            sources[name] = where
    return values, sources


def _layers(files: list[tuple[str, ConfigFile]], given: dict[str, Any]) -> list:
    """The sources in order: each file's values (then its full-mode table when the run is in
    full mode, by whichever source last sets ``mode``), then the options."""
    mode = None
    for _, f in files:
        mode = f.values.get("mode", mode)
    mode = given.get("mode", mode)
    layers: list[tuple[str, dict[str, Any]]] = []
    for where, f in files:
        layers.append((where, dict(f.values)))
        if mode == "full" and f.full_mode:
            layers.append((f"{where} (full mode)", dict(f.full_mode)))
    return [*layers, ("the command line", given)]


def _drop_preset_lr_of_others(values: dict, sources: dict[str, str], teachers) -> None:
    """A preset's per-teacher lr for a teacher the run does not use does not apply (RUDDER's
    ``muse-distil`` lr with ``--teachers muse``); the user's own is still checked."""
    table = TABLES["teacher_lr"](values.get("teacher_lr")) if "teacher_lr" in values else None
    if not table:
        return
    unused = [
        name for name in table
        if name not in teachers and sources.get(f"teacher_lr.{name}", "").startswith("preset")
    ]  # fmt: skip
    for name in unused:
        del table[name]
        sources.pop(f"teacher_lr.{name}")
    values["teacher_lr"] = table


def build_config(
    preset_name: str = "demo", file: str | Path | None = None, **options: Any
) -> RunConfig:
    """Preset, then TOML file, then options that are not None (tables merge per key: see
    :data:`TABLES`); each file's ``[full_mode]`` table on top of it in full mode. Raises
    UserError on bad values."""
    return configure(preset_name, file, **options)[0]


def configure(
    preset_name: str = "demo", file: str | Path | None = None, **options: Any
) -> tuple[RunConfig, dict[str, str]]:
    """:func:`build_config`, and where each value came from: field (or ``field.key`` of a
    table) -> ``preset NAME``, ``config file PATH`` or ``the command line``; a field absent
    from it has its default."""
    given = {k: v for k, v in options.items() if v is not None}
    files = [(f"preset {preset_name}", preset(preset_name))]
    if file is not None:
        files.append((f"config file {file}", read_config_file(file)))
    values, sources = merge_sources(_layers(files, given))
    for name in NULLABLE:  # `--pool none`, `encoder_lr = "none"`: unset (a preset's value too)
        if isinstance(values.get(name), str) and values[name].strip().lower() == NONE:
            values[name] = None
    teachers = RunConfig._names(values.get("teachers", DEFAULT_TEACHERS))
    if sources.get("pool", "").startswith("preset") and len(teachers) < 2:
        values["pool"] = None  # a preset's pool needs two teachers; one teacher simply has none
    _drop_preset_lr_of_others(values, sources, teachers)
    values["preset"] = preset_name
    sources["preset"] = "the command line" if preset_name != "demo" else ""
    return validated(values, sources), {k: v for k, v in sources.items() if v}
