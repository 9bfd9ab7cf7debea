"""Running one cell: get (train or load) its model, evaluate every language, make its outputs.

A teacher (registry name k, seed s) is its own text head (over encoder k) and video tower, trained
with translate-train at ``cfg.teacher_temperature`` and then frozen. Once trained, its English
text embeddings of every training caption and its video embeddings of every training clip are
cached with its checkpoint, so a C2KD batch costs ``T = t_text[rows] @ t_video[clips].T``, never a
teacher forward pass. Test-split embeddings are cached too, for the agreement diagnostic.

With ``--val-fraction`` every model (teachers too) is validated after each epoch
(:mod:`.validation`); its rows are saved with its checkpoint, so a cell that loads the checkpoint
still has them. With ``--select-on-val`` the best validation epoch's weights replace the last
ones before anything else reads the model (test, checkpoint, a teacher's targets).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoints as ckpt
from .context import RunContext
from .evaluate import (
    EvalEmbeddings,
    embed_test,
    evaluate,
    first_caption_rows,
    merge_duplicates,
    teacher_agreement,
)
from .evaluate import translation_recall as _translation_recall
from .inputs import embed_texts, embed_videos
from .models import RetrievalModel
from .outputs import CellInfo, CellOutputs
from .plan import Cell
from .train import Recipe, Step, TeacherTargets, train_model
from .trained import Trained, finish, loaded_validation, save_trained, steps_of
from .validation import make_validator, validation_identity

log = logging.getLogger(__name__)

OnStep = Callable[[Step, int], None]


@dataclass(frozen=True)
class TrainedTeacher:
    name: str
    key: str  # checkpoint key
    model_id: str
    mode: str
    model: RetrievalModel
    # train_text_en, train_video, test_text_en, test_en_valid, test_video
    embeddings: dict[str, torch.Tensor]
    history: list[Step]
    validation: list[dict] = field(default_factory=list)  # per-epoch rows (.validation)
    selected_epoch: int | None = None  # the epoch --select-on-val kept


def teacher_languages(ctx: RunContext, name: str) -> tuple[str, ...]:
    """The languages teacher ``name`` is trained on: all of them (translate-train, the paper's
    recipe) or English only (``--teacher-recipe english``, and always for a teacher whose spec
    says it reads English only: translations it cannot read would only add noise)."""
    from ..teachers import get_spec

    english_only = get_spec(name).languages == ("en",)
    if ctx.cfg.teacher_recipe == "english" or english_only:
        return ("en",)
    return ctx.languages


def teacher_recipe_name(ctx: RunContext, name: str) -> str:
    """``translate-train`` or ``english``: how teacher ``name`` was trained (a result column)."""
    return "english" if teacher_languages(ctx, name) == ("en",) else "translate-train"


def _train_or_load(
    ctx: RunContext,
    key: str,
    model: RetrievalModel,
    recipe: Recipe,
    encoder: str,
    targets: TeacherTargets | None,
    on_step: OnStep | None,
) -> Trained:
    """Load the checkpoint ``key`` into ``model`` if present, else train (and validate) it."""
    validates = ctx.dataset.val is not None
    if ckpt.has_checkpoint(key, with_validation=validates):
        ckpt.load_weights(key, model)
        model.eval()
        rows, selected = loaded_validation(key, validates)
        return Trained(steps_of(ckpt.load_history(key)), rows, selected, False)
    texts = ctx.text_inputs(encoder, "train")
    frames, mask = ctx.frames("train")
    validator = make_validator(ctx, encoder)
    history = train_model(model, texts, frames, mask, recipe, targets, on_step=on_step,
                          on_epoch=validator)  # fmt: skip
    rows, selected = finish(validator, model)
    return Trained(history, rows, selected, True)


def _teacher_recipe(ctx: RunContext, name: str, seed: int) -> Recipe:
    cfg = ctx.cfg
    return Recipe(
        languages=teacher_languages(ctx, name), epochs=cfg.epochs, lr=cfg.teacher_lr_of(name),
        lr_decay=cfg.lr_decay, batch_size=cfg.batch_size, temperature=cfg.teacher_temperature,
        seed=seed, encoder_lr=cfg.encoder_lr, precision=ctx.precision,
    )  # fmt: skip


def _teacher_embeddings(ctx: RunContext, name: str, model: RetrievalModel) -> dict:
    """The frozen teacher's English text and video embeddings on both splits, L2-normalised,
    float32 on the device (``test_en_valid`` stays on the host)."""
    out = {}
    p = ctx.precision
    train_en = ctx.teacher_tables["train"]["en"]
    # the distillation targets read English at the student's training limit (as the original
    # padded the teachers' tokens to the student's max_words), whatever the teacher trained at
    texts = ctx.text_inputs(name, "train", role="teacher", languages=("en",))
    rows = np.arange(len(train_en.texts))
    out["train_text_en"] = embed_texts(model, texts, "en", rows, precision=p)
    out["train_video"] = embed_videos(model, *ctx.frames("train"), precision=p)
    rows, valid = first_caption_rows(ctx.teacher_tables["test"]["en"])
    test = ctx.text_inputs(name, "test", role="teacher")
    out["test_text_en"] = embed_texts(model, test, "en", rows[valid], precision=p)
    out["test_en_valid"] = torch.from_numpy(valid)
    out["test_video"] = embed_videos(model, *ctx.frames("test"), precision=p)
    return {k: F.normalize(v, dim=-1) if v.is_floating_point() else v for k, v in out.items()}


def _to_device(embeddings: dict[str, torch.Tensor], device: torch.device) -> dict:
    """Cached teacher embeddings onto the run's device (a boolean mask stays on the host)."""
    return {k: v.to(device) if v.is_floating_point() else v for k, v in embeddings.items()}


def get_teacher(
    ctx: RunContext, name: str, seed: int, on_step: OnStep | None = None
) -> TrainedTeacher:
    """The trained teacher ``name`` for student seed ``seed`` (``cfg.teacher_seed`` when set):
    from the run's memory, from its checkpoint, or trained."""
    if ctx.cfg.teacher_seed is not None:
        seed = ctx.cfg.teacher_seed
    return ctx.memo(("teacher", name, seed), lambda: _build_teacher(ctx, name, seed, on_step))


def _build_teacher(ctx: RunContext, name: str, seed: int, on_step: OnStep | None):
    """Load teacher ``name`` of ``seed`` from its checkpoint, or train and checkpoint it."""
    cell = Cell("teacher", (name,), seed)
    mode = ctx.mode_of(name)
    recipe = _teacher_recipe(ctx, name, cell.torch_seed)
    limit = ctx.cfg.max_tokens.teacher
    identity = {
        **ctx.identity(), "kind": "teacher", "teacher": name, "model_id": ctx.model_id(name),
        "mode": mode, "seed": seed, "temperature": recipe.temperature,
        "languages": list(recipe.languages), "lr": recipe.lr, "teacher_max_tokens": limit,
        "pooling": ctx.pooling(name) if mode == "full" else None,
        **validation_identity(ctx.cfg),
    }  # fmt: skip
    key = ckpt.checkpoint_key(identity)
    model = ctx.new_model(name, cell.torch_seed, role="teacher")
    validates = ctx.dataset.val is not None
    with ckpt.checkpoint_lock(key):  # sharded runs: one process trains it, the others load it
        if ckpt.has_checkpoint(key, with_embeddings=True, with_validation=validates):
            ckpt.load_weights(key, model)
            model.eval()
            history = steps_of(ckpt.load_history(key))
            embeddings = _to_device(ckpt.load_embeddings(key), ctx.device)
            rows, selected = loaded_validation(key, validates)
        else:
            frames, mask = ctx.frames("train")
            texts = ctx.text_inputs(
                name, "train", max_tokens=limit, role="teacher", languages=recipe.languages
            )
            validator = make_validator(ctx, name, "teacher")
            history = train_model(model, texts, frames, mask, recipe, on_step=on_step,
                                  on_epoch=validator)  # fmt: skip
            rows, selected = finish(validator, model)  # the selected epoch is the teacher
            embeddings = _teacher_embeddings(ctx, name, model)
            meta = {"identity": identity, "role": "teacher", "encoder": name,
                    "video": model.video.config}  # fmt: skip
            save_trained(key, model, meta, history, rows, selected, validates, embeddings)
    return TrainedTeacher(name, key, ctx.model_id(name), mode, model, embeddings, history, rows,
                          selected)  # fmt: skip


def run_teacher_cell(ctx: RunContext, cell: Cell, on_step: OnStep | None = None) -> tuple:
    """Train (or load) the teacher, evaluate its own retrieval per language, and its encoder's
    English -> language translation R@1 on the test captions (frozen encoder vectors)."""
    (name,) = cell.teachers
    teacher = get_teacher(ctx, name, cell.seed, on_step)
    test_texts = ctx.text_inputs(name, "test", role="teacher")
    emb = embed_test(
        teacher.model, test_texts, *ctx.frames("test"), ctx.languages, precision=ctx.precision
    )
    emb = merge_duplicates(emb, ctx.dataset.test.clip_ids)
    results = evaluate(emb, ctx.dataset.test.n_queries, ctx.cfg.eval_directions, ties=ctx.cfg.ties)
    frozen = ctx.encoder_outputs(name, "test", "teacher")  # its own vectors, not standardised
    feats, valid = {}, {}
    for lang in ctx.languages:
        rows, ok = first_caption_rows(frozen.tables[lang])
        feats[lang], valid[lang] = frozen.features[lang][rows[ok]].float().cpu().numpy(), ok
    diagnostics = [
        {"lang": lang, "metric": "translation_recall", "k": 1, "value": value}
        for lang, value in _translation_recall(feats, valid).items()
    ]
    info = _info(ctx, cell, teacher.model_id, teacher.model_id, teacher.mode, teacher.key)
    epoch = teacher.selected_epoch or ctx.cfg.epochs
    return info, CellOutputs(results, teacher.history, diagnostics, epoch, teacher.validation,
                             teacher.selected_epoch)  # fmt: skip


def _student_recipe(ctx: RunContext, cell: Cell) -> Recipe:
    cfg = ctx.cfg
    distil = cell.stage in ("c2kd", "c2kd-pool")
    return Recipe(
        languages=("en",) if cell.stage == "zero-shot" else ctx.languages,
        epochs=cfg.epochs, lr=cfg.lr, lr_decay=cfg.lr_decay, batch_size=cfg.batch_size,
        temperature=cfg.temperature if distil else cfg.baseline_temperature,
        seed=cell.torch_seed,
        balance=cfg.balance if distil else 1.0,
        distill_temp=cfg.distill_temp,
        encoder_lr=cfg.encoder_lr,
        precision=ctx.precision,
    )  # fmt: skip


def run_student_cell(ctx: RunContext, cell: Cell, on_step: OnStep | None = None) -> tuple:
    """Zero-shot, translate-train or C2KD student: train (or load), evaluate, diagnostics."""
    cfg = ctx.cfg
    student = cfg.student
    recipe = _student_recipe(ctx, cell)
    teachers = [get_teacher(ctx, t, cell.seed, on_step) for t in cell.teachers]
    pool = cell.pool or "mean"
    targets = None
    if teachers:
        targets = TeacherTargets(
            tuple(t.embeddings["train_text_en"] for t in teachers),
            tuple(t.embeddings["train_video"] for t in teachers),
            pool,
            en_ok=~ctx.teacher_tables["train"]["en"].empty,
        )
    mode = ctx.mode_of(student)
    identity = {
        **ctx.identity(), "kind": cell.stage, "student": student, "model_id": ctx.model_id(student),
        "mode": mode, "seed": cell.seed, "recipe": recipe.__dict__ | {"seed": cell.torch_seed},
        "teachers": [t.key for t in teachers], "pool": pool if len(teachers) > 1 else None,
        "pooling": ctx.pooling(student) if mode == "full" else None,
        **validation_identity(cfg),
    }  # fmt: skip
    key = ckpt.checkpoint_key(identity)
    model = ctx.new_model(student, cell.torch_seed)
    got = _train_or_load(ctx, key, model, recipe, student, targets, on_step)
    if got.trained:
        meta = {"identity": identity, "role": "student", "encoder": student,
                "video": model.video.config}  # fmt: skip
        save_trained(key, model, meta, got.history, got.validation, got.selected_epoch,
                     ctx.dataset.val is not None)  # fmt: skip
    test_texts = ctx.text_inputs(student, "test")
    emb = embed_test(model, test_texts, *ctx.frames("test"), ctx.languages, precision=ctx.precision)
    emb = merge_duplicates(emb, ctx.dataset.test.clip_ids)
    results = evaluate(emb, ctx.dataset.test.n_queries, cfg.eval_directions, ties=cfg.ties)
    diagnostics = []
    if teachers:
        refs = []
        for t in teachers:
            own = EvalEmbeddings(
                video=t.embeddings["test_video"],
                text={"en": t.embeddings["test_text_en"]},
                valid={"en": t.embeddings["test_en_valid"].numpy()},
            )
            own = merge_duplicates(own, ctx.dataset.test.clip_ids)
            refs.append((own.text["en"], own.valid["en"], own.video))
        agreement = teacher_agreement(emb, refs, pool, cfg.distill_temp)
        diagnostics = [
            {"lang": lang, "metric": "teacher_agreement_kl", "k": None, "value": value}
            for lang, value in agreement.items()
        ]
    teacher_model = "+".join(t.model_id for t in teachers) if teachers else None
    info = _info(ctx, cell, teacher_model, ctx.model_id(student), mode, key)
    return info, CellOutputs(results, got.history, diagnostics, got.test_epoch(cfg.epochs),
                             got.validation, got.selected_epoch)  # fmt: skip


def _info(ctx: RunContext, cell: Cell, teacher_model, student_model, mode, key) -> CellInfo:
    recipes = "+".join(teacher_recipe_name(ctx, t) for t in cell.teachers) or None
    return CellInfo(
        run_id=ctx.cfg.run_id, cell=cell.name, stage=cell.stage, teacher=cell.teacher_label,
        teacher_model=teacher_model, student_model=student_model, dataset=ctx.dataset.name,
        seed=cell.seed, mode=mode, teacher_recipe=recipes, checkpoint=key, pool=cell.pool,
        tie_policy=ctx.cfg.ties,
    )  # fmt: skip
