"""Datasets: the embedded demo set, the C2KD release readers, and a generic format.

Every reader produces the one in-memory form (:class:`Dataset` of two :class:`Split`), validated.
"""

from __future__ import annotations

from .registry import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    parse_dataset_options,
)
from .types import Dataset, Split, Tolerated
from .usable import check_usable

__all__ = [
    "Dataset",
    "DatasetInfo",
    "DatasetReport",
    "Split",
    "Tolerated",
    "check_dataset",
    "check_usable",
    "dataset_info",
    "list_datasets",
    "load_dataset",
    "parse_dataset_options",
]


def __getattr__(name: str):
    # check.py imports numpy-level helpers; keep `import c2kd_analyze.data` light.
    if name in ("check_dataset", "DatasetReport"):
        from . import check

        return getattr(check, name)
    raise AttributeError(name)
