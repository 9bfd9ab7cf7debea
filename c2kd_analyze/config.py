"""The run configuration: a frozen, validated value whose hash names the run.

A config comes from a preset, then a TOML file, then command-line options (later wins). Every
source goes through one typed validation (:class:`RunConfig`, a frozen pydantic model): numbers
are checked strictly (``epochs = 2.5``, ``epochs = true`` or ``balance = "0.5"`` are refused, never
truncated), finite and in range, and a mistake is one :class:`~c2kd_analyze.errors.UserError`
line that names the option, the value, what is expected and where the value came from.
Presets hold the paper's setups (reference/c2kd-method.md section 4.2) and a fast demo recipe.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .distill.losses import Pool
from .errors import UserError
from .results import Direction

Mode = Literal["frozen", "full"]
TeacherRecipe = Literal["translate-train", "english"]
PrecisionSpec = Literal["auto", "fp32", "bf16", "fp16"]
TiesPolicy = Literal["optimistic", "mean", "pessimistic"]

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
        if isinstance(value, dict) or (isinstance(value, str) and "=" in value):
            keys = (
                value
                if isinstance(value, dict)
                else [part.partition("=")[0].strip() for part in value.split(",") if part.strip()]
            )
            unknown = sorted(set(keys) - set(cls.model_fields))
            if unknown:
                raise FieldError(
                    "max_tokens", f"--max-tokens has no part {unknown[0]!r}", how, key=unknown[0]
                )
        if isinstance(value, str):
            text = value.strip()
            if "=" not in text:
                value = int(text) if text.isdigit() else text
            else:
                pairs = [part.partition("=") for part in text.split(",") if part.strip()]
                value = {k.strip(): int(v) if v.strip().isdigit() else v for k, _, v in pairs}
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(train=value, test=value, teacher=value)
        return cls.model_validate(value)

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
    from .data import parse_dataset_options

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
    finetune_pooling: Literal["spec", "mean"] = "spec"
    n_video_tokens: Tokens = 30
    eval_directions: tuple[Direction, ...] = ("t2v", "v2t")
    # autocast of the encoders: "auto" until a run resolves it for its device (devices.py);
    # the run id is computed from the resolved value (fp32 on a CPU)
    precision: PrecisionSpec = "auto"
    ties: TiesPolicy = "optimistic"  # tie policy of the metrics (distill.metrics): the original's
    # set by the run, not by the user: a hash of the data folder's files (provenance), so data
    # edited in place gives a new run id
    data_fingerprint: str = ""

    @model_validator(mode="before")
    @classmethod
    def _typed_dataset_options(cls, values: Any) -> Any:
        """Dataset options are typed by the dataset's own schema (``data.options``), so ``"300"``
        from the command line and ``300`` from a file give one value and one run id."""
        if not isinstance(values, dict) or not values.get("dataset_options"):
            return values
        from .data import parse_dataset_options

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
        """sha256 of the canonical JSON of every field (hex)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def run_id(self) -> str:
        return f"{self.dataset}-{self.hash()[:10]}"

    def replace(self, **changes: Any) -> RunConfig:
        """A validated copy with ``changes``."""
        return validated({**self.model_dump(), **changes}, {})

    def teacher_lr_of(self, name: str) -> float:
        return dict(self.teacher_lr).get(name, self.lr)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    full_mode: dict[str, Any] = field(default_factory=dict)  # on top of values with --mode full


#: the paper's model setup: a fine-tuned LaBSE student, the xlm / mbert / distil-mUSE teachers
_PAPER_MODELS = dict(
    student="labse", teachers=("xlmr", "mbert", "muse-distil"), mode="full", finetune_pooling="mean"
)

# Paper setups: reference/c2kd-method.md section 4.2 (epochs, lr, NCE temperatures, pool, lambda,
# max_words per split, the teacher recipes). Pool names here mean what they say: MSR-VTT and
# YouCook2 computed an element-wise max (flag "min" in the original code), VATEX a min (flag
# "max"), RUDDER the mean.
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        # 5 epochs x 31 steps per cell and a 128-wide video tower: all 8 cells of a bare run
        # train in about a minute on 2 CPU cores (measured: ~57 ms per step), well above chance
        Preset("demo", "fast defaults for the embedded demo set on a CPU (frozen encoders)",
               dict(epochs=5, lr=1e-3, batch_size=64, projection_dim=256, video_width=128),
               # fine-tuning mE5 at the heads' 1e-3 collapsed the video tower within 4 steps
               # (every similarity equal); the paper's 1e-4 learns
               full_mode=dict(lr=1e-4, encoder_lr=2e-5)),
        Preset(
            "paper-msrvtt",
            "Multi-MSRVTT (CLIP): LaBSE student fine-tuned, teachers xlmr/mbert/muse-distil; "
            "20 epochs, lr 1e-4, tau 0.1, teachers 0.05, pool max, lambda 0.5, tokens 35/40/40",
            dict(dataset="multi-msrvtt", **_PAPER_MODELS, epochs=20, lr=1e-4, temperature=0.1,
                 baseline_temperature=0.1, teacher_temperature=0.05, pool="max", balance=0.5,
                 distill_temp=0.1, projection_dim=512, video_width=512,
                 max_tokens=dict(train=35, test=40, teacher=40)),
        ),
        Preset(
            "paper-youcook2",
            "Multi-YouCook2 (S3D): LaBSE student fine-tuned, teachers xlmr/mbert/muse-distil; "
            "10 epochs, lr 1e-4, tau 0.05 (baselines 0.1), pool max, lambda 0.1, tokens 35/40/35",
            dict(dataset="multi-youcook2", **_PAPER_MODELS, epochs=10, lr=1e-4, temperature=0.05,
                 baseline_temperature=0.1, teacher_temperature=0.05, pool="max", balance=0.1,
                 distill_temp=0.1, projection_dim=1024, video_width=512,
                 max_tokens=dict(train=35, test=40, teacher=35)),
        ),
        Preset(
            "paper-vatex",
            "VATEX (CLIP): LaBSE student fine-tuned, teachers xlmr/mbert/muse-distil; "
            "30 epochs, lr 1e-4, tau 0.05, pool min, lambda 0.1, tokens 40/40/40",
            dict(dataset="vatex", **_PAPER_MODELS, epochs=30, lr=1e-4, temperature=0.05,
                 baseline_temperature=0.05, teacher_temperature=0.05, pool="min", balance=0.1,
                 distill_temp=0.1, projection_dim=512, video_width=512,
                 max_tokens=dict(train=40, test=40, teacher=40)),
        ),
        Preset(
            "paper-rudder",
            "RUDDER (CLIP): LaBSE student fine-tuned, teachers xlmr/mbert/muse-distil (distil "
            "at lr 1e-4); 20 epochs, lr 5e-5, tau 0.05, pool mean, lambda 0.1, tokens 40/40/40",
            dict(dataset="rudder", **_PAPER_MODELS, epochs=20, lr=5e-5, temperature=0.05,
                 baseline_temperature=0.05, teacher_temperature=0.05, pool="mean", balance=0.1,
                 distill_temp=0.1, projection_dim=512, video_width=512,
                 max_tokens=dict(train=40, test=40, teacher=40),
                 teacher_lr={"muse-distil": 1e-4}),
        ),
    )
}  # fmt: skip

#: fields a run sets itself; a config file or option that tries to is refused
INTERNAL: frozenset[str] = frozenset({"data_fingerprint", "preset"})
FIELDS: frozenset[str] = frozenset(RunConfig.model_fields) - INTERNAL

#: config field -> command-line flag, where they differ from ``--<field-with-dashes>``
_FLAGS = {"dataset_options": "--dataset-option", "eval_directions": "eval_directions"}


def flag_of(name: str) -> str:
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


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


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file (top-level keys = RunConfig fields)."""
    path = Path(path)
    try:
        # utf-8-sig: a byte-order mark, as some Windows editors write, is no TOML statement
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise UserError(f"config file {path} not found") from exc
    except IsADirectoryError as exc:
        raise UserError(f"config file {path} is a folder; give a .toml file") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"config file {path} is not UTF-8 text; give a .toml file") from exc
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise UserError(f"config file {path} has {_unknown_keys(unknown)}")
    return data


def _unknown_keys(unknown: list[str]) -> str:
    """``unknown key 'epoch' (did you mean 'epochs'?); ...``: short, with close names only."""
    import difflib

    close = {k: difflib.get_close_matches(k, sorted(FIELDS), n=1) for k in unknown}
    hints = [f"{k!r} (did you mean {close[k][0]!r}?)" if close[k] else repr(k) for k in unknown]
    what = "unknown key" if len(unknown) == 1 else "unknown keys"
    return (
        f"{what} {', '.join(hints)}; `c2kd-analyze run --dry-run` lists every key under 'config:'"
    )


def preset(name: str) -> Preset:
    if name not in PRESETS:
        import difflib

        close = difflib.get_close_matches(name, PRESETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown preset {name!r}{hint} (presets: {', '.join(PRESETS)})")
    return PRESETS[name]


def _as_table(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        try:
            return dict(value)
        except (TypeError, ValueError):
            return None
    return None


#: settings that are tables: each source sets some keys, and a later source overrides those keys
#: only (``--dataset-option seed=1`` keeps a config file's ``n_train``)
TABLES: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "dataset_options": _as_table,
    "teacher_lr": _as_table,
    "max_tokens": MaxTokens.parts,
}


def merge_sources(layers: list[tuple[str, dict[str, Any]]]) -> tuple[dict, dict[str, str]]:
    """Values from ``layers`` ((source, values), lowest first: preset < file < options), and
    where each came from: ``sources[field]``, and ``sources["field.key"]`` for each key of a
    table (:data:`TABLES`), which merge per key."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for where, layer in layers:
        for name, value in layer.items():
            parse = TABLES.get(name)
            new = parse(value) if parse else None
            if new is not None:
                old = parse(values[name]) if parse and name in values else None
                value = {**(old or {}), **new}
                sources.update({f"{name}.{key}": where for key in new})
            values[name] = value
            sources[name] = where
    return values, sources


def build_config(
    preset_name: str = "demo", file: str | Path | None = None, **options: Any
) -> RunConfig:
    """Preset, then TOML file, then options that are not None (tables merge per key: see
    :data:`TABLES`). Raises UserError on bad values."""
    chosen = preset(preset_name)
    from_file = load_toml(file) if file is not None else {}
    given = {k: v for k, v in options.items() if v is not None}
    layers = [(f"preset {preset_name}", dict(chosen.values))]
    if given.get("mode", from_file.get("mode", chosen.values.get("mode"))) == "full":
        layers.append((f"preset {preset_name} (full mode)", dict(chosen.full_mode)))
    layers += [(f"config file {file}", from_file), ("the command line", given)]
    values, sources = merge_sources(layers)
    if str(values.get("pool", "")).lower() == "none":  # `--pool none` unsets a preset's pool
        values["pool"] = None
    teachers = RunConfig._names(values.get("teachers", DEFAULT_TEACHERS))
    if sources.get("pool", "").startswith("preset") and len(teachers) < 2:
        values["pool"] = None  # a preset's pool needs two teachers; one teacher simply has none
    values["preset"] = preset_name
    return validated(values, sources)
