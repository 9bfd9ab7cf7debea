"""Where the project keeps its caches: ``$C2KD_CACHE`` or the user's cache folder."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "C2KD_CACHE"


def cache_dir() -> Path:
    """Root of every on-disk cache (encoder outputs, converted models, demo data, checkpoints).

    ``$C2KD_CACHE`` wins; otherwise the platform's user cache folder (``~/.cache/c2kd-analyze``).
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("c2kd-analyze", appauthor=False))


MODELS_ENV = "C2KD_MODELS"


def models_dir() -> Path:
    """Where bundled models converted at first use are kept.

    ``$C2KD_MODELS`` wins; otherwise ``<cache>/models``.
    """
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser()
    return cache_dir() / "models"
