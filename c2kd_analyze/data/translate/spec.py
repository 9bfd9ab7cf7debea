"""A translation model is data: a frozen spec (the zoo) or a model found by id or folder."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model_hub import HubRef
from .families import FAMILIES, Family, family_languages

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class TranslatorSpec:
    """A registered translation model (``datasets translators`` lists them).

    ``model`` is a Hugging Face id; for a ``pair`` family (one model per direction) it is a
    template such as ``Helsinki-NLP/opus-mt-{src}-{tgt}`` and ``pairs`` pins each direction.
    """

    name: str
    model: str
    family: Family
    revision: str = ""  # the commit (40 hex) of a one-model spec
    pairs: tuple[tuple[str, str, str], ...] = ()  # pair family: (src, tgt, commit)
    n_languages: int = 0  # languages the card claims (0: the code table's)
    size: str = ""  # as the card names it: "600M", "3B"
    max_tokens: int = 256  # longest input read, in tokens (longer captions are cut)
    licence: str = ""
    reference: str = ""
    description: str = ""

    def ref(self, src: str, tgt: str) -> HubRef | None:
        """The model that translates ``src`` -> ``tgt`` (None when this spec has none)."""
        if self.family != "pair":
            return HubRef(self.model, self.revision)
        for a, b, commit in self.pairs:
            if (a, b) == (src, tgt):
                return HubRef(self.model.format(src=src, tgt=tgt), commit)
        return None

    @property
    def languages(self) -> tuple[str, ...]:
        """ISO 639-1 codes it translates into from English; () means many, unlisted (the
        tokenizer is asked when it loads)."""
        if self.family == "pair":
            return tuple(sorted({b for a, b, _ in self.pairs if a == "en"}))
        return family_languages(self.family)

    @property
    def model_label(self) -> str:
        if self.family == "pair":
            return f"{self.model} ({len(self.pairs)} pinned pairs)"
        return f"{self.model} @ {self.revision[:8]}"

    @property
    def languages_label(self) -> str:
        langs = self.languages
        total = max(self.n_languages, len(langs))
        if not langs:
            return f"many ({total})" if total else "many"
        shown = ",".join(langs) if len(langs) <= 6 else f"{','.join(langs[:6])},..."
        return shown if len(langs) <= 6 else f"{shown} ({total})"


def spec_problems(spec: TranslatorSpec) -> list[str]:
    """What makes ``spec`` unusable (empty when valid); checked when the zoo is read."""
    from ...lang import iso_problems

    problems = []
    if not _NAME.match(spec.name):
        problems.append(f"name {spec.name!r} is not lower-case letters, digits, '.', '_', '-'")
    if spec.family not in FAMILIES:
        problems.append(f"unknown family {spec.family!r} (known: {', '.join(FAMILIES)})")
    if spec.family == "pair":
        if not spec.pairs or "{src}" not in spec.model or "{tgt}" not in spec.model:
            problems.append("a pair spec needs pairs and a model template with {src} and {tgt}")
        commits = [c for _, _, c in spec.pairs]
    else:
        commits = [spec.revision]
    problems += [f"revision {c!r} is not a commit hash" for c in commits if not _COMMIT.match(c)]
    problems += iso_problems(sorted({x for a, b, _ in spec.pairs for x in (a, b)}))
    return problems
