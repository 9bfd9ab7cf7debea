"""CLIP-like frame features drawn from each clip's latent content.

A frame is a sum of unit vectors: the action (strongest mid-clip, when the hands move), the
ingredient and the tool or place (visible throughout), the step's place in the recipe, the
recipe video's look (shared by every clip of one video, as in YouCook2, so clips of one video are
confusable), a per-clip offset, smooth per-frame noise, and a large component shared by every
frame (real CLIP features of one domain have a high mean cosine). Concepts of one group (cutting
actions, vegetables) share a component, so near neighbours are near on video too. Every frame is
L2-normalised and rounded through float16, the precision the cache stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .actions import ACTIONS, TOOLS
from .ingredients import INGREDIENTS

FEATURE_DIM = 512
MIN_FRAMES, MAX_FRAMES = 8, 30

# Weights of each component in a frame (see module docstring); tuned so that a linear map from
# caption words to video features is far above chance and far below saturation (tests/data).
W_ACTION, W_INGREDIENT, W_TOOL, W_PHASE = 0.9, 0.8, 0.45, 0.35
W_RECIPE, W_CLIP, W_FRAME, W_MEAN = 0.9, 0.9, 1.0, 1.6
# Per-clip noise inside the span of the concept vectors: the scene also shows a bit of other
# actions, ingredients and tools, which is what makes clips confusable (noise orthogonal to every
# concept hardly matters in 512 dimensions). Standard deviation per concept:
CONCEPT_NOISE = 0.22
WEIGHT_JITTER = (0.5, 1.2)  # per-clip scale of each true concept: some clips barely show one
FRAME_CORR = 0.85  # correlation of frame noise between neighbouring frames


@dataclass(frozen=True)
class World:
    """Unit vectors for every concept, (n_concepts, D) float64 each."""

    action: np.ndarray
    ingredient: np.ndarray
    tool: np.ndarray
    phase: np.ndarray
    mean: np.ndarray  # (D,)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _grouped(labels: list[str], rng: np.random.Generator, dim: int) -> np.ndarray:
    names = sorted(set(labels))
    shared = _unit(rng.standard_normal((len(names), dim)))
    own = _unit(rng.standard_normal((len(labels), dim)))
    return _unit(0.6 * shared[[names.index(g) for g in labels]] + 0.8 * own)


def make_world(rng: np.random.Generator, dim: int = FEATURE_DIM) -> World:
    return World(
        action=_grouped([a.group for a in ACTIONS], rng, dim),
        ingredient=_grouped([i.cls for i in INGREDIENTS], rng, dim),
        tool=_unit(rng.standard_normal((len(TOOLS), dim))),
        phase=_unit(rng.standard_normal((3, dim))),
        mean=_unit(rng.standard_normal(dim)),
    )


def clip_frames(
    world: World, latent: dict[str, np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Frames for every clip of a split.

    ``latent`` holds int arrays of length n_clips: action, ingredient, tool, phase, recipe,
    n_frames. Returns ``frames`` (sum(n_frames), D) float16, unit-norm rows, clip after clip, and
    ``offsets`` (n_clips + 1,) int64 (clip i is ``frames[offsets[i]:offsets[i + 1]]``).
    """
    n_frames = latent["n_frames"].astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_frames)])
    clip = np.repeat(np.arange(len(n_frames)), n_frames)  # (F,) clip of each frame
    pos = np.arange(offsets[-1]) - offsets[clip]
    progress = pos / np.maximum(n_frames[clip] - 1, 1)
    dim = world.mean.shape[0]
    n_recipes = int(latent["recipe"].max()) + 1 if len(n_frames) else 0
    recipe_look = _unit(rng.standard_normal((n_recipes, dim)))
    clip_offset = _unit(rng.standard_normal((len(n_frames), dim)))
    # Smooth frame noise: an AR(1) chain inside each clip, restarted at every clip's first frame.
    eps = rng.standard_normal((offsets[-1], dim)) / np.sqrt(dim)
    noise = eps.copy()
    for t in range(1, MAX_FRAMES):
        idx = np.flatnonzero(pos == t)
        noise[idx] = FRAME_CORR * noise[idx - 1] + np.sqrt(1 - FRAME_CORR**2) * eps[idx]
    n = len(n_frames)
    jitter = rng.uniform(*WEIGHT_JITTER, size=(n, 3))[clip]  # (F, 3): action, ingredient, tool
    confusion = (
        rng.normal(0, CONCEPT_NOISE, (n, len(world.action))) @ world.action
        + rng.normal(0, CONCEPT_NOISE, (n, len(world.ingredient))) @ world.ingredient
        + rng.normal(0, CONCEPT_NOISE, (n, len(world.tool))) @ world.tool
    )
    act_weight = W_ACTION * (0.4 + 0.6 * np.sin(np.pi * progress)) * jitter[:, 0]
    frames = (
        act_weight[:, None] * world.action[latent["action"][clip]]
        + (W_INGREDIENT * jitter[:, 1:2]) * world.ingredient[latent["ingredient"][clip]]
        + (W_TOOL * jitter[:, 2:3]) * world.tool[latent["tool"][clip]]
        + confusion[clip]
        + W_PHASE * world.phase[latent["phase"][clip]]
        + W_RECIPE * recipe_look[latent["recipe"][clip]]
        + W_CLIP * clip_offset[clip]
        + W_FRAME * noise
        + W_MEAN * world.mean
    )
    return _unit(frames).astype(np.float16), offsets
