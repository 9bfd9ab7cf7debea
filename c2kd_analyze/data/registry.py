"""The dataset registry: names, what each needs, and the one entry point that loads any of them.

Loaders are imported only when used, so listing datasets is instant.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from .types import Dataset


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    needs_data_dir: bool
    languages: tuple[str, ...]  # ISO 639-1, English first; empty when the data decides
    features: tuple[str, ...]  # accepted --features values; the first is the default
    loader: str  # "module:function", imported on use

    def load_function(self):
        module, _, func = self.loader.partition(":")
        return getattr(importlib.import_module(module, __package__), func)


_YC2_LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")
_MSRVTT_LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "sw", "es")

_DEMO = "embedded synthetic multilingual cooking clips (generated; the default)"
_GENERIC = "your own clips: captions.parquet/csv + features (.npy/.npz/safetensors)"

DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo("demo", _DEMO, False, _YC2_LANGS, ("synthetic",), ".demo.build:load_demo"),
        DatasetInfo("multi-msrvtt", "Multi-MSRVTT, C2KD release (1k-A test, 9 languages)",
                    True, _MSRVTT_LANGS, ("clip", "s3d"), ".release:load_msrvtt"),
        DatasetInfo("multi-youcook2", "Multi-YouCook2, C2KD release (val as test, 9 languages)",
                    True, _YC2_LANGS, ("s3d", "clip"), ".release:load_youcook2"),
        DatasetInfo("vatex", "VATEX, C2KD release (English and Chinese)",
                    True, ("en", "zh"), ("clip",), ".release:load_vatex"),
        DatasetInfo("rudder", "RUDDER, C2KD release (en, hi, mr, kn; missing captions masked)",
                    True, ("en", "hi", "mr", "kn"), ("clip",), ".release:load_rudder"),
        DatasetInfo("generic", _GENERIC, True, (), ("user",), ".generic:load_generic"),
    )
}  # fmt: skip


def list_datasets() -> list[DatasetInfo]:
    return list(DATASETS.values())


def dataset_info(name: str) -> DatasetInfo:
    key = str(name).strip().lower()
    if key not in DATASETS:
        close = difflib.get_close_matches(key, DATASETS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UserError(f"unknown dataset {name!r}; {hint}choose one of {', '.join(DATASETS)}")
    return DATASETS[key]


def load_dataset(
    name: str = "demo",
    *,
    data_dir: str | Path | None = None,
    features: str | None = None,
    **options: Any,
) -> Dataset:
    """Load dataset ``name`` into the in-memory form, validated.

    ``data_dir``: the extracted ``data/`` folder of the C2KD release (``multi-msrvtt``,
    ``multi-youcook2``, ``vatex``, ``rudder``) or a generic-format folder (``generic``).
    ``features``: ``"clip"`` or ``"s3d"`` for the release datasets (default: S3D for
    Multi-YouCook2, CLIP for the others). ``options`` go to the loader: for ``demo``
    ``n_train=2000, n_test=500, seed=0, train_captions=1``. Raises UserError (one line naming the
    file and the problem) on anything a user must fix.
    """
    info = dataset_info(name)
    func = info.load_function()
    allowed = set(inspect.signature(func).parameters) - {"data_dir", "features"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UserError(
            f"dataset {info.name!r} has no option {unknown[0]!r}; its options are "
            f"{', '.join(sorted(allowed)) or 'none'}"
        )
    if features is not None and features not in info.features:
        raise UserError(
            f"dataset {info.name!r} has no {features!r} features; "
            f"choose {' or '.join(info.features)}"
        )
    if info.needs_data_dir:
        if data_dir is None:
            raise UserError(
                f"dataset {info.name!r} needs --data-dir: the folder that holds its files"
            )
        folder = Path(data_dir).expanduser()
        if not folder.is_dir():
            problem = "is a file, not a folder" if folder.exists() else "does not exist"
            raise UserError(f"data folder {folder} {problem}; give the extracted data/ folder")
        return func(data_dir=folder, features=features or info.features[0], **options)
    if data_dir is not None:
        raise UserError(f"dataset {info.name!r} is built in and takes no --data-dir")
    return func(**options)
