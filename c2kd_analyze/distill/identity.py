"""What a trained model depends on, in one place: each cell's :class:`~.train.TrainRecipe` and
the identity its checkpoint key hashes.

A checkpoint is reused whenever its key matches, so a setting that changes a model but not its
key would silently serve an old model. Every :class:`~c2kd_analyze.config.RunConfig` field is
therefore declared in :data:`AFFECTS` with the cell kinds whose models it changes (none: it
changes no trained model, with the reason), and a test changes each field and checks that exactly
the declared keys change. A key holds:

- the data's content fingerprint and the architecture every model shares (:data:`ARCHITECTURE`);
- the cell's :class:`~.train.TrainRecipe`, exactly as training reads it;
- what the cell resolves from the config: the encoder's model id, the mode that really runs, a
  fine-tuned encoder's pooling, a teacher's token limit, a student's teachers' own keys and pool.

A teacher's key holds nothing of the students' settings, so runs that differ only there share
their teachers.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .plan import Cell
from .train import TrainRecipe
from .validation import validation_identity

if TYPE_CHECKING:
    from .context import RunContext

#: the kinds of cell a key belongs to: a teacher, a baseline student (``zero-shot``,
#: ``translate-train``), a student distilled from one teacher, one distilled from them pooled
KINDS: tuple[str, ...] = ("teacher", "baseline", "c2kd", "c2kd-pool")
_ALL = frozenset(KINDS)
_DISTILLED = frozenset({"c2kd", "c2kd-pool"})
_TEACHERS = frozenset({"teacher"}) | _DISTILLED  # a teacher's key is in its students' keys
_STUDENTS = frozenset({"baseline"}) | _DISTILLED

#: config fields every model is built with (the model factory and the tokeniser read them)
ARCHITECTURE: tuple[str, ...] = ("projection_dim", "video_width", "n_video_tokens", "max_tokens")

#: each config field -> the kinds of cell whose trained models it changes (through their keys)
AFFECTS: dict[str, frozenset[str]] = {
    # the data: through its content fingerprint (what the reader returned, not its path)
    "dataset": _ALL,
    "features": _ALL,
    "dataset_options": _ALL,
    "data_fingerprint": frozenset(),  # the files' hash (the run id's); keys hash the content
    # every model's architecture and schedule
    "projection_dim": _ALL,
    "video_width": _ALL,
    "n_video_tokens": _ALL,
    "max_tokens": _ALL,
    "epochs": _ALL,
    "lr_decay": _ALL,
    "batch_size": _ALL,
    "encoder_lr": _ALL,
    "precision": _ALL,
    "mode": _ALL,  # for an encoder that can be fine-tuned
    "finetune_pooling": _ALL,  # in full mode only: a frozen encoder is not pooled by the run
    "lr": _ALL,  # a teacher's too, unless --teacher-lr gives it its own
    # teachers
    "teacher_lr": _TEACHERS,
    "teacher_temperature": _TEACHERS,
    "teacher_recipe": _TEACHERS,  # for a teacher that reads more than English
    "teacher_seed": _TEACHERS,
    # students
    "student": _STUDENTS,
    "baseline_temperature": frozenset({"baseline"}),
    "temperature": _DISTILLED,
    "balance": _DISTILLED,
    "distill_temp": _DISTILLED,
    "pool": frozenset({"c2kd-pool"}),
    # held-out clips are not trained on; a selected epoch's weights are the ones kept
    "val_fraction": _ALL,
    "select_on_val": _ALL,  # with --val-fraction (it is refused without)
    # nothing trained: each cell names its own teachers (more teachers make new cells, among
    # them a new pooled student) and its own seed, evaluation reads models, a preset only
    # supplies values
    "teachers": frozenset(),
    "seeds": frozenset(),
    "eval_directions": frozenset(),
    "ties": frozenset(),
    "preset": frozenset(),
}

#: fields that change a key only in ``--mode full`` (a frozen encoder is neither tuned nor pooled)
FULL_MODE_ONLY: frozenset[str] = frozenset({"finetune_pooling", "encoder_lr"})


def kind_of(cell: Cell) -> str:
    """The :data:`KINDS` entry of ``cell``."""
    if cell.stage in ("zero-shot", "translate-train"):
        return "baseline"
    return cell.stage


def teacher_languages(ctx: RunContext, name: str) -> tuple[str, ...]:
    """The languages teacher ``name`` is trained on: all of them (translate-train, the paper's
    recipe) or English only (``--teacher-recipe english``, and always for a teacher whose spec
    says it reads English only: translations it cannot read would only add noise)."""
    from ..teachers import get_spec

    english_only = get_spec(name).languages == ("en",)
    if ctx.cfg.teacher_recipe == "english" or english_only:
        return ("en",)
    return ctx.data.languages


def teacher_recipe_name(ctx: RunContext, name: str) -> str:
    """``translate-train`` or ``english``: how teacher ``name`` was trained (a result column)."""
    return "english" if teacher_languages(ctx, name) == ("en",) else "translate-train"


def teacher_seed(ctx: RunContext, seed: int) -> int:
    """The seed of the teachers a student of ``seed`` distils from (``--teacher-seed`` when set:
    one teacher set serves every student seed)."""
    return seed if ctx.cfg.teacher_seed is None else ctx.cfg.teacher_seed


def teacher_recipe(ctx: RunContext, name: str, seed: int) -> TrainRecipe:
    """How teacher ``name`` of ``seed`` (already :func:`teacher_seed`) is trained."""
    cfg = ctx.cfg
    return TrainRecipe(
        languages=teacher_languages(ctx, name), epochs=cfg.epochs, lr=cfg.teacher_lr_of(name),
        lr_decay=cfg.lr_decay, batch_size=cfg.batch_size, temperature=cfg.teacher_temperature,
        seed=Cell("teacher", (name,), seed).torch_seed, encoder_lr=cfg.encoder_lr,
        precision=ctx.precision,
    )  # fmt: skip


def student_recipe(ctx: RunContext, cell: Cell) -> TrainRecipe:
    """How the student of ``cell`` is trained (a baseline has no distillation terms)."""
    cfg = ctx.cfg
    distil = cell.stage in _DISTILLED
    return TrainRecipe(
        languages=("en",) if cell.stage == "zero-shot" else ctx.data.languages,
        epochs=cfg.epochs, lr=cfg.lr, lr_decay=cfg.lr_decay, batch_size=cfg.batch_size,
        temperature=cfg.temperature if distil else cfg.baseline_temperature,
        seed=cell.torch_seed,
        balance=cfg.balance if distil else 1.0,
        distill_temp=cfg.distill_temp if distil else TrainRecipe.distill_temp,
        encoder_lr=cfg.encoder_lr,
        precision=ctx.precision,
    )  # fmt: skip


def _shared(ctx: RunContext, name: str, mode: str) -> dict[str, Any]:
    """The part of a key every model reading encoder ``name`` in ``mode`` has."""
    cfg = ctx.cfg
    architecture = {field: getattr(cfg, field) for field in ARCHITECTURE}
    architecture["max_tokens"] = cfg.max_tokens.model_dump()
    return {
        "dataset": ctx.data.fingerprint, **architecture, "mode": mode,
        "model_id": ctx.encoders.model_id(name),
        "pooling": ctx.models.pooling(name) if mode == "full" else None,
    }  # fmt: skip


def _recipe(recipe: TrainRecipe, mode: str) -> dict[str, Any]:
    """The recipe as a key holds it: a frozen encoder has no encoder learning rate."""
    values = asdict(recipe)
    values["languages"] = list(recipe.languages)
    if mode != "full":
        values["encoder_lr"] = None
    return values


def teacher_identity(ctx: RunContext, name: str, seed: int) -> dict[str, Any]:
    """What teacher ``name`` of ``seed`` (already :func:`teacher_seed`) depends on."""
    mode = ctx.encoders.mode_of(name)
    return {
        **_shared(ctx, name, mode), "kind": "teacher", "teacher": name, "seed": seed,
        "recipe": _recipe(teacher_recipe(ctx, name, seed), mode),
        "teacher_max_tokens": ctx.cfg.max_tokens.teacher, **validation_identity(ctx.cfg),
    }  # fmt: skip


def student_identity(ctx: RunContext, cell: Cell) -> dict[str, Any]:
    """What the student of ``cell`` depends on; its teachers by their own keys."""
    from .checkpoints import checkpoint_key

    student = ctx.cfg.student
    mode = ctx.encoders.mode_of(student)
    seed = teacher_seed(ctx, cell.seed)
    teachers = [checkpoint_key(teacher_identity(ctx, t, seed)) for t in cell.teachers]
    return {
        **_shared(ctx, student, mode), "kind": cell.stage, "student": student, "seed": cell.seed,
        "recipe": _recipe(student_recipe(ctx, cell), mode), "teachers": teachers,
        "pool": (cell.pool or "mean") if len(teachers) > 1 else None,
        **validation_identity(ctx.cfg),
    }  # fmt: skip


def cell_key(ctx: RunContext, cell: Cell) -> str:
    """The checkpoint key of ``cell``'s model (a teacher cell: its teacher's)."""
    from .checkpoints import checkpoint_key

    if cell.stage == "teacher":
        (name,) = cell.teachers
        return checkpoint_key(teacher_identity(ctx, name, teacher_seed(ctx, cell.seed)))
    return checkpoint_key(student_identity(ctx, cell))
