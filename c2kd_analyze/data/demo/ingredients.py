"""Ingredients of the demo set in its 9 languages, written by hand.

Each entry is one ingredient; the fields per language hold exactly what the grammar in
``render.py`` needs, so no language is derived from another by rule:

- ``en``: the bare noun (plural for countable ingredients): ``"onions"``, ``"flour"``.
- ``de``, ``fr``, ``es``: the definite object phrase with its article, in the accusative where the
  language marks it (``"den Reis"``, ``"l'huile"``, ``"el agua"``); the quantity phrase is made by
  dropping the article (``"eine Tasse Reis"``, ``"une cuillère à soupe d'huile"``).
- ``cs``, ``ru``: ``"object|x"``: the object in the accusative, and ``x`` = the full quantity phrase
  for countable ingredients (``"dvě cibule"``) or the genitive for mass ones (``"hrnek mouky"``).
- ``zh``, ``ja``, ``vi``: ``"noun|classifier"`` for countable ingredients (measure word, counter,
  classifier), the bare noun for mass ones.

``unit``: ``"n"`` countable, ``"cup"`` or ``"spoon"`` for mass ingredients measured that way,
``"-"`` for ones that take no quantity in a caption (meat, bread).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ingredient:
    key: str
    cls: str  # veg, fruit, protein, egg, starch, dairy, liquid, seasoning
    unit: str  # "n", "cup", "spoon", "-"
    forms: dict[str, str]  # language -> lexicon field (see module docstring)


def _i(key: str, cls: str, unit: str, *langs: str) -> Ingredient:
    codes = ("en", "de", "fr", "es", "cs", "ru", "zh", "ja", "vi")
    return Ingredient(key, cls, unit, dict(zip(codes, langs, strict=True)))


# fmt: off
INGREDIENTS: tuple[Ingredient, ...] = (
    # key, class, unit, en, de, fr, es, cs, ru, zh, ja, vi
    _i("onion", "veg", "n", "onions", "die Zwiebeln", "les oignons", "las cebollas",
       "cibuli|dvě cibule", "лук|две луковицы", "洋葱|个", "玉ねぎ|個", "hành tây|củ"),
    _i("garlic", "veg", "n", "garlic cloves", "die Knoblauchzehen", "les gousses d'ail",
       "los dientes de ajo", "česnek|dva stroužky česneku", "чеснок|два зубчика чеснока",
       "大蒜|瓣", "にんにく|片", "tỏi|tép"),
    _i("carrot", "veg", "n", "carrots", "die Karotten", "les carottes", "las zanahorias",
       "mrkev|dvě mrkve", "морковь|две моркови", "胡萝卜|根", "にんじん|本", "cà rốt|củ"),
    _i("tomato", "veg", "n", "tomatoes", "die Tomaten", "les tomates", "los tomates",
       "rajčata|dvě rajčata", "помидоры|два помидора", "番茄|个", "トマト|個", "cà chua|quả"),
    _i("potato", "veg", "n", "potatoes", "die Kartoffeln", "les pommes de terre", "las patatas",
       "brambory|dva brambory", "картофель|две картофелины", "土豆|个", "じゃがいも|個",
       "khoai tây|củ"),
    _i("bell_pepper", "veg", "n", "bell peppers", "die Paprikaschoten", "les poivrons",
       "los pimientos", "papriky|dvě papriky", "болгарский перец|два болгарских перца",
       "青椒|个", "ピーマン|個", "ớt chuông|quả"),
    _i("cucumber", "veg", "n", "cucumbers", "die Gurken", "les concombres", "los pepinos",
       "okurku|dvě okurky", "огурцы|два огурца", "黄瓜|根", "きゅうり|本", "dưa chuột|quả"),
    _i("mushroom", "veg", "n", "mushrooms", "die Pilze", "les champignons", "los champiñones",
       "žampiony|dva žampiony", "грибы|два гриба", "蘑菇|朵", "マッシュルーム|個", "nấm|cái"),
    _i("eggplant", "veg", "n", "eggplants", "die Auberginen", "les aubergines", "las berenjenas",
       "lilek|dva lilky", "баклажаны|два баклажана", "茄子|根", "なす|本", "cà tím|quả"),
    _i("zucchini", "veg", "n", "zucchini", "die Zucchini", "les courgettes", "los calabacines",
       "cuketu|dvě cukety", "кабачки|два кабачка", "西葫芦|个", "ズッキーニ|本", "bí ngòi|quả"),
    _i("lemon", "fruit", "n", "lemons", "die Zitronen", "les citrons", "los limones",
       "citron|dva citrony", "лимон|два лимона", "柠檬|个", "レモン|個", "chanh|quả"),
    _i("apple", "fruit", "n", "apples", "die Äpfel", "les pommes", "las manzanas",
       "jablka|dvě jablka", "яблоки|два яблока", "苹果|个", "りんご|個", "táo|quả"),
    _i("banana", "fruit", "n", "bananas", "die Bananen", "les bananes", "los plátanos",
       "banány|dva banány", "бананы|два банана", "香蕉|根", "バナナ|本", "chuối|quả"),
    _i("egg", "egg", "n", "eggs", "die Eier", "les œufs", "los huevos",
       "vejce|dvě vejce", "яйца|два яйца", "鸡蛋|个", "卵|個", "trứng|quả"),
    _i("shrimp", "protein", "n", "shrimp", "die Garnelen", "les crevettes", "las gambas",
       "krevety|dvě krevety", "креветки|две креветки", "虾|只", "えび|尾", "tôm|con"),
    _i("sausage", "protein", "n", "sausages", "die Würstchen", "les saucisses", "las salchichas",
       "klobásy|dvě klobásy", "сосиски|две сосиски", "香肠|根", "ソーセージ|本", "xúc xích|cây"),
    _i("spinach", "veg", "cup", "spinach", "den Spinat", "les épinards", "las espinacas",
       "špenát|špenátu", "шпинат|шпината", "菠菜", "ほうれん草", "cải bó xôi"),
    _i("cabbage", "veg", "cup", "cabbage", "den Kohl", "le chou", "la col",
       "zelí|zelí", "капусту|капусты", "卷心菜", "キャベツ", "bắp cải"),
    _i("broccoli", "veg", "cup", "broccoli", "den Brokkoli", "le brocoli", "el brócoli",
       "brokolici|brokolice", "брокколи|брокколи", "西兰花", "ブロッコリー", "bông cải xanh"),
    _i("ginger", "veg", "spoon", "ginger", "den Ingwer", "le gingembre", "el jengibre",
       "zázvor|zázvoru", "имбирь|имбиря", "姜", "生姜", "gừng"),
    _i("parsley", "veg", "spoon", "parsley", "die Petersilie", "le persil", "el perejil",
       "petrželku|petrželky", "петрушку|петрушки", "欧芹", "パセリ", "mùi tây"),
    _i("chicken", "protein", "-", "chicken", "das Hähnchen", "le poulet", "el pollo",
       "kuře|kuřete", "курицу|курицы", "鸡肉", "鶏肉", "thịt gà"),
    _i("beef", "protein", "-", "beef", "das Rindfleisch", "le bœuf", "la carne de res",
       "hovězí maso|hovězího masa", "говядину|говядины", "牛肉", "牛肉", "thịt bò"),
    _i("pork", "protein", "-", "pork", "das Schweinefleisch", "le porc", "el cerdo",
       "vepřové maso|vepřového masa", "свинину|свинины", "猪肉", "豚肉", "thịt lợn"),
    _i("salmon", "protein", "-", "salmon", "den Lachs", "le saumon", "el salmón",
       "lososa|lososa", "лосося|лосося", "三文鱼", "鮭", "cá hồi"),
    _i("bacon", "protein", "-", "bacon", "den Speck", "les lardons", "el beicon",
       "slaninu|slaniny", "бекон|бекона", "培根", "ベーコン", "thịt xông khói"),
    _i("tofu", "protein", "-", "tofu", "den Tofu", "le tofu", "el tofu",
       "tofu|tofu", "тофу|тофу", "豆腐", "豆腐", "đậu phụ"),
    _i("rice", "starch", "cup", "rice", "den Reis", "le riz", "el arroz",
       "rýži|rýže", "рис|риса", "大米", "米", "gạo"),
    _i("flour", "starch", "cup", "flour", "das Mehl", "la farine", "la harina",
       "mouku|mouky", "муку|муки", "面粉", "小麦粉", "bột mì"),
    _i("noodles", "starch", "cup", "noodles", "die Nudeln", "les nouilles", "los fideos",
       "nudle|nudlí", "лапшу|лапши", "面条", "麺", "mì"),
    _i("bread", "starch", "-", "bread", "das Brot", "le pain", "el pan",
       "chléb|chleba", "хлеб|хлеба", "面包", "パン", "bánh mì"),
    _i("sugar", "seasoning", "spoon", "sugar", "den Zucker", "le sucre", "el azúcar",
       "cukr|cukru", "сахар|сахара", "糖", "砂糖", "đường"),
    _i("butter", "dairy", "spoon", "butter", "die Butter", "le beurre", "la mantequilla",
       "máslo|másla", "сливочное масло|сливочного масла", "黄油", "バター", "bơ"),
    _i("cheese", "dairy", "cup", "cheese", "den Käse", "le fromage", "el queso",
       "sýr|sýra", "сыр|сыра", "奶酪", "チーズ", "phô mai"),
    _i("milk", "liquid", "cup", "milk", "die Milch", "le lait", "la leche",
       "mléko|mléka", "молоко|молока", "牛奶", "牛乳", "sữa"),
    _i("cream", "liquid", "cup", "cream", "die Sahne", "la crème", "la nata",
       "smetanu|smetany", "сливки|сливок", "奶油", "生クリーム", "kem tươi"),
    _i("water", "liquid", "cup", "water", "das Wasser", "l'eau", "el agua",
       "vodu|vody", "воду|воды", "水", "水", "nước"),
    _i("oil", "liquid", "spoon", "oil", "das Öl", "l'huile", "el aceite",
       "olej|oleje", "масло|масла", "油", "油", "dầu ăn"),
    _i("soy_sauce", "liquid", "spoon", "soy sauce", "die Sojasoße", "la sauce soja",
       "la salsa de soja", "sójovou omáčku|sójové omáčky", "соевый соус|соевого соуса",
       "酱油", "醤油", "nước tương"),
    _i("vinegar", "liquid", "spoon", "vinegar", "den Essig", "le vinaigre", "el vinagre",
       "ocet|octa", "уксус|уксуса", "醋", "酢", "giấm"),
    _i("salt", "seasoning", "spoon", "salt", "das Salz", "le sel", "la sal",
       "sůl|soli", "соль|соли", "盐", "塩", "muối"),
    _i("black_pepper", "seasoning", "spoon", "black pepper", "den schwarzen Pfeffer",
       "le poivre noir", "la pimienta negra", "černý pepř|černého pepře",
       "чёрный перец|чёрного перца", "黑胡椒", "黒こしょう", "tiêu đen"),
)
# fmt: on

INGREDIENT_INDEX: dict[str, int] = {ing.key: i for i, ing in enumerate(INGREDIENTS)}
