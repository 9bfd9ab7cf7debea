"""Pydantic's validation errors as one line a person can act on: the option, the value, what is
expected (the range in words) and where the value came from (a preset, a file, the command
line)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from ..errors import UserError
from .schema import FIELDS, FieldError, RunConfig
from .settings import flag_of


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds(name: str) -> str | None:
    """The allowed range of a numeric field in words, e.g. ``in [0, 1]`` or ``>= 1``."""
    info = RunConfig.model_fields.get(name)
    if info is None:
        return None
    low = high = None
    for meta in info.metadata:
        for attr, text in (("ge", "["), ("gt", "(")):
            if getattr(meta, attr, None) is not None:
                low = (text, getattr(meta, attr))
        for attr, text in (("le", "]"), ("lt", ")")):
            if getattr(meta, attr, None) is not None:
                high = (text, getattr(meta, attr))
    if low and high:
        return f"in {low[0]}{_num(low[1])}, {_num(high[1])}{high[0]}"
    if low:
        return f"at least {_num(low[1])}" if low[0] == "[" else f"> {_num(low[1])}"
    if high:
        return f"{'<=' if high[0] == ']' else '<'} {_num(high[1])}"
    return None


def _expected(error: Any, name: str) -> str:
    """What a pydantic error says was expected, in words for people."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    words = {
        "int_type": "an integer",
        "float_type": "a number",
        "string_type": "a text",
        "tuple_type": "a list",
        "finite_number": "a finite number",
        "bool_type": "true or false",
    }
    if kind in words:
        return words[kind]
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} items"
    if any(bound in ctx for bound in ("ge", "gt", "le", "lt")):
        whole = _bounds(name) if len(error["loc"]) == 1 else None
        if whole:
            return whole
        for bound, text in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if bound in ctx:
                return f"{text} {_num(ctx[bound])}"
    return error["msg"].lower()


def _describe(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) > 10:
        return f"{len(value)} items"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return repr(value)


def validated(values: dict[str, Any], sources: dict[str, str]) -> RunConfig:
    """``RunConfig`` from merged values; a bad value is one UserError line naming the option,
    the value, what is expected and (``sources``: field -> where it came from) its source."""
    try:
        return RunConfig.model_validate(values)
    except FieldError as exc:  # raised by a validator (dataset options, max tokens, consistency)
        where = sources.get(f"{exc.field}.{exc.key}") or sources.get(exc.field)
        if not where:
            raise
        advice = f"; {exc.advice}" if exc.advice else ""
        raise UserError(f"{exc.problem} (from {where}){advice}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        name = loc[0] if loc else "config"
        key = loc[1] if len(loc) > 1 else None
        teacher = None
        if name == "teacher_lr" and key is not None and key.isdigit():
            pairs = RunConfig._pairs(values.get("teacher_lr")) or ()
            teacher = key = pairs[int(key)][0] if int(key) < len(pairs) else "?"
        where = sources.get(f"{name}.{key}") or sources.get(name)
        where = f" (from {where})" if where else ""
        if teacher is not None:
            raise UserError(
                f"--teacher-lr {teacher} must be {_expected(error, 'lr')}, got "
                f"{_describe(error.get('input'))}{where}"
            ) from None
        if error["type"] == "extra_forbidden" and len(loc) > 1:
            raise UserError(
                f"{flag_of(name)} has no part {loc[-1]!r}{where}; write one number for every "
                "split or train=N,test=N,teacher=N"
            ) from None
        if error["type"] == "extra_forbidden":
            raise UserError(
                f"unknown config option {name!r}{where}; known options: {', '.join(sorted(FIELDS))}"
            ) from None
        item = flag_of(name)
        for part in loc[1:]:  # an item of a list (1-based) or a key of a table
            item += f" (item {int(part) + 1})" if part.isdigit() else f" {part}"
        raise UserError(
            f"{item} must be {_expected(error, name)}, got {_describe(error.get('input'))}{where}"
        ) from None
