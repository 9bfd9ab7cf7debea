"""Every closed set of the tool, once: its values (a ``Literal`` type) and a line of help for each.

The config validates against these types, ``run --help`` and the report explain the values with
these words, and the metrics, losses and devices take their values from here. A new value is
added in one place.

>>> values(Ties)
('optimistic', 'mean', 'pessimistic')
>>> HELP["ties"]["pessimistic"]
'a tie is lost: the true item ranks last among the items it ties with'
"""

from __future__ import annotations

from typing import Any, Literal, get_args

#: how the text encoders are used: cached frozen outputs, or fine-tuned (the paper)
Mode = Literal["frozen", "full"]
#: how teachers are trained: every language (the paper) or English captions only
TeacherRecipe = Literal["translate-train", "english"]
#: the autocast precision of the encoders; ``auto`` is decided for the device (devices.py)
PrecisionSpec = Literal["auto", "fp32", "bf16", "fp16"]
Precision = Literal["fp32", "bf16", "fp16"]
#: how a tie between the true item and another counts in a rank (distill.metrics)
Ties = Literal["optimistic", "mean", "pessimistic"]
#: how K teachers' (B, B) similarity matrices become one: element-wise over the teachers
Pool = Literal["max", "min", "mean"]
#: how a fine-tuned encoder is pooled: as its spec says, or masked mean for every model
FinetunePooling = Literal["spec", "mean"]
#: what a cell trains
Stage = Literal["teacher", "zero-shot", "translate-train", "c2kd", "c2kd-pool"]
#: text-to-video or video-to-text retrieval
Direction = Literal["t2v", "v2t"]


def values(kind: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in their order."""
    return tuple(get_args(kind))


HELP: dict[str, dict[str, str]] = {
    "mode": {
        "frozen": "encoders frozen, their outputs cached, heads and video tower trained",
        "full": "text encoders fine-tuned, as the paper",
    },
    "teacher_recipe": {
        "translate-train": "on every language, as the paper",
        "english": "on English captions only",
    },
    "precision": {
        "auto": "bf16 autocast where the device computes it natively: a CUDA GPU of compute "
        "capability 8.0 or more, a CPU with AMX-BF16 (there the encoders only, not the heads); "
        "else fp32",
        "fp32": "no autocast",
        "bf16": "bf16 autocast of the encoders",
        "fp16": "fp16 autocast with a gradient scaler",
    },
    "ties": {
        "optimistic": "a tie is won: the true item ranks first among the items it ties with",
        "mean": "the expected recall over a random order of the tied items",
        "pessimistic": "a tie is lost: the true item ranks last among the items it ties with",
    },
    "pool": {
        "max": "the element-wise maximum of the teachers' similarities",
        "min": "the element-wise minimum",
        "mean": "the element-wise mean",
    },
    "finetune_pooling": {
        "spec": "each model as its spec says, its authors' pooling",
        "mean": "masked mean for every model, as the original code and the paper presets",
    },
}


def described(name: str) -> str:
    """``a: what a is; b: what b is``: a closed set's values with their help, for ``--help``."""
    return "; ".join(f"{value}: {text}" for value, text in HELP[name].items())
