"""Turn what a caption says (a :class:`Caption`) into a sentence in one of the 9 languages.

Word order per language: English, French, Spanish, Czech, Russian, Vietnamese put the verb first
(``Chop the onions on the cutting board.``); German recipe style puts the infinitive last (``Die
Zwiebeln auf dem Schneidebrett hacken.``); Chinese puts the place before the verb
(``在砧板上切碎洋葱。``) or uses 把 (``把洋葱加入锅中。``); Japanese is place-object-verb
with particles (``フライパンで玉ねぎを炒めます。``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import ACTIONS, ORDER_WORDS, TOOLS
from .ingredients import INGREDIENTS, Ingredient

_NUM_TWO = {"en": "two", "de": "zwei", "fr": "deux", "es": "dos", "vi": "hai"}
_CUP = {"en": "a cup of", "de": "eine Tasse", "fr": "une tasse", "es": "una taza de",
        "cs": "hrnek", "ru": "стакан", "zh": "一杯", "ja": "1カップ", "vi": "một chén"}  # fmt: skip
_SPOON = {"en": "a tablespoon of", "de": "einen Esslöffel", "fr": "une cuillère à soupe",
          "es": "una cucharada de", "cs": "lžíci", "ru": "столовую ложку", "zh": "一勺",
          "ja": "大さじ1", "vi": "một thìa"}  # fmt: skip
_VERB_FIRST = ("en", "fr", "es", "cs", "ru", "vi")


@dataclass(frozen=True)
class Caption:
    """What one caption says. Indices point into ACTIONS, INGREDIENTS, TOOLS.

    ``tool`` is None when the caption does not name the place (the clip still has one), ``order``
    None when it does not say first/then/finally. ``english`` lists slots ("object", "verb") left
    untranslated by the translation noise; ``drop_object`` drops the object phrase.
    """

    action: int
    ingredient: int
    tool: int | None
    order: int | None  # 0 first step, 1 a middle step, 2 last step
    qty: bool = False
    english: frozenset[str] = frozenset()
    drop_object: bool = False


def _strip_article(phrase: str) -> str:
    return phrase[2:] if phrase.startswith("l'") else phrase.split(" ", 1)[1]


def _french_de(noun: str) -> str:
    return ("d'" if noun[0].lower() in "aeiouyéèêœh" else "de ") + noun


def object_phrase(lang: str, ing: Ingredient, qty: bool) -> str:
    """The object as said in ``lang``: definite (``"die Zwiebeln"``) or with a quantity.

    Japanese returns the bare noun; its particle and counter are placed by :func:`render`.
    """
    form = ing.forms[lang]
    unit = ing.unit if qty else "-"
    if lang == "en":
        if unit == "n":
            return f"two {form}"
        return (
            f"{_CUP['en']} {form}"
            if unit == "cup"
            else (f"{_SPOON['en']} {form}" if unit == "spoon" else f"the {form}")
        )
    if lang in ("de", "fr", "es"):
        if unit == "-":
            return form
        noun = _strip_article(form)
        if unit == "n":
            return f"{_NUM_TWO[lang]} {noun}"
        measure = _CUP[lang] if unit == "cup" else _SPOON[lang]
        return f"{measure} {_french_de(noun) if lang == 'fr' else noun}"
    if lang in ("cs", "ru"):
        obj, x = form.split("|")
        if unit == "-":
            return obj
        return x if unit == "n" else f"{_CUP[lang] if unit == 'cup' else _SPOON[lang]} {x}"
    noun, _, classifier = form.partition("|")
    if lang == "ja" or unit == "-":
        return noun
    if lang == "zh":
        return {"n": f"两{classifier}", "cup": _CUP["zh"], "spoon": _SPOON["zh"]}[unit] + noun
    return {"n": f"hai {classifier}", "cup": _CUP["vi"], "spoon": _SPOON["vi"]}[unit] + f" {noun}"


def _japanese_counter(ing: Ingredient, qty: bool) -> str:
    if not qty or ing.unit == "-":
        return ""
    if ing.unit == "n":
        return "2" + ing.forms["ja"].partition("|")[2]
    return _CUP["ja"] if ing.unit == "cup" else _SPOON["ja"]


def render(lang: str, cap: Caption) -> str:
    """The caption as a sentence in ``lang`` (one of ``actions.LANGS``)."""
    action, ing = ACTIONS[cap.action], INGREDIENTS[cap.ingredient]
    verb = action.verbs["en"] if "verb" in cap.english else action.verbs[lang]
    order = ORDER_WORDS[lang][cap.order] if cap.order is not None else ""
    if cap.drop_object:
        obj = ""
    elif "object" in cap.english:
        obj = ing.forms["en"]
    else:
        obj = object_phrase(lang, ing, cap.qty)
    place = ""
    if cap.tool is not None:
        forms = TOOLS[cap.tool].dir if action.moves else TOOLS[cap.tool].loc
        place = forms[lang]
    if lang in _VERB_FIRST:
        head, _, tail = verb.partition("|")
        words = [order + head, obj, tail, place]
        text = " ".join(w for w in words if w) + "."
    elif lang == "de":
        text = " ".join(w for w in (order.strip(), obj, place, verb) if w) + "."
    elif lang == "zh":
        text = _render_zh(order, verb, obj, place, action.moves)
    else:
        text = _render_ja(order, verb, obj, place, action.moves, _japanese_counter(ing, cap.qty))
    return text[0].upper() + text[1:]


def _render_zh(order: str, verb: str, obj: str, place: str, moves: bool) -> str:
    mode, _, v = verb.rpartition(":")
    if moves:  # 把洋葱加入锅中 / without an object: 加入锅中
        return f"{order}{'把' + obj if obj else ''}{v}{place}。"
    where = f"在{place}" if place else ""
    if mode and obj:  # 把 / 给 construction: 在砧板上把洋葱切成片
        return f"{order}{where}{mode}{obj}{v}。"
    return f"{order}{where}{v}{obj}。"


def _render_ja(order: str, verb: str, obj: str, place: str, moves: bool, counter: str) -> str:
    particle, _, v = verb.rpartition(":")
    particle = particle or "を"
    where = f"{place}{'に' if moves else 'で'}" if place else ""
    what = f"{obj}{particle}{counter if particle == 'を' else ''}" if obj else ""
    return f"{order}{where}{what}{v}。"
