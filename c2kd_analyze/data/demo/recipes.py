"""Latent content of demo clips: recipe videos cut into steps, and the captions that describe them.

A recipe video has 3 to 8 steps over a small pool of main ingredients; each step is one clip with
an action, an ingredient, a tool or place, and its phase in the recipe (first, middle, last).
Early steps tend to cut and wash, middle steps cook and combine, last steps finish and serve.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .actions import ACTIONS, LANGS
from .features import MAX_FRAMES, MIN_FRAMES
from .ingredients import INGREDIENTS
from .noise import NOISE_RATES, add_noise
from .render import Caption, render

_GROUPS = ("cut", "cook", "combine", "move", "finish")
# P(action group | phase): rows first, middle, last step.
_GROUP_BY_PHASE = np.array([
    [0.50, 0.05, 0.15, 0.15, 0.15],
    [0.20, 0.35, 0.20, 0.20, 0.05],
    [0.05, 0.25, 0.15, 0.20, 0.35],
])  # fmt: skip
_BY_GROUP = {g: [i for i, a in enumerate(ACTIONS) if a.group == g] for g in _GROUPS}

P_SAY_ORDER, P_SAY_PLACE, P_SAY_QTY = 0.55, 0.75, 0.3

LATENT_KEYS = ("action", "ingredient", "tool", "phase", "recipe", "n_frames")


def sample_latents(n_clips: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Content of ``n_clips`` clips, recipe after recipe: int64 arrays of length n_clips."""
    rows: list[tuple[int, ...]] = []
    recipe = 0
    while len(rows) < n_clips:
        n_steps = int(rng.integers(3, 9))
        pool = rng.choice(len(INGREDIENTS), size=4, replace=False)
        for step in range(n_steps):
            phase = 0 if step == 0 else (2 if step == n_steps - 1 else 1)
            group = _GROUPS[rng.choice(len(_GROUPS), p=_GROUP_BY_PHASE[phase])]
            action = int(rng.choice(_BY_GROUP[group]))
            allowed = ACTIONS[action].ingredients
            in_pool = [i for i in allowed if i in pool]
            options = in_pool if in_pool and rng.random() < 0.75 else allowed
            ingredient = int(rng.choice(options))
            tool = int(rng.choice(ACTIONS[action].tools))
            n_frames = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
            rows.append((action, ingredient, tool, phase, recipe, n_frames))
        recipe += 1
    table = np.array(rows[:n_clips], dtype=np.int64).reshape(-1, len(LATENT_KEYS))
    return {k: table[:, j] for j, k in enumerate(LATENT_KEYS)}


def english_caption(row: dict[str, int], rng: np.random.Generator) -> Caption:
    """One way an English annotator could describe the clip (place, order and quantity optional)."""
    action = ACTIONS[row["action"]]
    say = rng.random(3)
    qty = action.qty and INGREDIENTS[row["ingredient"]].unit != "-" and say[2] < P_SAY_QTY
    return Caption(
        action=row["action"],
        ingredient=row["ingredient"],
        tool=row["tool"] if action.moves or say[1] < P_SAY_PLACE else None,
        order=row["phase"] if say[0] < P_SAY_ORDER else None,
        qty=bool(qty),
    )


def caption_contents(
    latent: dict[str, np.ndarray],
    n_captions: int,
    seed_seq: np.random.SeedSequence,
    rates: dict[str, float] = NOISE_RATES,
) -> Iterator[dict[str, list[Caption]]]:
    """What the ``n_captions`` captions of each clip say in every language, clip after clip,
    index-aligned: caption j in language l is English caption j after translation noise at
    ``rates[l]`` (at rate 0 it says exactly what the English says: an exact translation). One rng
    stream per language, so a language's noise does not shift another's."""
    streams = [np.random.default_rng(s) for s in seed_seq.spawn(len(LANGS))]
    en_rng = streams[0]
    for i in range(len(latent["action"])):
        row = {k: int(latent[k][i]) for k in LATENT_KEYS}
        english = [english_caption(row, en_rng) for _ in range(n_captions)]
        out = {"en": english}
        for lang, rng in zip(LANGS[1:], streams[1:], strict=True):
            out[lang] = [add_noise(c, rates[lang], rng) for c in english]
        yield out


def write_captions(
    latent: dict[str, np.ndarray],
    n_captions: int,
    seed_seq: np.random.SeedSequence,
    rates: dict[str, float] = NOISE_RATES,
) -> dict[str, list[list[str]]]:
    """:func:`caption_contents` rendered as sentences: ``{lang: [captions of clip i]}``."""
    out: dict[str, list[list[str]]] = {lang: [] for lang in LANGS}
    for clip in caption_contents(latent, n_captions, seed_seq, rates):
        for lang, caps in clip.items():
            out[lang].append([render(lang, c) for c in caps])
    return out
