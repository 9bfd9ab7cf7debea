"""Find teacher specs: every ``zoo/*.py`` defining ``SPEC`` plus entry points in one group.

Another package adds a teacher with, in its ``pyproject.toml``::

    [project.entry-points."c2kd_analyze.teachers"]
    my-teacher = "my_package.teachers:SPEC"

where ``SPEC`` is a :class:`~c2kd_analyze.teachers.spec.TeacherSpec`. Every spec is checked once
here (:func:`~c2kd_analyze.teachers.spec.spec_problems`): an invalid one is skipped with a logged
warning, so a broken plugin never breaks the tool.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import logging
import pkgutil

from ..errors import UserError
from .spec import TeacherSpec, spec_problems

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "c2kd_analyze.teachers"


def _valid(spec: object, where: str) -> bool:
    """Log why ``spec`` (from ``where``) is skipped; True when it is a valid TeacherSpec."""
    problems = spec_problems(spec)
    if problems:
        log.warning("teacher %s is not a valid spec (%s); skipped", where, "; ".join(problems))
    return not problems


def _zoo_specs() -> list[TeacherSpec]:
    from . import zoo

    specs = []
    for info in sorted(pkgutil.iter_modules(zoo.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{zoo.__name__}.{info.name}")
        except Exception as exc:  # a broken zoo file must not take the others down
            log.warning("teacher zoo file %s failed to import (%s); skipped", info.name, exc)
            continue
        spec = getattr(module, "SPEC", None)
        if spec is None:
            log.warning(
                "teacher zoo file %s defines no SPEC = TeacherSpec(...); skipped", info.name
            )
        elif _valid(spec, f"zoo file {info.name}"):
            specs.append(spec)
    return specs


def _entry_point_specs() -> list[TeacherSpec]:
    from importlib.metadata import entry_points

    specs = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken third-party plugin must not break the registry
            log.warning("teacher entry point %r failed to load (%s); skipped", ep.name, exc)
            continue
        if _valid(obj, f"entry point {ep.name!r}"):
            specs.append(obj)
    return specs


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, TeacherSpec]:
    found: dict[str, TeacherSpec] = {}
    for spec in [*_zoo_specs(), *_entry_point_specs()]:
        if spec.name in found:
            # The zoo is read first, so a plugin can never silently replace a built-in teacher.
            log.warning("teacher %r is defined twice; keeping the first definition", spec.name)
            continue
        found[spec.name] = spec
    return found


def refresh() -> None:
    """Forget the discovered specs (after installing a plugin in the same process, or in tests)."""
    _registry.cache_clear()


def zoo_specs() -> list[TeacherSpec]:
    """The built-in teachers (``zoo/*.py``) without plugins, sorted by name."""
    return sorted(_zoo_specs(), key=lambda spec: spec.name)


def list_teachers() -> list[TeacherSpec]:
    """Every registered teacher, sorted by name."""
    return [spec for _, spec in sorted(_registry().items())]


def get_spec(name: str) -> TeacherSpec:
    """The spec registered as ``name``; an unknown name raises :class:`UserError` with a hint."""
    registry = _registry()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, list(registry), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    raise UserError(f"unknown teacher {name!r}{hint} known teachers: {', '.join(sorted(registry))}")
