"""The benchmarks import the project inside their functions (so ``benchmarks/run.py`` starts
fast), where a renamed function would only fail when that benchmark runs: every name they import
from ``c2kd_analyze`` must exist."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


def _imports(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) of every ``from c2kd_analyze... import name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("c2kd_analyze"):
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
    return found


def test_the_benchmarks_are_found():
    assert len(BENCHMARKS) >= 10 and any(_imports(p) for p in BENCHMARKS)


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(path):
    missing = []
    for module, name, line in _imports(path):
        target = importlib.import_module(module)
        if not hasattr(target, name):
            try:  # a submodule imported by name
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{path.name}:{line}: {module}.{name}")
    assert not missing, missing
