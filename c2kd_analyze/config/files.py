"""Config files, and presets, which are config files too: TOML whose top-level keys are
:class:`~.schema.RunConfig` fields, plus an optional ``description`` and an optional
``[full_mode]`` table of fields that apply on top with ``--mode full``::

    description = "my sweep"
    teachers = ["muse", "me5-small"]
    epochs = 10
    [full_mode]
    lr = 1e-4
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from .schema import FIELDS

#: what a config file may hold besides config fields
DESCRIPTION, FULL_MODE = "description", "full_mode"
#: TOML has no null: ``"none"`` unsets a field that may be unset (``pool = "none"``)
NONE = "none"


@dataclass(frozen=True)
class ConfigFile:
    """A config file's settings: ``values``, and ``full_mode`` on top of them in full mode."""

    path: Path
    description: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    full_mode: dict[str, Any] = field(default_factory=dict)


def read_config_file(path: str | Path) -> ConfigFile:
    """Read and check a config file (every key a settable field): one line on a mistake."""
    path = Path(path)
    data = read_toml(path)
    description = data.pop(DESCRIPTION, "")
    full_mode = data.pop(FULL_MODE, {})
    if not isinstance(description, str) or not isinstance(full_mode, dict):
        raise UserError(
            f"config file {path}: {DESCRIPTION} must be a text and [{FULL_MODE}] a table of "
            "config keys"
        )
    check_keys(data, path)
    check_keys(full_mode, path)
    return ConfigFile(path, description, data, full_mode)


def load_toml(path: str | Path) -> dict[str, Any]:
    """A config file's values (its ``[full_mode]`` table aside)."""
    return read_config_file(path).values


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; one line for a missing, unreadable or invalid file."""
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is no TOML statement
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise UserError(f"config file {path} not found") from exc
    except IsADirectoryError as exc:
        raise UserError(f"config file {path} is a folder; give a .toml file") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"config file {path} is not UTF-8 text; give a .toml file") from exc
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from exc
    return data


def check_keys(data: dict[str, Any], path: Path) -> None:
    """Every key is a settable config field (one line naming the others, with close names)."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise UserError(f"config file {path} has {_unknown_keys(unknown)}")


def _unknown_keys(unknown: list[str]) -> str:
    """``unknown key 'epoch' (did you mean 'epochs'?); ...``: short, with close names only."""
    import difflib

    close = {k: difflib.get_close_matches(k, sorted(FIELDS), n=1) for k in unknown}
    hints = [f"{k!r} (did you mean {close[k][0]!r}?)" if close[k] else repr(k) for k in unknown]
    what = "unknown key" if len(unknown) == 1 else "unknown keys"
    return (
        f"{what} {', '.join(hints)}; `c2kd-analyze run --dry-run` lists every key under 'config:'"
    )


def config_toml(cfg: Any) -> str:
    """A config file that gives ``cfg`` back: every settable field at its value (a resolved
    config's precision as resolved), so ``run --config`` on it reproduces the run id, whatever
    the preset. A run folder holds one as ``config.toml``."""
    import tomli_w

    from .schema import TABLES_OF_PAIRS

    values = {}
    for name, value in cfg.to_dict().items():
        if name not in FIELDS:
            continue
        if name in TABLES_OF_PAIRS:
            value = dict(value)
        if value is None:
            value = NONE  # unset, and no preset's value comes back
        if value == {} or value == []:
            continue
        values[name] = value
    head = (
        f"# c2kd-analyze run {cfg.run_id}: every setting of the run. `c2kd-analyze run --config "
        "this-file` runs it again\n# (the same run id on the same data; a preset given beside it "
        "changes nothing)\n"
        if cfg.is_resolved
        else "# c2kd-analyze run settings (`c2kd-analyze run --config this-file`)\n"
    )
    return head + tomli_w.dumps(values)
