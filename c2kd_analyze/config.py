"""The run configuration: a frozen, validated value whose hash names the run.

A config comes from a preset, then a TOML file, then command-line options (later wins).
Presets hold the paper's recipes (reference/c2kd-method.md section 4.2) and a fast demo recipe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import UserError

Mode = Literal["frozen", "full"]
Pool = Literal["max", "min", "mean"]
POOLS: tuple[str, ...] = ("max", "min", "mean")
MODES: tuple[str, ...] = ("frozen", "full")

#: the bundled teachers: they work offline, so a bare ``c2kd-analyze run`` uses them
DEFAULT_TEACHERS: tuple[str, ...] = ("muse", "me5-small", "minilm-en")


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides the numbers of a run. Paths that only say *where* are not in it."""

    dataset: str = "demo"
    features: str | None = None  # "clip" | "s3d" for the C2KD release; None = the dataset's default
    # loader options that change the data, as sorted (key, value) pairs, e.g. (("n_train", 200),)
    dataset_options: tuple[tuple[str, Any], ...] = ()
    teachers: tuple[str, ...] = DEFAULT_TEACHERS
    student: str = "me5-small"
    seeds: tuple[int, ...] = (0,)
    mode: Mode = "frozen"
    preset: str = "demo"
    pool: Pool | None = None  # when set, one extra C2KD student distilled from all teachers pooled
    epochs: int = 10
    lr: float = 1e-3
    lr_decay: float = 0.9  # ExponentialLR gamma, stepped once per epoch (as the paper)
    encoder_lr: float | None = None  # lr of the fine-tuned text encoder in --mode full; None = lr
    batch_size: int = 64
    balance: float = 0.1  # lambda: weight of NCE against (1 - lambda) for distillation
    temperature: float = 0.05  # NCE temperature of the C2KD student
    baseline_temperature: float = 0.05  # NCE temperature of zero-shot / translate-train
    teacher_temperature: float = 0.05  # NCE temperature when training teachers
    distill_temp: float = 0.1
    projection_dim: int = 512
    video_width: int = 512  # width of the video tower's transformer (paper: 512)
    max_tokens: int = 40
    n_video_tokens: int = 30
    eval_directions: tuple[str, ...] = ("t2v", "v2t")

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """sha256 of the canonical JSON of every field (hex)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def run_id(self) -> str:
        return f"{self.dataset}-{self.hash()[:10]}"

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def validate(cfg: RunConfig) -> None:
    """Refuse out-of-range values up front, with one line each."""
    if not 0.0 <= cfg.balance <= 1.0:
        raise UserError(f"--balance must be in [0, 1], got {cfg.balance}")
    for name in ("temperature", "baseline_temperature", "teacher_temperature", "distill_temp"):
        value = getattr(cfg, name)
        if not value > 0:
            flag = name.replace("_", "-")
            raise UserError(f"--{flag} must be > 0, got {value}")
    if cfg.pool is not None and cfg.pool not in POOLS:
        raise UserError(f"unknown pool {cfg.pool!r}; choose one of {', '.join(POOLS)}")
    if cfg.mode not in MODES:
        raise UserError(f"unknown mode {cfg.mode!r}; choose frozen or full")
    if cfg.epochs < 1:
        raise UserError(f"--epochs must be at least 1, got {cfg.epochs}")
    if not cfg.lr > 0:
        raise UserError(f"--lr must be > 0, got {cfg.lr}")
    if cfg.encoder_lr is not None and not cfg.encoder_lr > 0:
        raise UserError(f"--encoder-lr must be > 0, got {cfg.encoder_lr}")
    if cfg.batch_size < 2:
        raise UserError(
            f"--batch-size must be at least 2 (in-batch negatives), got {cfg.batch_size}"
        )
    for name in ("projection_dim", "video_width", "max_tokens", "n_video_tokens"):
        if getattr(cfg, name) < 1:
            raise UserError(f"{name} must be at least 1, got {getattr(cfg, name)}")
    if cfg.video_width % 4:
        raise UserError(f"video_width must be a multiple of 4 (4 heads), got {cfg.video_width}")
    if not cfg.seeds:
        raise UserError("--seeds needs at least one seed, e.g. --seeds 0,1,2")
    if len(set(cfg.seeds)) != len(cfg.seeds):
        raise UserError(f"--seeds has duplicates: {','.join(map(str, cfg.seeds))}")
    if len(set(cfg.teachers)) != len(cfg.teachers):
        raise UserError(f"--teachers has duplicates: {','.join(cfg.teachers)}")
    if cfg.pool is not None and len(cfg.teachers) < 2:
        raise UserError("--pool needs at least two teachers to pool")
    if cfg.features is not None and cfg.features not in ("clip", "s3d"):
        raise UserError(f"unknown --features {cfg.features!r}; choose clip or s3d")
    bad_dirs = set(cfg.eval_directions) - {"t2v", "v2t"}
    if bad_dirs:
        raise UserError(f"unknown evaluation direction(s) {sorted(bad_dirs)}; use t2v and/or v2t")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    full_mode: dict[str, Any] = field(default_factory=dict)  # on top of values with --mode full


# Paper recipes: reference/c2kd-method.md section 4.2 (epochs, lr, NCE temperatures, pool, lambda).
# Pool names here mean what they say: MSR-VTT and YouCook2 computed an element-wise max (flag "min"
# in the original code), VATEX a min (flag "max"), RUDDER the mean.
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
            "Multi-MSRVTT (CLIP): 20 epochs, lr 1e-4, tau 0.1, teachers 0.05, pool max, lambda 0.5",
            dict(epochs=20, lr=1e-4, temperature=0.1, baseline_temperature=0.1,
                 teacher_temperature=0.05, pool="max", balance=0.5, distill_temp=0.1,
                 projection_dim=512, max_tokens=35),
        ),
        Preset(
            "paper-youcook2",
            "Multi-YouCook2 (S3D): 10 epochs, lr 1e-4, tau 0.05 (baselines 0.1), pool max, "
            "lambda 0.1",
            dict(epochs=10, lr=1e-4, temperature=0.05, baseline_temperature=0.1,
                 teacher_temperature=0.05, pool="max", balance=0.1, distill_temp=0.1,
                 projection_dim=1024, max_tokens=35),
        ),
        Preset(
            "paper-vatex",
            "VATEX (CLIP): 30 epochs, lr 1e-4, tau 0.05, pool min, lambda 0.1",
            dict(epochs=30, lr=1e-4, temperature=0.05, baseline_temperature=0.05,
                 teacher_temperature=0.05, pool="min", balance=0.1, distill_temp=0.1,
                 projection_dim=512, max_tokens=40),
        ),
        Preset(
            "paper-rudder",
            "RUDDER (CLIP): 20 epochs, lr 5e-5, tau 0.05, pool mean, lambda 0.1",
            dict(epochs=20, lr=5e-5, temperature=0.05, baseline_temperature=0.05,
                 teacher_temperature=0.05, pool="mean", balance=0.1, distill_temp=0.1,
                 projection_dim=512, max_tokens=40),
        ),
    )
}  # fmt: skip

_FIELDS = {f.name for f in dataclasses.fields(RunConfig)}
_TUPLE_FIELDS = ("teachers", "seeds", "eval_directions")


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in _TUPLE_FIELDS:
        if name in out and out[name] is not None and not isinstance(out[name], tuple):
            seq = out[name]
            if isinstance(seq, str):
                seq = [s.strip() for s in seq.split(",") if s.strip()]
            out[name] = tuple(seq)
    if isinstance(out.get("dataset_options"), dict):
        out["dataset_options"] = tuple(sorted(out["dataset_options"].items()))
    elif out.get("dataset_options") is not None:
        out["dataset_options"] = tuple(sorted(tuple(p) for p in out["dataset_options"]))
    if "seeds" in out:
        try:
            out["seeds"] = tuple(int(s) for s in out["seeds"])
        except (TypeError, ValueError) as exc:
            raise UserError(
                f"--seeds must be integers separated by commas, got {values['seeds']!r}"
            ) from exc
    return out


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file (top-level keys = RunConfig fields)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise UserError(f"config file {path} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = set(data) - _FIELDS
    if unknown:
        raise UserError(
            f"config file {path} has unknown key(s) {sorted(unknown)}; known: {sorted(_FIELDS)}"
        )
    return data


def build_config(preset: str = "demo", file: str | Path | None = None, **options: Any) -> RunConfig:
    """Preset, then TOML file, then options that are not None. Raises UserError on bad values."""
    if preset not in PRESETS:
        import difflib

        close = difflib.get_close_matches(preset, PRESETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown preset {preset!r}{hint} (presets: {', '.join(PRESETS)})")
    values: dict[str, Any] = dict(PRESETS[preset].values)
    from_file = load_toml(file) if file is not None else {}
    given = {k: v for k, v in options.items() if v is not None}
    if given.get("mode", from_file.get("mode", values.get("mode"))) == "full":
        values.update(PRESETS[preset].full_mode)
    values.update(from_file)
    values.update(given)
    unknown = set(values) - _FIELDS
    if unknown:
        raise UserError(f"unknown config option(s) {sorted(unknown)}")
    values["preset"] = preset
    return RunConfig(**_coerce(values))
