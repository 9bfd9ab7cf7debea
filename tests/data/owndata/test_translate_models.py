"""``translate_captions`` with tiny real seq2seq models of each family, the translation cache
(a rerun translates nothing and loads no model; an interrupted run resumes), and the offline
weight lookup."""

from __future__ import annotations

import logging
import shutil
import time

import polars as pl
import pytest

from c2kd_analyze.data.translate import model as model_mod
from c2kd_analyze.data.translate import pipeline
from c2kd_analyze.data.translate.source import resolve_translator
from c2kd_analyze.data.translate.table import MARK
from c2kd_analyze.errors import UserError


def _rows(folder, lang):
    frame = pl.read_csv(folder / "captions.csv", infer_schema=False)
    return frame.filter(pl.col("lang") == lang)


def test_nllb_family_forces_the_target_code_and_reads_the_source_code(tiny_nllb, example):
    """The real generate call: the source batch starts with eng_Latn and the first generated
    token after the decoder start is the target's code (deu_Latn, then fra_Latn)."""
    import torch

    source = resolve_translator(str(tiny_nllb), "en", "de")
    assert source.family == "nllb"
    engine = model_mod.Seq2Seq(source, torch.device("cpu"), "fp32")
    seen = []
    real = engine.model.generate

    def spy(**kw):
        out = real(**kw)
        seen.append((kw["input_ids"][:, 0].tolist(), kw["forced_bos_token_id"], out[:, 1].tolist()))
        return out

    engine.model.generate = spy
    texts = ["Chop the onions.", "Boil the rice in a pot."]
    for lang, code in (("de", "deu_Latn"), ("fr", "fra_Latn")):
        assert len(engine.translate(texts, "en", lang, beams=2)) == 2
        first, forced, generated = seen[-1]
        want = engine.tokenizer.convert_tokens_to_ids(code)
        assert forced == want and generated == [want, want]
        assert first == [engine.tokenizer.convert_tokens_to_ids("eng_Latn")] * 2


def test_translate_writes_every_language_and_a_rerun_translates_nothing(
    tiny_nllb, example, monkeypatch
):
    _, data = example
    report = pipeline.translate_captions(
        data, "de,fr", model=str(tiny_nllb), beams=2, progress=False
    )
    english = _rows(data, "en")
    for result in report.languages:
        assert result.rows == english.height == 12 and result.translated == 12
        rows = _rows(data, result.lang)
        assert rows["clip_id"].to_list() == english["clip_id"].to_list()
        assert rows["split"].to_list() == english["split"].to_list()
        assert set(rows[MARK].to_list()) == {result.model_id}
        assert result.model_id.startswith(f"local:{tiny_nllb.resolve()}#")
    before = (data / "captions.csv").read_bytes()

    class Refuse:
        def __init__(self, *a, **k):
            raise AssertionError("a rerun loaded a translation model")

    monkeypatch.setattr(pipeline, "Seq2Seq", Refuse)
    again = pipeline.translate_captions(
        data, "de,fr", model=str(tiny_nllb), beams=2, progress=False
    )
    assert [(r.translated, r.cached) for r in again.languages] == [(0, 12), (0, 12)]
    assert (data / "captions.csv").read_bytes() == before


def test_an_interrupted_translation_resumes_from_its_last_stored_batch(
    tiny_nllb, example, monkeypatch
):
    _, data = example
    monkeypatch.setattr(pipeline, "FLUSH_EVERY", 2)
    calls = []
    real = model_mod.Seq2Seq.translate

    def dies_on_the_third_batch(self, texts, src, tgt, beams):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, texts, src, tgt, beams)

    monkeypatch.setattr(model_mod.Seq2Seq, "translate", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        pipeline.translate_captions(
            data, "de", model=str(tiny_nllb), beams=1, batch_tokens=40, progress=False
        )
    assert _rows(data, "de").is_empty()  # nothing half-written into the table
    done_before = sum(calls[:2])
    monkeypatch.setattr(model_mod.Seq2Seq, "translate", real)
    report = pipeline.translate_captions(
        data, "de", model=str(tiny_nllb), beams=1, batch_tokens=40, progress=False
    )
    (result,) = report.languages
    assert 0 < done_before == result.cached and result.translated == 12 - done_before


def test_human_captions_stay_and_round_trip_is_scored(tiny_nllb, example):
    _, data = example
    with open(data / "captions.csv", "a") as fh:
        fh.write("c00,de,Die Zwiebeln auf dem Brett hacken.,train\n")
    report = pipeline.translate_captions(
        data, "de", model=str(tiny_nllb), beams=1, check_round_trip=True, worst=3, progress=False
    )
    (result,) = report.languages
    assert result.human == 1 and result.rows == 11
    rows = _rows(data, "de")
    assert rows.filter(pl.col("clip_id") == "c00")["caption"].to_list() == [
        "Die Zwiebeln auf dem Brett hacken."
    ]
    (trip,) = report.round_trips
    assert trip.lang == "de" and 0 <= trip.chrf <= 100 and len(trip.worst) == 3
    assert [w.chrf for w in trip.worst] == sorted(w.chrf for w in trip.worst)
    assert any(line.startswith("round trip en->de->en: chrF") for line in report.lines())


def test_madlad_family_puts_the_target_token_before_the_text(tiny_madlad, example):
    import torch

    source = resolve_translator(str(tiny_madlad), "en", "de")
    assert source.family == "madlad"
    engine = model_mod.Seq2Seq(source, torch.device("cpu"), "fp32")
    (plain,) = engine.tokenizer(["Boil the rice."])["input_ids"]
    (length,) = engine.token_lengths(["Boil the rice."], "en", "de")
    assert length == len(plain) + 1  # <2de> is one token
    assert engine._inputs(["Boil the rice."], "en", "fr") == ["<2fr> Boil the rice."]
    with pytest.raises(UserError, match=r"no language token <2vi> for 'vi'"):
        engine.check_tokens("en", "vi")
    assert engine._model is None  # refused before any weights loaded
    _, data = example
    report = pipeline.translate_captions(
        data, "fr", model=str(tiny_madlad), beams=1, progress=False
    )
    assert report.languages[0].rows == 12


def test_a_pair_model_translates_one_direction(tiny_marian, example):
    _, data = example
    assert resolve_translator(str(tiny_marian), "en", "de").family == "pair"
    report = pipeline.translate_captions(
        data, "de", model=str(tiny_marian), beams=1, progress=False
    )
    assert report.languages[0].rows == 12
    with pytest.raises(UserError, match=r"one translation direction.*--to names 2 languages"):
        pipeline.translate_captions(data, "de,fr", model=str(tiny_marian), progress=False)


@pytest.mark.parametrize("name", ["nllb-600m", "m2m100-418m", "madlad400-3b", "opus-mt"])
def test_an_absent_registered_model_fails_fast_in_one_line(name, example, tmp_path, monkeypatch):
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    _, data = example
    started = time.perf_counter()
    with pytest.raises(UserError) as err:
        pipeline.translate_captions(data, "de", model=name, progress=False)
    assert time.perf_counter() - started < 5
    message = str(err.value)
    assert "\n" not in message and f"translation model {name!r} needs" in message
    assert "not in the local Hugging Face cache" in message and "hf download" in message
    assert "--model DIR" in message
    assert _rows(data, "de").is_empty()


def test_a_missing_pinned_pair_and_an_uncovered_language_are_named(example):
    _, data = example
    with pytest.raises(UserError, match=r"'opus-mt' has no pinned en->cs model.*opus-mt-en-cs"):
        pipeline.translate_captions(data, "cs", model="opus-mt", progress=False)
    with pytest.raises(UserError, match=r"'nllb-600m' \(nllb\) has no code for 'kl'"):
        pipeline.translate_captions(data, "kl", model="nllb-600m", progress=False)


def _fake_hf_cache(root, folder, model, commit, monkeypatch):
    import huggingface_hub.constants as hf_constants

    repo = root / "hub" / ("models--" + model.replace("/", "--"))
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(root / "hub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(root / "hub"))


def test_a_registered_model_loads_from_the_hf_cache(tiny_nllb, tmp_path, monkeypatch, caplog):
    pinned = "f8d333a098d19b4fd9a8b18f94170487ad3f821d"
    _fake_hf_cache(tmp_path, tiny_nllb, "facebook/nllb-200-distilled-600M", pinned, monkeypatch)
    with caplog.at_level(logging.WARNING):
        source = resolve_translator("nllb-600m", "en", "de")
    assert source.model_id == f"facebook/nllb-200-distilled-600M@{pinned}"
    assert "not the pinned" not in caplog.text


def test_another_cached_revision_loads_with_one_warning(tiny_nllb, tmp_path, monkeypatch, caplog):
    other = "0123456789abcdef0123456789abcdef01234567"
    _fake_hf_cache(tmp_path, tiny_nllb, "facebook/m2m100_418M", other, monkeypatch)
    with caplog.at_level(logging.WARNING):
        source = resolve_translator("m2m100-418m", "en", "de")
    assert source.model_id == f"facebook/m2m100_418M@{other}"
    assert f"revision {other}, not the pinned 55c2e61b" in caplog.text
    # an unregistered id takes whatever revision the cache has
    assert resolve_translator("facebook/m2m100_418M", "en", "de").family == "nllb"


def test_a_folder_of_the_wrong_kind_is_refused(tiny_clip, tmp_path):
    with pytest.raises(
        UserError,
        match=r"is a 'clip_vision_model' model, not a "
        "sequence-to-sequence translation model",
    ):
        resolve_translator(str(tiny_clip), "en", "de")
    with pytest.raises(UserError, match=r"has no config.json"):
        resolve_translator(str(tmp_path), "en", "de")
    with pytest.raises(UserError, match="no such folder"):
        resolve_translator(str(tmp_path / "nowhere"), "en", "de")


def test_beams_and_precision_are_part_of_the_cache_key(tiny_nllb, example):
    _, data = example
    fp32 = {"device": "cpu", "precision": "fp32"}  # explicit: auto is bf16 on an AMX-BF16 CPU
    first = pipeline.translate_captions(data, "de", model=str(tiny_nllb), beams=1, progress=False,
                                        **fp32)  # fmt: skip
    assert first.languages[0].translated == 12
    for kw in ({**fp32, "beams": 2}, {"beams": 1, "precision": "bf16", "device": "cpu"}):
        again = pipeline.translate_captions(data, "de", model=str(tiny_nllb), progress=False, **kw)
        assert (again.languages[0].translated, again.languages[0].cached) == (12, 0), kw
    same = pipeline.translate_captions(data, "de", model=str(tiny_nllb), beams=1, progress=False,
                                       **fp32)  # fmt: skip
    assert (same.languages[0].translated, same.languages[0].cached) == (0, 12)
