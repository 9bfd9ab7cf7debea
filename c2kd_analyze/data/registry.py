"""The dataset registry: names, what each needs, and the one entry point that loads any of them.

Loaders are imported only when used, so listing datasets is instant.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from .options import DEMO_OPTIONS, FULL_DENOMINATOR, RUDDER_OPTIONS, Option, parse_options

if TYPE_CHECKING:
    from .files import DataFiles
    from .types import Dataset


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    needs_data_dir: bool
    languages: tuple[str, ...]  # ISO 639-1, English first; empty when the data decides
    features: tuple[str, ...]  # accepted --features values; the first is the default
    loader: str  # "module:function", imported on use; takes the options below as keywords
    options: tuple[Option, ...] = ()  # the typed options the loader takes
    #: "module:function" (data_dir, features) -> DataFiles: exactly the files the loader reads,
    #: declared from the folder's layout before anything is loaded; "" for generated data
    files: str = ""

    def load_function(self):
        return _function(self.loader)

    def files_function(self):
        return _function(self.files)


def _function(where: str):
    module, _, func = where.partition(":")
    return getattr(importlib.import_module(module, __package__), func)


_YC2_LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")
_MSRVTT_LANGS = ("en", "de", "fr", "cs", "zh", "ru", "vi", "sw", "es")

_DEMO = "embedded synthetic multilingual cooking clips (generated; the default)"
_GENERIC = "your own clips: captions.parquet/csv + features (.npy/.npz/safetensors)"

DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo("demo", _DEMO, False, _YC2_LANGS, ("synthetic",), ".demo.build:load_demo",
                    DEMO_OPTIONS),
        DatasetInfo("multi-msrvtt", "Multi-MSRVTT, C2KD release (1k-A test, 9 languages)",
                    True, _MSRVTT_LANGS, ("clip", "s3d"), ".release:load_msrvtt",
                    (FULL_DENOMINATOR,), ".release:msrvtt_files"),
        DatasetInfo("multi-youcook2", "Multi-YouCook2, C2KD release (val as test, 9 languages)",
                    True, _YC2_LANGS, ("s3d", "clip"), ".release:load_youcook2",
                    (FULL_DENOMINATOR,), ".release:youcook2_files"),
        DatasetInfo("vatex", "VATEX, C2KD release (English and Chinese)",
                    True, ("en", "zh"), ("clip",), ".release:load_vatex",
                    files=".release:vatex_files"),
        DatasetInfo("rudder", "RUDDER, C2KD release (en, hi, mr, kn; missing captions masked)",
                    True, ("en", "hi", "mr", "kn"), ("clip",), ".release:load_rudder",
                    RUDDER_OPTIONS, ".release:rudder_files"),
        DatasetInfo("generic", _GENERIC, True, (), ("user",), ".generic:load_generic",
                    files=".generic_files:generic_files"),
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


def parse_dataset_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Typed values of ``options`` for dataset ``name``: strings from the command line
    (``{"n_train": "300"}``) or typed values from a TOML file; only the options given.

    Raises UserError (one line naming the dataset, the option, the value and what is expected)
    on an unknown option or a bad value: ints are strict (no ``300.5``, ``true`` or ``"abc"``),
    seeds lie in [0, 2**32), sizes are at least their minimum, floats are finite.
    """
    info = dataset_info(name)
    return parse_options(info.name, info.options, options)


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
    Multi-YouCook2, CLIP for the others). ``options`` (see ``DatasetInfo.options``) go through
    :func:`parse_dataset_options`, then to the loader: for ``demo`` ``n_train=2000, n_test=500,
    seed=0, train_captions=1, noise=1.0``. The result is usable (:func:`.usable.check_usable`).
    Raises UserError (one line naming the file or option and the problem) on anything a user must
    fix.
    """
    from .usable import check_usable

    info = dataset_info(name)
    typed = parse_dataset_options(info.name, options)
    ds = _load(info, data_dir, features, typed)
    check_usable(ds)
    return ds


def _load(info: DatasetInfo, data_dir, features: str | None, options: dict[str, Any]) -> Dataset:
    func = info.load_function()
    if features is not None and features not in info.features:
        raise UserError(
            f"dataset {info.name!r} has no {features!r} features; "
            f"choose {' or '.join(info.features)}"
        )
    if info.needs_data_dir:
        folder = data_folder(info, data_dir)
        return func(data_dir=folder, features=features or info.features[0], **options)
    if data_dir is not None:
        raise UserError(f"dataset {info.name!r} is built in and takes no --data-dir")
    return func(**options)


def data_folder(info: DatasetInfo, data_dir: str | Path | None) -> Path:
    """``data_dir`` as the folder of dataset ``info``; UserError when it is not given, empty
    (``--data-dir ''`` would mean the current folder), missing, or not a folder."""
    if data_dir is None:
        raise UserError(f"dataset {info.name!r} needs --data-dir: the folder that holds its files")
    if not str(data_dir).strip():
        raise UserError(
            f"--data-dir is empty; give the folder that holds the {info.name!r} dataset's files"
        )
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise UserError(f"data folder {folder} {problem}; give the extracted data/ folder")
    return folder


def dataset_files(
    name: str, data_dir: str | Path | None, features: str | None = None
) -> DataFiles | None:
    """Exactly the files dataset ``name``'s loader reads under ``data_dir``, each checked (a
    UserError names a missing, unreadable or non-regular one, as the loader would), without
    loading anything. None for a dataset that reads no folder, and where the folder or the
    features are wrong (the loader and the run's checks say so in their own words)."""
    info = dataset_info(name)
    if not info.files or features not in (None, *info.features):
        return None
    try:
        folder = data_folder(info, data_dir)
    except UserError:
        return None
    return info.files_function()(folder, features or info.features[0])
