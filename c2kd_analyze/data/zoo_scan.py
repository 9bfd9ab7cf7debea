"""A registry is a scan of a ``zoo/`` folder of spec files, as the teachers' is: every module
that defines ``SPEC`` (of the expected type, and valid) is registered under ``SPEC.name``."""

from __future__ import annotations

import difflib
import importlib
import logging
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from ..errors import UserError

log = logging.getLogger(__name__)

S = TypeVar("S")


def scan_zoo(
    package: ModuleType, kind: type[S], problems: Callable[[S], list[str]]
) -> dict[str, S]:
    """``{name: spec}`` of the package's modules, sorted by name; a broken or invalid file is
    skipped with one warning, never taking the others down."""
    found: dict[str, S] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception as exc:
            log.warning("zoo file %s failed to import (%s); skipped", info.name, exc)
            continue
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, kind):
            what = "no SPEC" if spec is None else f"a SPEC of type {type(spec).__name__}"
            log.warning("zoo file %s defines %s, not a %s; skipped", info.name, what, kind.__name__)
            continue
        wrong = problems(spec)
        if wrong:
            log.warning(
                "zoo file %s is not a valid spec (%s); skipped", info.name, "; ".join(wrong)
            )
            continue
        found[getattr(spec, "name")] = spec  # noqa: B009  # every spec type has a name
    return dict(sorted(found.items()))


def unknown_name(what: str, name: str, known: list[str], also: str) -> UserError:
    """``unknown <what> 'x'; did you mean 'y'? known: a, b; <also>``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return UserError(f"unknown {what} {name!r}{hint} known: {', '.join(known)}; {also}")
