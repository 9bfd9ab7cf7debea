"""``datasets translate``: the English captions of a generic-format folder into other languages,
through the translation cache, written beside them (see :func:`translate_captions`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UserError
from ...lang import normalize_lang
from ...progress import progress_bar
from .batching import token_batches
from .cache import TranslationCache
from .model import LENGTH_POLICY, Seq2Seq
from .registry import DEFAULT_TRANSLATOR
from .roundtrip import RoundTrip, require_sacrebleu, round_trip
from .source import TranslatorSource, resolve_translator
from .table import CaptionsTable, machine_rows, read_table, write_table

if TYPE_CHECKING:
    import torch

    from ...devices import Precision

log = logging.getLogger(__name__)

#: translations are stored every this many texts, so a killed run loses at most these
FLUSH_EVERY = 256


@dataclass(frozen=True)
class LanguageResult:
    lang: str
    model_id: str
    rows: int  # machine captions written
    translated: int  # distinct captions the model translated in this call
    cached: int  # distinct captions read from the cache
    human: int  # clips left to their human caption
    empty: int  # translations that came back empty


@dataclass(frozen=True)
class TranslateReport:
    table: Path
    device: str
    precision: str
    beams: int
    languages: tuple[LanguageResult, ...]
    round_trips: tuple[RoundTrip, ...] = ()
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"captions: {self.table} (beams {self.beams}, {self.device}, {self.precision})"]
        for r in self.languages:
            out.append(
                f"{r.lang}: {r.rows} captions by {r.model_id}; translated {r.translated}, "
                f"from cache {r.cached}; {r.human} clips keep their human caption"
                + (f"; {r.empty} came back empty" if r.empty else "")
            )
        for rt in self.round_trips:
            out.append(
                f"round trip en->{rt.lang}->en: chrF {rt.chrf:.1f} over {rt.n_captions} "
                "captions; worst:"
            )
            out += [
                f"  {w.chrf:5.1f}  {_short(w.english)} -> {_short(w.translation)} -> "
                f"{_short(w.back)}"
                for w in rt.worst
            ]
        out.append(f"done in {self.seconds:.1f} s")
        return out


def _short(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 3] + "...")


@dataclass
class _Translators:
    """The directions' models: found up front, each loaded once, on its first cache miss."""

    device: torch.device
    precision: Precision
    loaded: dict[Path, Seq2Seq] = field(default_factory=dict)

    def get(self, source: TranslatorSource) -> Seq2Seq:
        folder = source.found.folder
        if folder not in self.loaded:
            self.loaded[folder] = Seq2Seq(source, self.device, self.precision)
        return self.loaded[folder]


def parse_targets(to: str | list[str]) -> tuple[str, ...]:
    """``de,fr`` -> ('de', 'fr'); UserError on an unknown code, English, duplicates or none."""
    items = to.split(",") if isinstance(to, str) else [x for part in to for x in part.split(",")]
    langs = [normalize_lang(x) for x in items if x.strip()]
    if not langs:
        raise UserError("--to needs at least one language, e.g. --to de,fr")
    if "en" in langs:
        raise UserError("--to en: the captions are translated from English; list other languages")
    if len(set(langs)) != len(langs):
        raise UserError(f"--to {','.join(langs)} has duplicates; name each language once")
    return tuple(langs)


def check_options(beams: int, batch_tokens: int, worst: int) -> None:
    if beams < 1 or beams > 32:
        raise UserError(f"--beams must be in [1, 32], got {beams}")
    if batch_tokens < 16:
        raise UserError(f"--batch-tokens must be at least 16, got {batch_tokens}")
    if worst < 0:
        raise UserError(f"--worst must be >= 0, got {worst}")


def translate_captions(
    data_dir: str | Path,
    to: str | list[str],
    *,
    model: str = DEFAULT_TRANSLATOR,
    back_model: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    beams: int = 4,
    batch_tokens: int = 4096,
    check_round_trip: bool = False,
    worst: int = 5,
    progress: bool = True,
) -> TranslateReport:
    """Translate the English captions of ``data_dir``'s captions table into ``to`` and write
    them beside the English rows (``translated_by`` = the model id and revision), replacing
    earlier machine captions of those languages and never a human one.

    Every check (folder, table, English rows, languages, models found offline, device) runs
    before any model loads; each distinct caption is translated once per model and direction
    (cache). ``check_round_trip`` translates the translations back with ``back_model`` (default
    ``model``) and reports chrF per language, with the ``worst`` captions."""
    from ...devices import resolve_device, resolve_precision

    started = time.monotonic()
    check_options(beams, batch_tokens, worst)
    plan = _plan(data_dir, to, model, back_model, device, precision, check_round_trip)
    torch_device = resolve_device(device)
    models = _Translators(torch_device, resolve_precision(precision, torch_device))
    settings = (beams, batch_tokens, progress)
    table, results, translated = plan.table, [], {}
    for lang in plan.targets:
        table, result, translated[lang] = _translate_language(
            models, table, plan.sources[lang], lang, settings
        )
        results.append(result)
    write_table(table)
    trips = tuple(
        _round_trip(models, source, translated[lang], lang, settings, worst)
        for lang, source in plan.backs.items()
    )
    seconds = time.monotonic() - started
    return TranslateReport(table.path, str(torch_device), models.precision, beams,
                           tuple(results), trips, seconds)  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    table: CaptionsTable
    targets: tuple[str, ...]
    sources: dict[str, TranslatorSource]  # by target language
    backs: dict[str, TranslatorSource]  # by target language: its model back to English


def _plan(data_dir, to, model, back_model, device, precision, check_round_trip) -> _Plan:
    """Every check that needs no model loaded, in the order a user fixes them."""
    from ...devices import check_device_spec, check_precision_spec

    check_device_spec(device), check_precision_spec(precision)
    folder = _data_folder(data_dir)
    targets = parse_targets(to)
    if check_round_trip:
        require_sacrebleu()
    elif back_model is not None:
        raise UserError(f"--back-model {back_model} is used only with --round-trip; add it")
    table = read_table(folder)
    sources = {lang: resolve_translator(model, "en", lang) for lang in targets}
    _one_target_per_pair_model(sources, model)
    backs = {}
    if check_round_trip:
        backs = {lang: resolve_translator(back_model or model, lang, "en", "--back-model")
                 for lang in targets}  # fmt: skip
    return _Plan(table, targets, sources, backs)


def _translate_language(models, table, source, lang, settings):
    """(the table with ``lang``'s machine rows, their result, {English: translation})."""
    todo = machine_rows(table, lang, {}, source.model_id)  # the rows to fill
    english = [t for t in todo["__english"].to_list() if t.strip()]
    done, (fresh, cached) = translate_texts(models, source, english, "en", lang, *settings)
    rows = machine_rows(table, lang, done, source.model_id)
    table = table.with_translations(lang, rows)
    empty = sum(1 for t in rows["caption"].to_list() if not t)
    result = LanguageResult(lang, source.model_id, rows.height, fresh, cached,
                            len(table.human_pairs(lang)), empty)  # fmt: skip
    return table, result, done


def _data_folder(data_dir: str | Path) -> Path:
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise UserError(
            f"data folder {folder} {problem}; give the folder that holds captions.csv "
            "or captions.parquet"
        )
    return folder


def _one_target_per_pair_model(sources: dict[str, TranslatorSource], model: str) -> None:
    pair = [lang for lang, s in sources.items() if s.family == "pair" and s.spec is None]
    if len(sources) > 1 and pair:
        raise UserError(
            f"--model {model} is one translation direction (it has no language tokens), but "
            f"--to names {len(sources)} languages; give one language, or a multilingual model "
            "such as nllb-600m"
        )


def translate_texts(
    models: _Translators,
    source: TranslatorSource,
    texts: list[str],
    src: str,
    tgt: str,
    beams: int,
    batch_tokens: int,
    progress: bool,
) -> tuple[dict[str, str], tuple[int, int]]:
    """``{text: translation}`` for the distinct ``texts``, and (translated now, from cache)."""
    cache = TranslationCache(
        {
            "model_id": source.model_id,
            "family": source.family,
            "src": src,
            "tgt": tgt,
            "beams": beams,
            "length": LENGTH_POLICY,
            "precision": models.precision,
        }
    )
    distinct = list(dict.fromkeys(texts))
    done = {t: out for t in distinct if (out := cache.get(t)) is not None}
    missing = [t for t in distinct if t not in done]
    if missing:
        log.info("translating %d captions %s->%s (%d cached)", len(missing), src, tgt, len(done))
        engine = models.get(source)
        engine.check_tokens(src, tgt)
        done.update(_run_batches(engine, cache, missing, src, tgt, beams, batch_tokens, progress))
    return done, (len(missing), len(distinct) - len(missing))


def _run_batches(engine, cache, texts, src, tgt, beams, batch_tokens, progress) -> dict[str, str]:
    out: dict[str, str] = {}
    pending: dict[str, str] = {}
    lengths = engine.token_lengths(texts, src, tgt)
    with progress_bar(len(texts), f"translating {src}->{tgt}", progress, min_total=64) as advance:
        for batch in token_batches(lengths, batch_tokens):
            chunk = [texts[i] for i in batch]
            pending.update(zip(chunk, engine.translate(chunk, src, tgt, beams), strict=True))
            advance(len(chunk))
            if len(pending) >= FLUSH_EVERY:
                cache.add(pending)
                out.update(pending)
                pending = {}
    cache.add(pending)
    out.update(pending)
    return out


def _round_trip(models, source, translated, lang, settings, worst) -> RoundTrip:
    english = list(translated)
    forward = [translated[e] for e in english]
    usable = [i for i, t in enumerate(forward) if t.strip()]
    back, _ = translate_texts(models, source, [forward[i] for i in usable], lang, "en", *settings)
    return round_trip(
        lang,
        [english[i] for i in usable],
        [forward[i] for i in usable],
        [back[forward[i]] for i in usable],
        worst,
    )
