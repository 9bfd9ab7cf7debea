"""Datasets: the embedded demo set, the C2KD release readers, and a generic format.

Every reader produces the one in-memory form (:class:`Dataset` of two :class:`Split`), validated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    load_dataset,
    parse_dataset_options,
)

if TYPE_CHECKING:
    from .check import DatasetReport, check_dataset
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


#: imported on first use: they need numpy, and a command-line error (which validates dataset
#: options through the registry) should not pay for it
_LAZY = {
    "check_dataset": ".check",
    "DatasetReport": ".check",
    "Dataset": ".types",
    "Split": ".types",
    "Tolerated": ".types",
    "check_usable": ".usable",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)
