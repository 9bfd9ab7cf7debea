"""The run configuration: a frozen, validated value whose hash names the run.

A config comes from a preset, then a TOML file, then command-line options (later wins; tables
merge per key). Every source goes through one typed validation (:class:`RunConfig`): numbers
are checked strictly, finite and in range, and a mistake is one
:class:`~c2kd_analyze.errors.UserError` line that names the option, the value, what is expected
and where the value came from. Presets are data files (``presets/*.toml``) holding the paper's
setups (docs/method.md §5) and a fast demo recipe.

- :mod:`.schema`: the fields, their types and ranges, the hash and the run id;
- :mod:`.settings`: how each field is set (its option, help, panel, or "file only");
- :mod:`.sources`: presets, files and options merged, with each value's source;
- :mod:`.files` / :mod:`.presets`: TOML files and the named presets;
- :mod:`.errors`: pydantic's errors as one line for people.
"""

from __future__ import annotations

from .errors import validated
from .files import load_toml
from .presets import Preset, preset, presets
from .schema import (
    DEFAULT_TEACHERS,
    FIELDS,
    INTERNAL,
    NOT_HASHED,
    FieldError,
    MaxTokens,
    RunConfig,
)
from .settings import SETTINGS, Setting, default_of, flag_of
from .sources import TABLES, build_config, configure, merge_sources

__all__ = [
    "DEFAULT_TEACHERS", "FIELDS", "INTERNAL", "NOT_HASHED", "SETTINGS", "TABLES", "FieldError",
    "MaxTokens", "Preset", "RunConfig", "Setting", "build_config", "configure", "default_of",
    "flag_of", "load_toml", "merge_sources", "preset", "presets", "validated",
]  # fmt: skip
