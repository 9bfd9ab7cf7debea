"""The translation parts on their own: batching, language codes, the zoo, the cache, the table
and the round-trip score, each against a direct computation."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2kd_analyze.data.translate import cache as cache_mod
from c2kd_analyze.data.translate.batching import token_batches
from c2kd_analyze.data.translate.families import M2M100_LANGUAGES, NLLB_CODES, language_token
from c2kd_analyze.data.translate.pipeline import parse_targets
from c2kd_analyze.data.translate.registry import get_translator_spec, list_translators
from c2kd_analyze.data.translate.roundtrip import round_trip
from c2kd_analyze.data.translate.spec import spec_problems
from c2kd_analyze.data.translate.table import MARK, machine_rows, read_table, write_table
from c2kd_analyze.errors import UserError
from c2kd_analyze.lang import normalize_lang


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 300), max_size=80),
    budget=st.integers(16, 2000),
    cap=st.integers(1, 40),
)
def test_token_batches_cover_every_text_once_longest_first_within_the_budget(lengths, budget, cap):
    batches = token_batches(lengths, budget, cap)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        assert len(batch) <= cap
        longest = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= budget
    # greedy: the next text would not have fitted in the batch before it
    for before, _ in itertools.pairwise(batches):
        longest = lengths[before[0]]
        assert len(before) == cap or (len(before) + 1) * longest > budget


def test_every_nllb_code_is_a_token_of_nllb_and_every_key_iso_639_1():
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES as M2M
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    assert set(NLLB_CODES.values()) <= set(FAIRSEQ_LANGUAGE_CODES)
    assert all(normalize_lang(k) == k for k in NLLB_CODES)
    # each code's language part is the ISO 639-3 code of the key's language (spot checks)
    assert NLLB_CODES["de"] == "deu_Latn" and NLLB_CODES["zh"] == "zho_Hans"
    assert NLLB_CODES["cs"] == "ces_Latn" and NLLB_CODES["ja"] == "jpn_Jpan"
    assert set(M2M100_LANGUAGES) <= set(M2M["m2m100"])
    assert all(normalize_lang(k) == k for k in M2M100_LANGUAGES)
    assert language_token("m2m100", "de") == "__de__"
    assert language_token("madlad", "vi") == "<2vi>"
    assert language_token("nllb", "kl") is None and language_token("pair", "de") is None


def test_the_zoo_is_every_file_and_every_spec_is_pinned_with_a_licence_and_reference():
    from c2kd_analyze.data.translate import zoo

    files = [p.stem for p in Path(zoo.__path__[0]).glob("*.py") if p.stem != "__init__"]
    specs = list_translators()
    assert len(specs) == len(files) == 4
    for spec in specs:
        assert spec_problems(spec) == [], spec.name
        assert spec.licence and spec.reference
    assert {s.family for s in specs} == {"nllb", "m2m100", "madlad", "pair"}
    opus = get_translator_spec("opus-mt")
    assert opus.ref("en", "de").model == "Helsinki-NLP/opus-mt-en-de"
    assert opus.ref("en", "cs") is None and opus.languages == ("de", "fr", "zh")


def test_an_unknown_translator_suggests_a_close_name():
    with pytest.raises(
        UserError,
        match=r"unknown translation model 'nlb-600m'; did you mean "
        r"'nllb-600m'\?.*Hugging Face id",
    ):
        get_translator_spec("nlb-600m")


@pytest.mark.parametrize(
    ("to", "want"),
    [("de,fr", ("de", "fr")), ("cz, zh-CN", ("cs", "zh")), (["de", "ja,vi"], ("de", "ja", "vi"))],
)
def test_parse_targets(to, want):
    assert parse_targets(to) == want


@pytest.mark.parametrize(
    ("to", "error"),
    [
        ("xx", "unknown language code 'xx'"),
        ("de,en", "from English"),
        ("de,de", "duplicates"),
        (",", "at least one"),
        ("de,DE", "duplicates"),
    ],
)
def test_parse_targets_refuses(to, error):
    with pytest.raises(UserError, match=error):
        parse_targets(to)


def test_the_cache_keeps_translations_across_instances_and_ignores_a_bad_shard(caplog):
    key = {"model_id": "m@1", "src": "en", "tgt": "de"}
    first = cache_mod.TranslationCache(key)
    first.add({"a cat": "eine Katze", "a dog": "ein Hund"})
    first.add({"a fish": "ein Fisch"})
    again = cache_mod.TranslationCache(key)
    assert again.get("a cat") == "eine Katze" and again.get("a fish") == "ein Fisch"
    assert again.get("a bird") is None
    assert cache_mod.TranslationCache({**key, "tgt": "fr"}).get("a cat") is None  # its own key
    shards = sorted(again.folder.glob("shard-*.parquet"))
    shards[0].write_bytes(b"not parquet")  # its checksum no longer matches
    shards[1].with_name(shards[1].name + ".sha256").unlink()  # an unfinished write
    with caplog.at_level(logging.WARNING):
        third = cache_mod.TranslationCache(key)
    assert third.get("a cat") is None and third.get("a fish") is None
    assert "ignoring" in caplog.text


def test_the_cache_merges_many_shards(monkeypatch):
    monkeypatch.setattr(cache_mod, "MAX_SHARDS", 3)
    cache = cache_mod.TranslationCache({"k": 1})
    for i in range(5):
        cache.add({f"t{i}": f"u{i}"})
    merged = cache_mod.TranslationCache({"k": 1})
    assert len(list(merged.folder.glob("shard-*.parquet"))) == 1
    assert [merged.get(f"t{i}") for i in range(5)] == [f"u{i}" for i in range(5)]


def _table(folder: Path, rows: list[tuple], extra: dict | None = None, fmt: str = "csv"):
    cols = ["clip_id", "lang", "caption", "split", "caption_idx"]
    frame = pl.DataFrame(rows, schema=cols, orient="row")
    for name, values in (extra or {}).items():
        frame = frame.with_columns(pl.Series(name, values))
    folder.mkdir(exist_ok=True)
    if fmt == "csv":
        frame.write_csv(folder / "captions.csv")
    else:
        frame.write_parquet(folder / "captions.parquet")
    return read_table(folder)


ROWS = [
    ("c0", "EN", "Cut the onion.", "train", "0"),
    ("c0", "EN", "Slice an onion.", "train", "1"),
    ("c1", "en", "Boil rice.", "test", "0"),
    ("c1", "de", "Reis kochen.", "test", "0"),  # a human caption
    ("c2", "en", "", "test", "0"),
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_machine_rows_follow_the_english_rows_and_never_touch_a_human_caption(tmp_path, fmt):
    table = _table(tmp_path, ROWS, {"note": ["a", "b", "c", "d", "e"]}, fmt)
    translated = {
        "Cut the onion.": "Schneide die Zwiebel.",
        "Slice an onion.": "Zwiebel schneiden.",
        "Boil rice.": "SHOULD NOT APPEAR",
    }
    rows = machine_rows(table, "de", translated, "m@rev")
    table = table.with_translations("de", rows)
    write_table(table)
    back = read_table(tmp_path).frame.drop("__iso")
    assert back.columns == ["clip_id", "lang", "caption", "split", "caption_idx", "note", MARK]
    got = (
        back.filter(pl.col(MARK).is_not_null())
        .select("clip_id", "lang", "caption", "split", "caption_idx", "note")
        .rows()
    )
    assert got == [
        ("c0", "de", "Schneide die Zwiebel.", "train", "0", None),
        ("c0", "de", "Zwiebel schneiden.", "train", "1", None),
        ("c2", "de", "", "test", "0", None),
    ]
    human = back.filter(pl.col(MARK).is_null()).drop(MARK).rows()
    assert human == [(*r, n) for r, n in zip(ROWS, "abcde", strict=True)]  # spelling kept
    # a second translation replaces the machine rows only
    again = read_table(tmp_path)
    again = again.with_translations("de", machine_rows(again, "de", {"Cut the onion.": "X"}, "n@2"))
    assert again.frame.filter(pl.col(MARK) == "m@rev").is_empty()
    assert again.frame.filter(pl.col(MARK) == "n@2").height == 3


def test_a_table_without_english_or_columns_is_refused(tmp_path):
    with pytest.raises(UserError, match="no English captions"):
        _table(tmp_path / "a", [("c0", "de", "Hallo", "train", "0")])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "captions.csv").write_text("clip_id,caption\nc0,hi\n")
    with pytest.raises(UserError, match=r"missing column\(s\) lang, split"):
        read_table(tmp_path / "b")
    with pytest.raises(UserError, match=r"no captions.parquet or captions.csv"):
        read_table(tmp_path)


def test_round_trip_scores_are_sacrebleu_chrf():
    from sacrebleu.metrics import CHRF

    english = ["cut the onion", "boil the rice", "fry an egg"]
    back = ["cut the onions", "cook rice", "an egg fried"]
    got = round_trip("de", english, ["x", "y", "z"], back, n_worst=2)
    chrf = CHRF()
    assert got.chrf == pytest.approx(chrf.corpus_score(back, [english]).score)
    sentence = sorted(
        (chrf.sentence_score(b, [e]).score, e) for e, b in zip(english, back, strict=True)
    )
    assert [(w.chrf, w.english) for w in got.worst] == sentence[:2]
    assert got.n_captions == 3 and got.worst[0].back in back
