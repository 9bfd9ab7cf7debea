"""Typed dataset options: each dataset declares its options as data, one parser reads them.

Values come as strings from the command line (``--dataset-option n_train=300``) or typed from a
TOML file (``n_train = 300``); both go through :func:`parse_options`. Integers are strict: ``300``
and ``"300"`` pass, ``300.5``, ``300.0``, ``true`` and ``"abc"`` do not. Floats must be finite.
A bad value is one :class:`UserError` line naming the dataset, the option, the value and what is
expected.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import UserError
from ..lang import normalize_lang

Kind = Literal["int", "float", "bool", "languages"]

_INT = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


_WHAT = {
    "int": "an integer",
    "float": "a finite number",
    "bool": "true or false",
    "languages": "language codes separated by commas, e.g. en,hi",
}


@dataclass(frozen=True)
class Option:
    """One option of one dataset: its type, default, bounds and a line of help."""

    name: str
    kind: Kind
    default: Any
    help: str
    minimum: float | None = None  # inclusive
    below: float | None = None  # exclusive upper bound

    def expected(self) -> str:
        """What a valid value looks like, e.g. ``an integer >= 10``."""
        what = _WHAT[self.kind]
        if self.minimum is not None and self.below is not None:
            return f"{what} in [{_num(self.minimum)}, {_num(self.below)})"
        if self.minimum is not None:
            return f"{what} >= {_num(self.minimum)}"
        return what

    def parse(self, value: Any) -> Any:
        """The typed value; ValueError when ``value`` is not one."""
        out = _PARSERS[self.kind](value)
        if self.kind in ("int", "float"):
            number = float(out)  # type: ignore[arg-type]  # an int or a float here
            if self.minimum is not None and number < self.minimum:
                raise ValueError("too small")
            if self.below is not None and number >= self.below:
                raise ValueError("too large")
        return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError("not an integer")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str):
        out = float(value.strip())  # ValueError on text
    else:
        raise ValueError("not a number")
    if not math.isfinite(out):
        raise ValueError("not finite")
    return out


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not a boolean")


def _languages(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
        raise ValueError("not a list of codes")
    try:
        codes = tuple(dict.fromkeys(normalize_lang(x) for x in items if x.strip()))
    except UserError:
        raise ValueError("unknown code") from None
    if not codes:
        raise ValueError("empty")
    return codes


_PARSERS = {"int": _int, "float": _float, "bool": _bool, "languages": _languages}


def parse_options(
    dataset: str, schema: tuple[Option, ...], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed values of the options given (defaults are not added), keyed by option name.

    >>> from c2kd_analyze.data.registry import dataset_info
    >>> parse_options("demo", dataset_info("demo").options, {"n_train": "300", "noise": 0})
    {'n_train': 300, 'noise': 0.0}
    """
    by_name = {o.name: o for o in schema}
    out: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = str(raw_key).strip().replace("-", "_")
        if key not in by_name:
            raise UserError(_unknown(dataset, raw_key, schema))
        opt = by_name[key]
        if key in out:
            raise UserError(f"dataset {dataset!r} option {key} is given twice; give it once")
        try:
            out[key] = opt.parse(value)
        except (ValueError, TypeError):
            raise UserError(
                f"dataset {dataset!r} option {key}={value!r}: expected {opt.expected()}"
            ) from None
    return out


def _unknown(dataset: str, key: Any, schema: tuple[Option, ...]) -> str:
    names = [o.name for o in schema]
    if not names:
        return f"dataset {dataset!r} takes no options (got {key!r})"
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"dataset {dataset!r} has no option {key!r}; {hint}its options are {', '.join(names)}"


SEED_BELOW = 2**32

DEMO_OPTIONS: tuple[Option, ...] = (
    # upper bounds: far above any benchmark (MSR-VTT: 9,000 x 20), below what cannot fit in memory
    Option("n_train", "int", 2000, "training clips", minimum=2, below=1_000_001),
    Option("n_test", "int", 500, "test clips (recall@10 needs at least 10)", minimum=10,
           below=100_001),
    Option("seed", "int", 0, "generator seed", minimum=0, below=SEED_BELOW),
    Option("train_captions", "int", 1, "captions per training clip", minimum=1, below=101),
    Option("noise", "float", 1.0, "scales every language's translation-noise rate "
           "(1 = the built-in rates, 0 = exact translations)", minimum=0),
)  # fmt: skip
FULL_DENOMINATOR = Option(
    "full_denominator", "bool", True,
    "divide test recall by the benchmark's size (MSR-VTT 1000, YouCook2 3350), so missing items "
    "count as misses; false divides by the items present",
)  # fmt: skip
RUDDER_OPTIONS: tuple[Option, ...] = (
    Option("languages", "languages", ("en", "hi", "mr", "kn"),
           "languages to read (the C2KD runs use en,hi,mr,kn; the files also hold ta,te,ml)"),
)  # fmt: skip
