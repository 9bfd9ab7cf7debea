"""``run``'s options, generated: one per config setting (``config.settings.SETTINGS``) and the
options that say where and how a run works (folders, device, output), declared here once.

typer reads a command's options from its function's signature; :func:`command_signature`
builds that signature, so the command itself takes ``**options`` and hands the config settings
to the API without spelling them out again.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ..config.settings import (
    DATA,
    EVALUATION,
    EXECUTION,
    MODEL,
    OUTPUT,
    RECIPE,
    SETTINGS,
    TEACHERS,
    Setting,
)
from .options import DEVICE_HELP, TEACHER_DIR_HELP, TRUST_REMOTE_CODE_HELP, data_dir_path

_TYPES: dict[str, Any] = {"text": str | None, "int": int | None, "float": float | None,
                          "pairs": list[str] | None, "switch": bool | None}  # fmt: skip


def shown_default(value: Any) -> str:
    """A setting's default as ``run --help`` and the README show it."""
    if value is None or value == () or value == {}:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _config_option(setting: Setting) -> inspect.Parameter:
    from ..config import default_of

    default = shown_default(default_of(setting.field))
    decls = [setting.option] if setting.option else []
    if setting.kind == "switch" and setting.option:  # --x/--no-x: unset means the file's value
        decls = [f"{setting.option}/--no-{setting.option[2:]}"]
    option = typer.Option(
        None, *decls,
        help=f"{setting.help} (default: {default})", rich_help_panel=setting.panel,
        show_default=False, metavar=setting.metavar,
    )  # fmt: skip
    return inspect.Parameter(
        setting.field, inspect.Parameter.KEYWORD_ONLY, default=option,
        annotation=_TYPES[setting.kind],
    )  # fmt: skip


@dataclass(frozen=True)
class RunOption:
    """An option of ``run`` that is no config setting: where and how the run works."""

    name: str
    annotation: Any
    option: Any  # the typer.Option


def _opt(
    name: str, annotation: Any, default: Any, *flags: str, shown: str | None = None, **kw: Any
) -> RunOption:
    """A run option whose help ends with its default (``shown``: how to say it)."""
    if annotation is not bool:
        kw["help"] = f"{kw['help']} (default: {shown or shown_default(default)})"
    return RunOption(name, annotation, typer.Option(default, *flags, show_default=False, **kw))


RUN_OPTIONS: tuple[RunOption, ...] = (
    _opt("data_dir", Path | None, None, "--data-dir", help="Folder holding the dataset's files "
         "(the C2KD release's data/ folder, or a generic-format folder).", rich_help_panel=DATA,
         parser=data_dir_path, metavar="DIR", shown="none"),
    _opt("teacher_dir", list[str] | None, None, "--teacher-dir", help=TEACHER_DIR_HELP,
         rich_help_panel=TEACHERS, metavar="NAME=DIR", shown="none"),
    _opt("trust_remote_code", bool, False, "--trust-remote-code", help=TRUST_REMOTE_CODE_HELP,
         rich_help_panel=TEACHERS),
    _opt("preset", str, "demo", "--preset", help="A named recipe (a config file shipped with "
         "the tool): demo, paper-msrvtt, paper-youcook2, paper-vatex, paper-rudder; a paper "
         "preset sets the paper's dataset, student, teachers, mode and recipe.",
         rich_help_panel=RECIPE, metavar="NAME"),
    _opt("config", Path | None, None, "--config", help="TOML file of settings (the keys are "
         "this command's settings with underscores), over the preset.", rich_help_panel=RECIPE,
         metavar="FILE", shown="none"),
    _opt("device", str, "auto", "--device", help=DEVICE_HELP, rich_help_panel=EXECUTION,
         metavar="DEVICE"),
    _opt("shard", str | None, None, "--shard", help="I/N: run only the cells whose index mod N "
         "is I (one shared --out; no report: run `c2kd-analyze report` when every shard is "
         "done).", rich_help_panel=EXECUTION, metavar="I/N", shown="the whole run"),
    _opt("progress", bool, True, "--progress/--no-progress", help="Progress bars on a "
         "terminal; with --no-progress, or when stderr is no terminal (a log file, a SLURM "
         "job), plain lines instead: each cell's start and end (seconds, final loss, R@1 "
         "average) and about every 10 % of long work.", rich_help_panel=EXECUTION),
    _opt("quiet", bool, False, "--quiet", "-q", help="No progress at all, neither bars nor "
         "lines (warnings and errors still show).", rich_help_panel=EXECUTION),
    _opt("compile_", bool, False, "--compile", help="Run the fine-tuned text encoder (--mode "
         "full) under torch.compile; needs a C compiler. Same numbers up to float rounding.",
         rich_help_panel=EXECUTION),
    _opt("deterministic", bool, False, "--deterministic", help="Deterministic algorithms only "
         "(bitwise-repeatable GPU runs; an op without one stops the run). CPU runs repeat "
         "without it.", rich_help_panel=EXECUTION),
    _opt("dry_run", bool, False, "--dry-run", help="Print the resolved config (each value with "
         "its source), the models and the cell plan; run nothing.", rich_help_panel=EXECUTION),
    _opt("save_config", Path | None, None, "--save-config", help="Write the run's settings to "
         "FILE as a config file (what the run folder's config.toml holds: `run --config FILE` "
         "runs it again); with --dry-run, without running.", rich_help_panel=OUTPUT,
         metavar="FILE", shown="none"),
    _opt("out", Path | None, None, "--out", "-o", help="The run folder.",
         rich_help_panel=OUTPUT, metavar="DIR", shown="runs/<run id>"),
    _opt("overwrite", bool, False, "--overwrite", help="Replace a run of another config in "
         "--out (only the files c2kd-analyze wrote are removed).", rich_help_panel=OUTPUT),
    _opt("report", bool, True, "--report/--no-report", help="Write the analysis report at "
         "the end.", rich_help_panel=OUTPUT),
    _opt("report_to", str | None, None, "--report-to", help="Experiment trackers, any of "
         "tensorboard, wandb, trackio (comma-separated): per cell the config, the loss and lr of "
         "every step and the test metrics; each an extra: pip install "
         "'c2kd-analyze[tensorboard]'.", rich_help_panel=OUTPUT, metavar="NAMES",
         shown="none"),
)  # fmt: skip


def command_signature() -> inspect.Signature:
    """Every option of ``run``: the config settings, then the run options."""
    params = [_config_option(s) for s in SETTINGS if s.option is not None]
    keyword = inspect.Parameter.KEYWORD_ONLY
    params += [inspect.Parameter(o.name, keyword, default=o.option, annotation=o.annotation)
               for o in RUN_OPTIONS]  # fmt: skip
    return inspect.Signature(params)


def config_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The config settings among ``run``'s parsed options, as the config reads them (KEY=VALUE
    lists as tables, a teacher's lr as a number)."""
    settings: dict[str, Any] = {}
    for s in SETTINGS:
        value = options.get(s.field)
        if value is None or (s.kind == "pairs" and not value):
            continue
        settings[s.field] = _pairs(value, s) if s.kind == "pairs" else value
    return settings


def _pairs(items: list[str], setting: Setting) -> dict[str, Any]:
    """``KEY=VALUE`` items as a table (the config validates their types); ``--teacher-lr``'s
    values as numbers."""
    from ..errors import UserError

    flag, example = (
        setting.option,
        "muse-distil=1e-4" if setting.field == "teacher_lr" else ("n_train=500"),
    )
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"bad {flag} {item!r}; write KEY=VALUE, e.g. {flag} {example}")
        out[key.strip()] = value.strip()
    if setting.field == "teacher_lr":
        for name, value in out.items():
            try:
                out[name] = float(value)
            except ValueError:
                raise UserError(f"--teacher-lr {name} needs a number, got {value!r}") from None
    return out


def options_table_markdown() -> str:
    """The README's table of ``run``'s options (a test keeps the two identical)."""
    order = [DATA, TEACHERS, RECIPE, MODEL, EVALUATION, EXECUTION, OUTPUT]
    params = sorted(
        command_signature().parameters.values(),
        key=lambda p: order.index(p.default.rich_help_panel),
    )
    rows = ["| option | panel | what it sets | default |", "|---|---|---|---|"]
    for param in params:
        info = param.default
        flags = " / ".join(f"`{d}`" for d in info.param_decls)
        text, default = _help_and_default(info.help or "", info.default)
        panel = info.rich_help_panel or ""
        rows.append(f"| {flags} | {panel} | {text.replace('|', '/')} | {default} |")
    return "\n".join(rows) + "\n"


def _help_and_default(text: str, value: Any) -> tuple[str, str]:
    """A help text split into what it says and its trailing ``(default: ...)`` (a switch: on
    or off)."""
    if isinstance(value, bool):
        return text, "on" if value else "off"
    head, _, tail = text.rpartition(" (default: ")
    return head, tail[:-1]
