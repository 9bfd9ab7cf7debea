"""Session fixtures of the own-data tests: the tiny models of :mod:`owndata_models`, built once."""

from __future__ import annotations

from pathlib import Path

import owndata_models as models
import pytest


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory) -> Path:
    return models.build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb"))


@pytest.fixture(scope="session")
def tiny_madlad(tmp_path_factory) -> Path:
    return models.build_tiny_madlad(tmp_path_factory.mktemp("tiny-madlad"))


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory) -> Path:
    return models.build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory) -> Path:
    return models.build_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="session")
def tiny_siglip(tmp_path_factory) -> Path:
    return models.build_tiny_siglip(tmp_path_factory.mktemp("tiny-siglip"))


@pytest.fixture
def example(tmp_path) -> tuple[Path, Path]:
    """The worked example's inputs in ``tmp_path``: (videos folder, data folder)."""
    return models.write_example(tmp_path)
