"""c2kd-analyze: which multilingual text model makes the best C2KD teacher?

Cross-lingual cross-modal knowledge distillation (Rouditchenko et al., ICASSP 2023) for
multilingual text-to-video retrieval, with a registry of pluggable teachers and an analysis layer.

The Python API (:mod:`c2kd_analyze.api`), imported on first use so that the command line starts
fast::

    import c2kd_analyze as c2kd
    run = c2kd.run(teachers=["muse"], seeds=[0])   # a Run: results, table(), report_path, ...
    c2kd.load_run(run.path).table()
    c2kd.report([run.path], out="report")
    c2kd.teachers.list_teachers()                  # the teacher registry (TeacherSpec values)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_API = {
    "run": "api", "plan": "api", "load_run": "api", "report": "api", "Run": "api",
    "save_config": "api",
    "RunConfig": "config", "build_config": "config", "UserError": "errors",
}  # fmt: skip

__all__ = [*_API, "teachers", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    if name == "teachers":
        return importlib.import_module(".teachers", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
