"""Teachers: a registry of specs (data) and backends (code) that load them.

>>> from c2kd_analyze.teachers import list_teachers
>>> "muse" in [s.name for s in list_teachers()]
True
"""

from __future__ import annotations

from .card import teacher_card, zoo_table_markdown
from .loader import load_hf_parts, load_teacher
from .pooling import pool, pool_output
from .registry import get_spec, list_teachers
from .spec import TeacherSpec, TextEncoder

__all__ = [
    "TeacherSpec",
    "TextEncoder",
    "get_spec",
    "list_teachers",
    "load_hf_parts",
    "load_teacher",
    "pool",
    "pool_output",
    "teacher_card",
    "zoo_table_markdown",
]
