"""The run configuration's schema: :class:`RunConfig`, a frozen, strict pydantic model whose hash
names the run.

Numbers are checked strictly (``epochs = 2.5``, ``epochs = true`` or ``balance = "0.5"`` are
refused, never truncated), finite and in range; a validator's mistake is a :class:`FieldError`
(the field, the problem, the advice) that :mod:`.errors` turns into one line naming its source.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from ..choices import Direction, FinetunePooling, Mode, Pool, PrecisionSpec, TeacherRecipe, Ties
from ..errors import UserError

#: the bundled teachers: they work offline, so a bare ``c2kd-analyze run`` uses them
DEFAULT_TEACHERS: tuple[str, ...] = ("muse", "me5-small", "minilm-en")

# strict numbers: an int is never a bool, a float or a string; a float is finite
Int = StrictInt
Float = Annotated[float, Strict(), AllowInfNan(False)]
Seed = Annotated[StrictInt, Field(ge=0, lt=2**32)]
# every count has a ceiling far above any real setup (the paper: 30 epochs, batch 64, 512 wide,
# 40 tokens, 30 frames), so a typo such as --epochs 99999999999999999999 is refused, not run
Epochs = Annotated[StrictInt, Field(ge=1, le=10_000)]
Width = Annotated[StrictInt, Field(ge=1, le=16_384)]
Tokens = Annotated[StrictInt, Field(ge=1, le=8_192)]
#: a softmax temperature: below 1e-3 the logits overflow float32 exp, above 10 every
#: similarity distribution is flat (both train nothing and give chance-level numbers)
Temperature = Annotated[float, Strict(), AllowInfNan(False), Field(ge=1e-3, le=10.0)]
#: no upper bound: a huge lr is a recipe that diverges, which training stops and names
LearningRate = Annotated[float, Strict(), AllowInfNan(False), Field(gt=0.0)]
#: the share of the training clips held out for validation: 0 (none) up to, not including, 1
ValFraction = Annotated[float, Strict(), AllowInfNan(False), Field(ge=0.0, lt=1.0)]


class FieldError(UserError):
    """A validator's mistake in one field (and, for a table such as ``dataset_options``, one of
    its keys): what is wrong and (optional) what to do. :func:`validated` puts where the value
    came from between the two."""

    def __init__(self, field: str, problem: str, advice: str = "", key: str | None = None) -> None:
        super().__init__(f"{problem}; {advice}" if advice else problem)
        self.field, self.problem, self.advice, self.key = field, problem, advice, key


class MaxTokens(BaseModel):
    """Token limits per split: training captions, test captions, and teacher training (the
    original: 35 / 40 / 40 on MSR-VTT). ``--max-tokens 40`` sets all three."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    train: Tokens = 40
    test: Tokens = 40
    teacher: Tokens = 40

    @classmethod
    def parse(cls, value: Any) -> MaxTokens:
        """An int (every split), a mapping, or ``"35"`` / ``"train=35,test=40,teacher=40"``."""
        if isinstance(value, MaxTokens):
            return value
        how = "write N (every split) or train=N,test=N,teacher=N"
        if isinstance(value, str) and "=" not in value and not value.strip().isdigit():
            raise FieldError(
                "max_tokens", f"--max-tokens must be a number of tokens, got {value!r}", how
            )
        parts = cls.parts(value)
        if parts is None:  # not a number or a table: pydantic says what it is
            return cls.model_validate(value)
        unknown = sorted(set(parts) - set(cls.model_fields))
        if unknown:
            raise FieldError(
                "max_tokens", f"--max-tokens has no part {unknown[0]!r}", how, key=unknown[0]
            )
        return cls.model_validate(parts)  # the parts not given keep their defaults

    def __str__(self) -> str:
        return f"train={self.train},test={self.test},teacher={self.teacher}"

    @classmethod
    def parts(cls, value: Any) -> dict[str, Any] | None:
        """The parts ``value`` sets, as a table (``40`` sets all three, ``"train=35"`` one), so
        a later source can override some parts and keep the rest; None when it is not a value
        of this kind (validation then says why)."""
        if isinstance(value, MaxTokens):
            return value.model_dump()
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int):
            return dict.fromkeys(cls.model_fields, value)
        if isinstance(value, str) and "=" in value:
            pairs = [part.partition("=") for part in value.split(",") if part.strip()]
            return {k.strip(): int(v) if v.strip().isdigit() else v.strip() for k, _, v in pairs}
        return dict(value) if isinstance(value, dict) else None


def _failing_key(dataset: str, options: dict[str, Any]) -> str | None:
    """The first dataset option that is wrong on its own (its source names the error)."""
    from ..data import parse_dataset_options

    for key, value in options.items():
        try:
            parse_dataset_options(dataset, {key: value})
        except UserError:
            return str(key)
    return None


class RunConfig(BaseModel):
    """Everything that decides the numbers of a run. Paths that only say *where* are not in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str = "demo"
    features: Literal["clip", "s3d"] | None = None  # C2KD release; None = the dataset's default
    # loader options that change the data, as sorted (key, value) pairs, e.g. (("n_train", 200),)
    dataset_options: tuple[tuple[str, Any], ...] = ()
    teachers: tuple[str, ...] = DEFAULT_TEACHERS
    student: str = "me5-small"
    seeds: Annotated[tuple[Seed, ...], Field(max_length=1000)] = (0,)
    # None: one teacher set per student seed; N: one teacher set (seed N) for every student seed
    teacher_seed: Seed | None = None
    # how teachers are trained: translate-train (the paper) or on English captions only; an
    # English-only teacher (its spec's languages are ("en",)) is trained on English either way
    teacher_recipe: TeacherRecipe = "translate-train"
    mode: Mode = "frozen"
    preset: str = "demo"
    pool: Pool | None = None  # when set, one extra C2KD student distilled from all teachers pooled
    epochs: Epochs = 10
    lr: LearningRate = 1e-3
    lr_decay: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0.0, le=1.0)] = 0.9
    encoder_lr: LearningRate | None = None  # lr of the fine-tuned encoder in --mode full
    # per-teacher lr when the original trained a teacher differently (RUDDER distil-mUSE: 1e-4)
    teacher_lr: tuple[tuple[str, LearningRate], ...] = ()
    batch_size: Annotated[StrictInt, Field(ge=2, le=1_000_000)] = 64  # and at most the train clips
    balance: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0.0, le=1.0)] = 0.1
    temperature: Temperature = 0.05  # NCE temperature of the C2KD student
    baseline_temperature: Temperature = 0.05  # NCE temperature of zero-shot / translate-train
    teacher_temperature: Temperature = 0.05  # NCE temperature when training teachers
    distill_temp: Temperature = 0.1
    projection_dim: Width = 512
    video_width: Width = 512  # width of the video tower's transformer (paper: 512)
    max_tokens: MaxTokens = MaxTokens()
    # how a fine-tuned encoder (--mode full) is pooled: as its spec says (the model's authors'
    # pooling), or masked mean for every model, as the original C2KD code (paper presets)
    finetune_pooling: FinetunePooling = "spec"
    n_video_tokens: Tokens = 30
    eval_directions: tuple[Direction, ...] = ("t2v", "v2t")
    # autocast of the encoders: "auto" until the run resolves it for its device (devices.py);
    # the run id is computed from the resolved value
    precision: PrecisionSpec = "auto"
    ties: Ties = "optimistic"  # tie policy of the metrics (distill.metrics): the original's
    # held out of the training clips and evaluated after every epoch (distill.validation)
    val_fraction: ValFraction = 0.0
    # report on test the epoch with the best mean validation R@1, not the last one
    select_on_val: StrictBool = False
    # set by the run, not by the user: a hash of the files the dataset's reader reads ("" for
    # a dataset without files), so data edited in place gives a new run id; None until resolved
    data_fingerprint: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_dataset_options(cls, values: Any) -> Any:
        """Dataset options are typed by the dataset's own schema (``data.options``), so ``"300"``
        from the command line and ``300`` from a file give one value and one run id."""
        if not isinstance(values, dict) or not values.get("dataset_options"):
            return values
        from ..data import parse_dataset_options

        options = values["dataset_options"]
        pairs = options.items() if isinstance(options, dict) else options
        try:
            options = dict(pairs)
        except (TypeError, ValueError):
            raise FieldError(
                "dataset_options",
                "--dataset-option needs KEY=VALUE pairs (a table in a config file), got "
                f"{options!r}",
            ) from None
        dataset = str(values.get("dataset", "demo"))
        try:
            typed = parse_dataset_options(dataset, options)
        except UserError as exc:  # the dataset's own line: name where its options came from
            field = "dataset" if str(exc).startswith("unknown dataset") else "dataset_options"
            raise FieldError(field, str(exc), key=_failing_key(dataset, options)) from None
        return {**values, "dataset_options": tuple(sorted(typed.items()))}

    @field_validator("max_tokens", mode="before")
    @classmethod
    def _max_tokens(cls, value: Any) -> Any:
        return MaxTokens.parse(value)

    @field_validator("dataset_options", "teacher_lr", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted(value.items()))
        if isinstance(value, list | tuple):
            return tuple(sorted(tuple(p) for p in value))
        return value

    @field_validator("teachers", "eval_directions", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):  # "a,b" from the command line
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return tuple(value) if isinstance(value, list) else value

    @field_validator("seeds", mode="before")
    @classmethod
    def _seeds(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            return tuple(int(p) if p.lstrip("-").isdigit() else p for p in parts)
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,)
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> RunConfig:
        if not self.seeds:
            raise FieldError("seeds", "--seeds needs at least one seed, e.g. --seeds 0,1,2")
        if len(set(self.seeds)) != len(self.seeds):
            raise FieldError("seeds", f"--seeds has duplicates: {','.join(map(str, self.seeds))}")
        if not self.teachers:
            raise FieldError(
                "teachers", "--teachers needs at least one teacher, e.g. --teachers muse"
            )
        if len(set(self.teachers)) != len(self.teachers):
            raise FieldError("teachers", f"--teachers has duplicates: {','.join(self.teachers)}")
        if self.pool is not None and len(self.teachers) < 2:
            raise FieldError("pool", "--pool needs at least two teachers to pool")
        if self.video_width % 4:
            raise FieldError(
                "video_width",
                "--video-width must be a multiple of 4 (4 attention heads), got "
                f"{self.video_width}",
            )
        if self.select_on_val and self.val_fraction == 0:
            raise FieldError(
                "select_on_val",
                "--select-on-val picks an epoch on validation clips, and there are none",
                "add --val-fraction F (e.g. --val-fraction 0.1) or drop --select-on-val",
            )
        if not self.eval_directions:
            raise FieldError("eval_directions", "eval_directions needs t2v and/or v2t")
        unknown = sorted({name for name, _ in self.teacher_lr} - set(self.teachers))
        if unknown:
            raise FieldError(
                "teacher_lr",
                f"--teacher-lr names {', '.join(unknown)}, which is not among --teachers "
                f"({','.join(self.teachers)})",
                "drop it or add the teacher",
            )
        return self

    # ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (what config.json stores)."""
        return self.model_dump(mode="json")

    def hash(self) -> str:
        """sha256 of the canonical JSON of every field but ``preset`` (hex): a preset only
        supplies values, so the same values reached through another preset are the same run."""
        values = {
            k: v
            for k, v in self.to_dict().items()
            if k not in NOT_HASHED and not (k in HASHED_WHEN_SET and v == HASHED_WHEN_SET[k])
        }
        blob = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def is_resolved(self) -> bool:
        """Whether what a run decides itself is decided: the precision on its device and the
        fingerprint of its data (see :meth:`resolved`)."""
        return self.precision != "auto" and self.data_fingerprint is not None

    def resolved(self, precision: str, data_fingerprint: str) -> RunConfig:
        """The config with the run's own decisions: ``auto`` precision made concrete for the
        device, and the data's fingerprint. Only a resolved config has a run id."""
        return self.replace(precision=precision, data_fingerprint=data_fingerprint)

    @property
    def run_id(self) -> str:
        """``<dataset>-<hash>``: the name of the run folder, in config.json and every result
        row. Known once the config is resolved (ValueError before)."""
        if not self.is_resolved:
            raise ValueError(
                "a run id needs a resolved config (its precision for a device and its data's "
                "fingerprint): use c2kd_analyze.distill.runner.resolve_config"
            )
        return f"{self.dataset}-{self.hash()[:10]}"

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with ``changes``."""
        from .errors import validated

        return validated({**self.model_dump(), **changes}, {})

    def teacher_lr_of(self, name: str) -> float:
        return dict(self.teacher_lr).get(name, self.lr)


#: fields a run sets itself; a config file or option that tries to is refused
INTERNAL: frozenset[str] = frozenset({"data_fingerprint", "preset"})
#: fields stored as sorted (key, value) pairs: tables in a config file
TABLES_OF_PAIRS: frozenset[str] = frozenset({"dataset_options", "teacher_lr"})
#: recorded in config.json but not part of the run id
NOT_HASHED: frozenset[str] = frozenset({"preset"})
#: fields added after runs existed, hashed only away from the value they had before (so a run
#: that leaves them there keeps its run id): field -> that value
HASHED_WHEN_SET: dict[str, Any] = {"val_fraction": 0.0, "select_on_val": False}
FIELDS: frozenset[str] = frozenset(RunConfig.model_fields) - INTERNAL

#: settings that may be unset (None), e.g. ``pool``: ``"none"`` in a file or option unsets them
NULLABLE: frozenset[str] = frozenset(
    name for name in FIELDS if RunConfig.model_fields[name].default is None
)
