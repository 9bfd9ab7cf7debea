"""The package's docstring examples run, one test per module that has any (``>>>``)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import c2kd_analyze

PACKAGE = Path(c2kd_analyze.__file__).parent


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    assert "c2kd_analyze.distill.metrics" in MODULES and len(MODULES) >= 5


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has '>>>' but no example ran"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
