"""Demo lexicons and grammar: hand-checked sentences, complete tables, translation noise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from c2kd_analyze.data.demo.actions import ACTIONS, COLUMNS, LANGS, TOOL_INDEX, TOOLS
from c2kd_analyze.data.demo.ingredients import INGREDIENT_INDEX, INGREDIENTS
from c2kd_analyze.data.demo.noise import NOISE_RATES, add_noise
from c2kd_analyze.data.demo.render import Caption, render

A = {a.key: i for i, a in enumerate(ACTIONS)}
ING, T = INGREDIENT_INDEX, TOOL_INDEX

# Sentences checked by hand: German locative (dative) vs directional (accusative) places,
# Czech/Russian cases, French elision, measure words, Chinese 把, Japanese particles.
CASES = [
    (Caption(A["chop"], ING["onion"], T["cutting_board"], 0), {
        "en": "First, chop the onions on the cutting board.",
        "de": "Zuerst die Zwiebeln auf dem Schneidebrett hacken.",
        "fr": "D'abord, hacher les oignons sur la planche à découper.",
        "cs": "Nejprve nasekejte cibuli na prkénku.",
        "ru": "Сначала порубите лук на разделочной доске.",
        "zh": "首先，在砧板上切碎洋葱。",
        "ja": "まず、まな板の上で玉ねぎを刻みます。",
        "vi": "Đầu tiên, thái nhỏ hành tây trên thớt.",
    }),
    (Caption(A["add"], ING["egg"], T["bowl"], 1, qty=True), {
        "en": "Then add two eggs into the bowl.",
        "de": "Dann zwei Eier in die Schüssel geben.",
        "cs": "Potom přidejte dvě vejce do misky.",
        "ru": "Затем добавьте два яйца в миску.",
        "zh": "然后把两个鸡蛋加入碗中。",
        "ja": "次に、ボウルに卵を2個加えます。",
        "vi": "Sau đó, cho hai quả trứng vào bát.",
    }),
    (Caption(A["whisk"], ING["oil"], T["bowl"], None, qty=True), {
        "fr": "Fouetter une cuillère à soupe d'huile dans le bol.",
        "de": "Einen Esslöffel Öl in der Schüssel verquirlen.",
        "es": "Bate una cucharada de aceite en el bol.",
        "ru": "Взбейте столовую ложку масла в миске.",
        "zh": "在碗里把一勺油打匀。",
        "ja": "ボウルで油を大さじ1泡立てます。",
    }),
    (Caption(A["peel"], ING["apple"], T["sink"], None), {
        "ja": "シンクでりんごの皮をむきます。",
        "zh": "在水槽里把苹果去皮。",
        "es": "Pela las manzanas en el fregadero.",
    }),
    (Caption(A["season"], ING["chicken"], None, 2), {
        "ja": "最後に、鶏肉に味付けします。",
        "zh": "最后，给鸡肉调味。",
        "de": "Zum Schluss das Hähnchen würzen.",
    }),
    (Caption(A["pour"], ING["milk"], T["pot"], None, qty=True), {
        "cs": "Nalijte hrnek mléka do hrnce.",
        "de": "Eine Tasse Milch in den Topf gießen.",
        "es": "Vierte una taza de leche en la olla.",
    }),
]  # fmt: skip


@pytest.mark.parametrize("cap,expected", CASES)
def test_hand_checked_sentences(cap, expected):
    for lang, sentence in expected.items():
        assert render(lang, cap) == sentence


def test_lexicon_size_and_completeness():
    assert len(INGREDIENTS) >= 40 and len(ACTIONS) >= 25 and len(TOOLS) >= 12
    assert set(LANGS) == set(COLUMNS) and LANGS[0] == "en"
    for entry in (*INGREDIENTS, *ACTIONS, *TOOLS):
        forms = getattr(entry, "forms", None) or getattr(entry, "verbs", None) or entry.loc
        assert set(forms) == set(LANGS) and all(v.strip() for v in forms.values()), entry.key
    for lang in LANGS[1:]:  # every word is translated: no language shares a form with English
        same = [i.key for i in INGREDIENTS if i.forms[lang].split("|")[0] == i.forms["en"]]
        assert len(same) <= 2, (lang, same)  # loanwords such as "tofu"


def test_every_allowed_combination_renders_in_every_language():
    for a, action in enumerate(ACTIONS):
        assert action.ingredients and action.tools
        for i in action.ingredients:
            for t in action.tools:
                for qty in (False, True):
                    cap = Caption(a, i, t, 1, qty=qty and action.qty)
                    texts = {lang: render(lang, cap) for lang in LANGS}
                    assert len(set(texts.values())) == len(LANGS)
                    assert all(
                        "  " not in s and "|" not in s and ":" not in s for s in texts.values()
                    )


def test_noise_rates_and_effects():
    rng = np.random.default_rng(0)
    cap = Caption(A["fry"], ING["onion"], T["pan"], 1)
    assert add_noise(cap, 0.0, rng) == cap
    noisy = [add_noise(cap, 1.0, rng) for _ in range(200)]
    assert all(n != cap for n in noisy)
    assert any("object" in n.english for n in noisy) and any(n.drop_object for n in noisy)
    assert any(n.ingredient != cap.ingredient for n in noisy)
    assert any(n.order is None for n in noisy)
    changed = {
        r: np.mean([add_noise(cap, r, np.random.default_rng(k)) != cap for k in range(2000)])
        for r in (0.03, 0.1)
    }
    for r, frac in changed.items():  # 4 slots, each hit with probability r
        assert abs(frac - (1 - (1 - r) ** 4)) < 0.03
    assert min(NOISE_RATES.values()) > 0 and set(NOISE_RATES) == set(LANGS[1:])
    left = render("de", replace(cap, english=frozenset({"object"})))
    assert left == "Dann onions in der Pfanne braten."
