"""Translation noise: what machine-translated captions get wrong, at a rate per language.

For each caption in a non-English language, each slot (object, verb, place, order word) is hit
with probability ``rate``; a hit drops the words, swaps in a near-synonym or wrong word (another
ingredient of the same class, another action of the same group, another place), or leaves the
word in English. The English caption is never changed: it is the source the others translate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .actions import ACTIONS, TOOLS
from .ingredients import INGREDIENTS
from .render import Caption

#: Per-language probability that a slot of a caption is mistranslated. Closer languages with
#: more parallel data get lower rates, as for real MT systems.
NOISE_RATES: dict[str, float] = {
    "de": 0.03, "fr": 0.04, "es": 0.04, "cs": 0.07, "ru": 0.07, "zh": 0.08, "vi": 0.10, "ja": 0.10,
}  # fmt: skip


def _same_class(ingredient: int, rng: np.random.Generator) -> int:
    cls = INGREDIENTS[ingredient].cls
    options = [i for i, ing in enumerate(INGREDIENTS) if ing.cls == cls and i != ingredient]
    return int(rng.choice(options)) if options else ingredient


def _same_group(action: int, rng: np.random.Generator) -> int:
    a = ACTIONS[action]
    options = [
        i
        for i, b in enumerate(ACTIONS)
        if b.group == a.group and b.moves == a.moves and i != action
    ]
    return int(rng.choice(options)) if options else action


def add_noise(cap: Caption, rate: float, rng: np.random.Generator) -> Caption:
    """Return ``cap`` with translation errors applied slot by slot, drawing from ``rng``."""
    hit = rng.random(4) < rate  # object, verb, place, order
    pick = rng.random(4)
    english = set(cap.english)
    out = cap
    if hit[0]:
        if pick[0] < 0.2:
            out = replace(out, drop_object=True)
        elif pick[0] < 0.6:
            out = replace(out, ingredient=_same_class(out.ingredient, rng))
        else:
            english.add("object")
    if hit[1]:
        if pick[1] < 0.6:
            out = replace(out, action=_same_group(out.action, rng))
        else:
            english.add("verb")
    if hit[2] and (tool := out.tool) is not None:
        if pick[2] < 0.5 and not ACTIONS[out.action].moves:
            out = replace(out, tool=None)
        else:
            out = replace(out, tool=int((tool + 1 + rng.integers(len(TOOLS) - 1)) % len(TOOLS)))
    if hit[3]:
        out = replace(out, order=None)
    return replace(out, english=frozenset(english))
