"""Actions, tools and places, and step-order words of the demo set in its 9 languages.

Verb fields (one string per language) say where each part goes; ``render.py`` reads them:

- ``en``, ``fr``, ``es``, ``cs``, ``ru``, ``vi``: ``"head|tail"``: the imperative (infinitive in
  French) before the object, an optional tail after it (``"corta|en cubos"``).
- ``de``: the whole infinitive phrase, which German recipes put last (``"in Scheiben schneiden"``).
- ``zh``: ``"V"`` (verb before object), ``"把:V"`` (把-construction, object before the verb) or
  ``"给:V"``; actions that move something (``moves=True``) always read ``把 O V <place>``.
- ``ja``: ``"P:V"`` with the object particle ``P`` (``を`` when absent).

A tool or place has a locative form (where the action happens) and a directional form (where
something is put), in the case each language needs: ``"in der Pfanne"`` / ``"in die Pfanne"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ingredients import INGREDIENT_INDEX, INGREDIENTS

#: The demo's languages, in Multi-YouCook2's order (English first).
LANGS: tuple[str, ...] = ("en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja")
#: Column order of the lexicon tables below.
COLUMNS: tuple[str, ...] = ("en", "de", "fr", "es", "cs", "ru", "zh", "ja", "vi")


@dataclass(frozen=True)
class Action:
    key: str
    group: str  # cut, cook, combine, move, finish: actions of a group look alike on video
    ingredients: tuple[int, ...]  # indices into INGREDIENTS this action is used with
    tools: tuple[int, ...]  # indices into TOOLS
    moves: bool  # True: "add X to the pan" (directional place, always said)
    qty: bool  # whether a quantity reads naturally ("add two eggs")
    verbs: dict[str, str]


@dataclass(frozen=True)
class Tool:
    key: str
    loc: dict[str, str]
    dir: dict[str, str]


def _t(key: str, *pairs: str) -> Tool:
    """``pairs``: per language ``"locative / directional"`` (one form when both are the same)."""
    loc, dir_ = {}, {}
    for lang, pair in zip(COLUMNS, pairs, strict=True):
        a, _, b = pair.partition(" / ")
        loc[lang], dir_[lang] = a, b or a
    return Tool(key, loc, dir_)


# fmt: off
TOOLS: tuple[Tool, ...] = (
    _t("cutting_board", "on the cutting board / onto the cutting board",
       "auf dem Schneidebrett / auf das Schneidebrett", "sur la planche à découper",
       "en la tabla de cortar", "na prkénku / na prkénko",
       "на разделочной доске / на разделочную доску", "砧板上", "まな板の上",
       "trên thớt / lên thớt"),
    _t("bowl", "in the bowl / into the bowl", "in der Schüssel / in die Schüssel", "dans le bol",
       "en el bol", "v misce / do misky", "в миске / в миску", "碗里 / 碗中", "ボウル",
       "trong bát / vào bát"),
    _t("pan", "in the pan / into the pan", "in der Pfanne / in die Pfanne", "dans la poêle",
       "en la sartén", "na pánvi / na pánev", "на сковороде / на сковороду", "平底锅里 / 平底锅中",
       "フライパン", "trong chảo / vào chảo"),
    _t("pot", "in the pot / into the pot", "im Topf / in den Topf", "dans la marmite",
       "en la olla", "v hrnci / do hrnce", "в кастрюле / в кастрюлю", "锅里 / 锅中", "鍋",
       "trong nồi / vào nồi"),
    _t("saucepan", "in the saucepan / into the saucepan", "im Stieltopf / in den Stieltopf",
       "dans la casserole", "en el cazo", "v kastrolu / do kastrolu", "в сотейнике / в сотейник",
       "小锅里 / 小锅中", "片手鍋", "trong nồi nhỏ / vào nồi nhỏ"),
    _t("wok", "in the wok / into the wok", "im Wok / in den Wok", "dans le wok", "en el wok",
       "ve woku / do woku", "в воке / в вок", "炒锅里 / 炒锅中", "中華鍋",
       "trong chảo wok / vào chảo wok"),
    _t("oven", "in the oven / into the oven", "im Ofen / in den Ofen", "au four", "en el horno",
       "v troubě / do trouby", "в духовке / в духовку", "烤箱里 / 烤箱中", "オーブン",
       "trong lò nướng / vào lò nướng"),
    _t("baking_tray", "on the baking tray / onto the baking tray",
       "auf dem Backblech / auf das Backblech", "sur la plaque de cuisson",
       "en la bandeja de horno",
       "na plechu / na plech", "на противне / на противень", "烤盘上 / 烤盘中", "天板",
       "trên khay nướng / lên khay nướng"),
    _t("grill", "on the grill / onto the grill", "auf dem Grill / auf den Grill", "sur le gril",
       "en la parrilla", "na grilu / na gril", "на гриле / на гриль", "烤架上", "グリル",
       "trên vỉ nướng / lên vỉ nướng"),
    _t("steamer", "in the steamer / into the steamer", "im Dampfgarer / in den Dampfgarer",
       "dans le cuiseur vapeur", "en la vaporera", "v parním hrnci / do parního hrnce",
       "в пароварке / в пароварку", "蒸锅里 / 蒸锅中", "蒸し器", "trong nồi hấp / vào nồi hấp"),
    _t("blender", "in the blender / into the blender", "im Mixer / in den Mixer", "dans le mixeur",
       "en la licuadora", "v mixéru / do mixéru", "в блендере / в блендер", "搅拌机里 / 搅拌机中",
       "ミキサー", "trong máy xay / vào máy xay"),
    _t("sink", "in the sink / into the sink", "im Spülbecken / ins Spülbecken", "dans l'évier",
       "en el fregadero", "ve dřezu / do dřezu", "в раковине / в раковину", "水槽里 / 水槽中",
       "シンク", "trong bồn rửa / vào bồn rửa"),
    _t("plate", "on the plate / onto the plate", "auf dem Teller / auf den Teller",
       "dans l'assiette", "en el plato", "na talíři / na talíř", "на тарелке / на тарелку",
       "盘子里", "お皿", "trên đĩa / ra đĩa"),
)
# fmt: on

TOOL_INDEX: dict[str, int] = {t.key: i for i, t in enumerate(TOOLS)}

#: Step-order words: first step, a middle step, last step.
ORDER_WORDS: dict[str, tuple[str, str, str]] = {
    "en": ("First, ", "Then ", "Finally, "),
    "de": ("Zuerst ", "Dann ", "Zum Schluss "),
    "fr": ("D'abord, ", "Ensuite, ", "Enfin, "),
    "es": ("Primero, ", "Luego, ", "Por último, "),
    "cs": ("Nejprve ", "Potom ", "Nakonec "),
    "ru": ("Сначала ", "Затем ", "Наконец, "),
    "zh": ("首先，", "然后", "最后，"),
    "ja": ("まず、", "次に、", "最後に、"),
    "vi": ("Đầu tiên, ", "Sau đó, ", "Cuối cùng, "),
}


def _select(spec: str) -> tuple[int, ...]:
    """Ingredients named by class or key; ``-key`` removes one: ``"veg fruit -parsley"``."""
    keep: list[int] = []
    for word in spec.split():
        if word.startswith("-"):
            keep = [i for i in keep if i != INGREDIENT_INDEX[word[1:]]]
        elif word in INGREDIENT_INDEX:
            keep.append(INGREDIENT_INDEX[word])
        else:
            found = [i for i, ing in enumerate(INGREDIENTS) if ing.cls == word]
            if not found:
                raise ValueError(f"unknown ingredient or class {word!r}")
            keep += found
    return tuple(sorted(set(keep)))


def _a(key, group, ingredients, tools, *verbs, moves=False, qty=True) -> Action:
    return Action(
        key,
        group,
        _select(ingredients),
        tuple(TOOL_INDEX[t] for t in tools.split()),
        moves,
        qty,
        dict(zip(COLUMNS, verbs, strict=True)),
    )


_SLICEABLE = (
    "onion carrot tomato potato bell_pepper cucumber mushroom eggplant zucchini lemon "
    "apple banana sausage chicken beef pork salmon bacon tofu bread ginger cabbage"
)
_DICEABLE = (
    "onion carrot tomato potato bell_pepper cucumber mushroom eggplant zucchini apple "
    "chicken beef pork tofu bacon"
)

# fmt: off
ACTIONS: tuple[Action, ...] = (
    # key, group, ingredients, tools, en, de, fr, es, cs, ru, zh, ja, vi
    _a("chop", "cut", "veg fruit protein", "cutting_board", "chop", "hacken", "hacher", "pica",
       "nasekejte", "порубите", "切碎", "刻みます", "thái nhỏ"),
    _a("slice", "cut", _SLICEABLE, "cutting_board", "slice", "in Scheiben schneiden", "émincer",
       "corta|en rodajas", "nakrájejte|na plátky", "нарежьте|ломтиками", "把:切成片",
       "薄切りにします", "thái lát"),
    _a("dice", "cut", _DICEABLE, "cutting_board", "dice", "würfeln", "couper|en dés",
       "corta|en cubos", "nakrájejte|na kostičky", "нарежьте|кубиками", "把:切成丁",
       "さいの目に切ります", "thái hạt lựu"),
    _a("peel", "cut", "onion garlic carrot potato cucumber apple banana ginger shrimp egg lemon",
       "cutting_board bowl sink", "peel", "schälen", "éplucher", "pela", "oloupejte", "очистите",
       "把:去皮", "の:皮をむきます", "gọt vỏ", qty=False),
    _a("grate", "cut", "carrot potato cheese ginger zucchini apple lemon cucumber",
       "cutting_board bowl", "grate", "reiben", "râper", "ralla", "nastrouhejte", "натрите",
       "把:擦成丝", "すりおろします", "bào"),
    _a("mince", "cut", "garlic ginger onion parsley beef pork chicken shrimp", "cutting_board",
       "mince", "fein hacken", "hacher|finement", "pica|finamente", "nasekejte|nadrobno",
       "мелко порубите", "剁碎", "みじん切りにします", "băm nhuyễn"),
    _a("wash", "finish", "veg fruit rice -ginger", "sink bowl", "wash", "waschen", "laver", "lava",
       "umyjte", "помойте", "清洗", "洗います", "rửa"),
    _a("fry", "cook", "veg protein egg rice noodles bread -parsley -cucumber", "pan wok", "fry",
       "braten", "faire frire", "fríe", "osmažte", "пожарьте", "煎", "焼きます", "chiên"),
    _a("stir_fry", "cook", "veg protein rice noodles egg -parsley -cucumber", "wok pan",
       "stir-fry", "unter Rühren braten", "faire sauter", "saltea", "orestujte", "обжарьте",
       "翻炒", "炒めます", "xào"),
    _a("boil", "cook", "potato carrot broccoli egg noodles rice spinach cabbage sausage shrimp "
       "chicken beef pork", "pot saucepan", "boil", "kochen", "faire bouillir", "hierve", "uvařte",
       "отварите", "煮", "茹でます", "luộc"),
    _a("simmer", "cook", "veg protein -parsley -cucumber", "pot saucepan", "simmer",
       "köcheln lassen", "laisser mijoter", "cocina|a fuego lento", "podušte", "потушите", "炖",
       "煮込みます", "hầm"),
    _a("steam", "cook", "broccoli carrot potato cabbage spinach salmon shrimp rice egg tofu "
       "chicken eggplant zucchini", "steamer pot", "steam", "dämpfen", "cuire|à la vapeur",
       "cocina|al vapor", "uvařte|v páře", "приготовьте|на пару", "蒸", "蒸します", "hấp"),
    _a("bake", "cook", "bread potato salmon chicken apple eggplant zucchini sausage pork beef",
       "oven baking_tray", "bake", "backen", "faire cuire", "hornea", "upečte", "испеките", "烤",
       "焼きます", "nướng"),
    _a("roast", "cook", "veg protein -parsley -spinach -cucumber -tofu -shrimp",
       "oven baking_tray", "roast", "rösten", "faire rôtir", "asa", "opečte", "запеките", "烘烤",
       "ローストします", "quay"),
    _a("grill", "cook", "bell_pepper zucchini eggplant mushroom tomato onion protein -tofu",
       "grill pan", "grill", "grillen", "griller", "asa", "ugrilujte", "зажарьте", "烧烤",
       "焼きます", "nướng"),
    _a("mix", "combine", "starch dairy seasoning egg liquid veg -bread", "bowl pot blender", "mix",
       "vermischen", "mélanger", "mezcla", "smíchejte", "смешайте", "把:搅拌均匀", "混ぜます",
       "trộn"),
    _a("stir", "combine", "liquid dairy seasoning veg starch -bread", "pot saucepan pan wok bowl",
       "stir", "umrühren", "remuer", "remueve", "zamíchejte", "перемешайте", "搅拌",
       "かき混ぜます", "khuấy"),
    _a("whisk", "combine", "egg cream milk flour sugar butter oil vinegar soy_sauce", "bowl",
       "whisk", "verquirlen", "fouetter", "bate", "prošlehejte", "взбейте", "把:打匀",
       "泡立てます", "đánh"),
    _a("add", "move", "veg fruit protein egg starch dairy liquid seasoning",
       "pan pot bowl wok saucepan blender", "add", "geben", "ajouter", "añade", "přidejte",
       "добавьте", "加入", "加えます", "cho", moves=True),
    _a("pour", "move", "liquid egg", "pan pot bowl saucepan wok blender", "pour", "gießen",
       "verser", "vierte", "nalijte", "влейте", "倒入", "注ぎます", "đổ", moves=True),
    _a("put", "move", "veg fruit protein egg starch butter cheese",
       "baking_tray pan pot bowl steamer oven", "put", "legen", "mettre", "pon", "dejte",
       "положите", "放入", "入れます", "đặt", moves=True),
    _a("season", "combine", "protein veg egg -parsley -ginger",
       "bowl pan baking_tray cutting_board",
       "season", "würzen", "assaisonner", "sazona", "okořeňte", "приправьте", "给:调味",
       "に:味付けします", "ướp", qty=False),
    _a("blend", "combine", "tomato banana apple spinach carrot cucumber milk cream water ginger "
       "garlic onion", "blender", "blend", "pürieren", "mixer", "licúa", "rozmixujte",
       "измельчите", "把:打成泥", "攪拌します", "xay"),
    _a("melt", "cook", "butter cheese sugar", "pan saucepan pot", "melt", "schmelzen",
       "faire fondre", "derrite", "rozpusťte", "растопите", "融化", "溶かします", "đun chảy"),
    _a("mash", "combine", "potato banana tofu egg garlic", "bowl pot", "mash", "zerstampfen",
       "écraser", "machaca", "rozmačkejte", "разомните", "把:捣成泥", "つぶします", "nghiền"),
    _a("drain", "finish", "noodles rice potato tofu spinach broccoli shrimp", "sink", "drain",
       "abgießen", "égoutter", "escurre", "sceďte", "процедите", "沥干", "の:水を切ります",
       "để ráo", qty=False),
    _a("transfer", "finish", "veg protein egg starch -parsley", "plate", "transfer", "geben",
       "transférer", "sirve", "přendejte", "переложите", "盛到", "盛り付けます", "bày",
       moves=True),
)
# fmt: on
