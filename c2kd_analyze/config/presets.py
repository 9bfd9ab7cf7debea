"""Named recipes as data: ``presets/<name>.toml``, config files like any ``--config`` file (the
same keys, read and checked by the same loader, :func:`.files.read_config_file`), so a preset
is what a user could have written, and a user's file can serve as their own preset.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..errors import UserError
from .files import ConfigFile, read_config_file

PRESET_DIR = Path(__file__).with_name("presets")
#: a named config file
Preset = ConfigFile


@functools.cache
def presets() -> dict[str, Preset]:
    """Every preset, by name (``demo`` first, then the paper's, in name order)."""
    found = {p.stem: read_config_file(p) for p in sorted(PRESET_DIR.glob("*.toml"))}
    return {"demo": found.pop("demo"), **found}


def preset(name: str) -> Preset:
    known = presets()
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown preset {name!r}{hint} (presets: {', '.join(known)})")
    return known[name]
