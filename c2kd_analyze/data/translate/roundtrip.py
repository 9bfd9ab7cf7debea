"""Round-trip chrF: English -> xx -> English, scored against the English with sacrebleu's chrF
(character n-gram F-score, 0-100). No reference translations are needed; a low score flags a
language, or a caption, whose translation lost content."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError


@dataclass(frozen=True)
class Worst:
    english: str
    translation: str
    back: str
    chrf: float


@dataclass(frozen=True)
class RoundTrip:
    lang: str
    chrf: float  # corpus chrF over the language's captions
    n_captions: int
    worst: tuple[Worst, ...]  # the lowest sentence chrF first


def require_sacrebleu() -> None:
    try:
        import sacrebleu  # noqa: F401
    except ImportError:
        raise UserError(
            "--round-trip needs sacrebleu; install the extra: pip install 'c2kd-analyze[translate]'"
        ) from None


def round_trip(
    lang: str, english: list[str], translated: list[str], back: list[str], n_worst: int
) -> RoundTrip:
    """Score ``back`` (``translated`` into English again) against ``english``, index-aligned."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    corpus = chrf.corpus_score(back, [english]).score if english else 0.0
    scored = [
        Worst(e, t, b, chrf.sentence_score(b, [e]).score)
        for e, t, b in zip(english, translated, back, strict=True)
    ]
    scored.sort(key=lambda w: (w.chrf, w.english))
    return RoundTrip(lang, float(corpus), len(english), tuple(scored[:n_worst]))
