"""A tiny parallel caption set with learnable frame features, built in memory for tests.

Each clip shows one action on one ingredient; its frames are noisy copies of a random code of that
(action, ingredient) pair, and its captions say it in English, German and French. Train clips have
two captions each (index-aligned across languages); test clips one. Deterministic from ``seed``.
"""

from __future__ import annotations

import numpy as np

from c2kd_analyze.data.types import Dataset, Split

ACTIONS = {
    "en": ["cut", "wash", "fry", "boil", "peel", "mix"],
    "de": ["schneide", "wasche", "brate", "koche", "schäle", "mische"],
    "fr": ["coupe", "lave", "fais frire", "fais bouillir", "épluche", "mélange"],
}
THINGS = {
    "en": ["the onion", "the carrot", "the potato", "the egg", "the apple", "the fish", "the rice"],
    "de": [
        "die Zwiebel",
        "die Karotte",
        "die Kartoffel",
        "das Ei",
        "den Apfel",
        "den Fisch",
        "den Reis",
    ],
    "fr": [
        "l'oignon",
        "la carotte",
        "la pomme de terre",
        "l'oeuf",
        "la pomme",
        "le poisson",
        "le riz",
    ],
}
TEMPLATES = {
    "en": ["{a} {t}", "now {a} {t} carefully"],
    "de": ["{a} {t}", "jetzt {t} vorsichtig {a}"],
    "fr": ["{a} {t}", "maintenant {a} {t} doucement"],
}


def _split(rng, codes, n, n_caps, langs, missing_lang=None) -> Split:
    pairs = rng.integers(0, [len(ACTIONS["en"]), len(THINGS["en"])], size=(n, 2))
    n_frames = 6
    feats = np.zeros((n, n_frames, codes.shape[-1]), np.float32)
    mask = np.zeros((n, n_frames), bool)
    captions: dict[str, list] = {lang: [] for lang in langs}
    for i, (a, t) in enumerate(pairs):
        k = rng.integers(2, n_frames + 1)
        feats[i, :k] = codes[a, t] + 0.5 * rng.normal(size=(k, codes.shape[-1]))
        mask[i, :k] = True
        for lang in langs:
            caps = [
                TEMPLATES[lang][j % 2].format(a=ACTIONS[lang][a], t=THINGS[lang][t]) + f" #{i}"
                for j in range(n_caps)
            ]
            missing = missing_lang == lang and i % 5 == 0
            captions[lang].append(None if missing else caps)
    ids = tuple(f"clip{i}" for i in range(n))
    return Split(ids, feats, mask, captions, n_queries=n)


def tiny_dataset(
    seed: int = 0,
    n_train: int = 96,
    n_test: int = 40,
    dim: int = 16,
    langs=("en", "de", "fr"),
    missing_lang: str | None = None,
) -> Dataset:
    rng = np.random.default_rng(seed)
    codes = rng.normal(size=(len(ACTIONS["en"]), len(THINGS["en"]), dim)).astype(np.float32)
    train = _split(rng, codes, n_train, 2, langs, missing_lang)
    test = _split(rng, codes, n_test, 1, langs, missing_lang)
    return Dataset(
        name="tiny",
        languages=tuple(langs),
        train=train,
        test=test,
        feature_kind="synthetic",
        synthetic=True,
        source="tests/distill/tiny_data.py",
    )
