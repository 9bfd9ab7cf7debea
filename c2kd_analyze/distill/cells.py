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
from .identity import (
    student_identity,
    student_recipe,
    teacher_identity,
    teacher_recipe,
    teacher_recipe_name,
    teacher_seed,
)
from .inputs import embed_texts, embed_videos
from .models import RetrievalModel
from .outputs import CellInfo, CellOutputs
from .plan import Cell
from .run_data import Role
from .train import Step, TeacherTargets, TrainRecipe, train_model
from .trained import Trained, finish, loaded_validation, save_trained, steps_of
from .validation import make_validator

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


def _train_or_load(
    ctx: RunContext,
    key: str,
    model: RetrievalModel,
    recipe: TrainRecipe,
    encoder: str,
    targets: TeacherTargets | None,
    on_step: OnStep | None,
    role: Role = "student",
    max_tokens: int | None = None,
    with_embeddings: bool = False,
) -> Trained:
    """Load the checkpoint ``key`` into ``model`` if present (a teacher's with its cached
    embeddings: ``with_embeddings``), else train (and validate) it on the training captions
    ``role`` reads of ``encoder`` in ``recipe``'s languages."""
    validates = ctx.data.dataset.val is not None
    if ckpt.has_checkpoint(key, with_embeddings=with_embeddings, with_validation=validates):
        ckpt.load_weights(key, model)
        model.eval()
        rows, selected = loaded_validation(key, validates)
        return Trained(steps_of(ckpt.load_history(key)), rows, selected, False)
    languages = recipe.languages if role == "teacher" else None
    texts = ctx.encoders.text_inputs(encoder, "train", max_tokens, role, languages)
    frames, mask = ctx.data.frames("train")
    validator = make_validator(ctx, encoder, role)
    history = train_model(model, texts, frames, mask, recipe, targets, on_step=on_step,
                          on_epoch=validator)  # fmt: skip
    rows, selected = finish(validator, model)  # the selected epoch is the model from here on
    return Trained(history, rows, selected, True)


def _teacher_embeddings(ctx: RunContext, name: str, model: RetrievalModel) -> dict:
    """The frozen teacher's English text and video embeddings on both splits, L2-normalised,
    float32 on the device (``test_en_valid`` stays on the host)."""
    out = {}
    p = ctx.precision
    train_en = ctx.data.teacher_tables["train"]["en"]
    # the distillation targets read English at the student's training limit (as the original
    # padded the teachers' tokens to the student's max_words), whatever the teacher trained at
    texts = ctx.encoders.text_inputs(name, "train", role="teacher", languages=("en",))
    rows = np.arange(len(train_en.texts))
    out["train_text_en"] = embed_texts(model, texts, "en", rows, precision=p)
    out["train_video"] = embed_videos(model, *ctx.data.frames("train"), precision=p)
    rows, valid = first_caption_rows(ctx.data.teacher_tables["test"]["en"])
    test = ctx.encoders.text_inputs(name, "test", role="teacher")
    out["test_text_en"] = embed_texts(model, test, "en", rows[valid], precision=p)
    out["test_en_valid"] = torch.from_numpy(valid)
    out["test_video"] = embed_videos(model, *ctx.data.frames("test"), precision=p)
    return {k: F.normalize(v, dim=-1) if v.is_floating_point() else v for k, v in out.items()}


def _to_device(embeddings: dict[str, torch.Tensor], device: torch.device) -> dict:
    """Cached teacher embeddings onto the run's device (a boolean mask stays on the host)."""
    return {k: v.to(device) if v.is_floating_point() else v for k, v in embeddings.items()}


class CellRunner:
    """Runs the cells of one run over its context, keeping what they trained: a teacher trained
    (or loaded) for one cell serves every later cell of the run that distils from it."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._teachers: dict[tuple[str, int], TrainedTeacher] = {}

    def trained_teacher(
        self, name: str, seed: int, on_step: OnStep | None = None
    ) -> TrainedTeacher:
        """The trained teacher ``name`` for student seed ``seed`` (``cfg.teacher_seed`` when
        set): from this run's memory, from its checkpoint, or trained."""
        seed = teacher_seed(self.ctx, seed)
        if (name, seed) not in self._teachers:
            self._teachers[(name, seed)] = _build_teacher(self.ctx, name, seed, on_step)
        return self._teachers[(name, seed)]

    def run(self, cell: Cell, on_step: OnStep | None = None) -> tuple[CellInfo, CellOutputs]:
        """Train (or load) and evaluate ``cell``: its info and outputs."""
        if cell.stage == "teacher":
            return run_teacher_cell(self, cell, on_step)
        return run_student_cell(self, cell, on_step)


def _build_teacher(ctx: RunContext, name: str, seed: int, on_step: OnStep | None):
    """Load teacher ``name`` of ``seed`` from its checkpoint, or train and checkpoint it."""
    mode = ctx.encoders.mode_of(name)
    recipe = teacher_recipe(ctx, name, seed)
    identity = teacher_identity(ctx, name, seed)
    key = ckpt.checkpoint_key(identity)
    model = ctx.models.new(name, recipe.seed, role="teacher")
    with ckpt.checkpoint_lock(key):  # sharded runs: one process trains it, the others load it
        got = _train_or_load(ctx, key, model, recipe, name, None, on_step, "teacher",
                             ctx.cfg.max_tokens.teacher, with_embeddings=True)  # fmt: skip
        if got.trained:
            embeddings = _teacher_embeddings(ctx, name, model)
            meta = {"identity": identity, "role": "teacher", "encoder": name,
                    "video": model.video.config}  # fmt: skip
            save_trained(key, model, meta, got.history, got.validation, got.selected_epoch,
                         ctx.data.dataset.val is not None, embeddings)  # fmt: skip
        else:
            embeddings = _to_device(ckpt.load_embeddings(key), ctx.device)
    return TrainedTeacher(name, key, ctx.encoders.model_id(name), mode, model, embeddings,
                          got.history, got.validation, got.selected_epoch)  # fmt: skip


def run_teacher_cell(
    cells: CellRunner, cell: Cell, on_step: OnStep | None = None
) -> tuple[CellInfo, CellOutputs]:
    """Train (or load) the teacher, evaluate its own retrieval per language, and its encoder's
    English -> language translation R@1 on the test captions (frozen encoder vectors)."""
    ctx = cells.ctx
    (name,) = cell.teachers
    teacher = cells.trained_teacher(name, cell.seed, on_step)
    _, results = _evaluate(
        ctx, teacher.model, ctx.encoders.text_inputs(name, "test", role="teacher")
    )
    frozen = ctx.encoders.outputs(name, "test", "teacher")  # its own vectors, not standardised
    feats, valid = {}, {}
    for lang in ctx.data.languages:
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


def run_student_cell(
    cells: CellRunner, cell: Cell, on_step: OnStep | None = None
) -> tuple[CellInfo, CellOutputs]:
    """Zero-shot, translate-train or C2KD student: train (or load), evaluate, diagnostics."""
    ctx = cells.ctx
    cfg = ctx.cfg
    student = cfg.student
    recipe = student_recipe(ctx, cell)
    teachers = [cells.trained_teacher(t, cell.seed, on_step) for t in cell.teachers]
    pool = cell.pool or "mean"
    targets = None
    if teachers:
        targets = TeacherTargets(
            tuple(t.embeddings["train_text_en"] for t in teachers),
            tuple(t.embeddings["train_video"] for t in teachers),
            pool,
            en_ok=~ctx.data.teacher_tables["train"]["en"].empty,
        )
    mode = ctx.encoders.mode_of(student)
    identity = student_identity(ctx, cell)
    key = ckpt.checkpoint_key(identity)
    assert identity["teachers"] == [t.key for t in teachers]  # the teachers it distils from
    model = ctx.models.new(student, cell.torch_seed)
    got = _train_or_load(ctx, key, model, recipe, student, targets, on_step)
    if got.trained:
        meta = {"identity": identity, "role": "student", "encoder": student,
                "video": model.video.config}  # fmt: skip
        save_trained(key, model, meta, got.history, got.validation, got.selected_epoch,
                     ctx.data.dataset.val is not None)  # fmt: skip
    emb, results = _evaluate(ctx, model, ctx.encoders.text_inputs(student, "test"))
    diagnostics = []
    if teachers:
        refs = []
        for t in teachers:
            own = EvalEmbeddings(
                video=t.embeddings["test_video"],
                text={"en": t.embeddings["test_text_en"]},
                valid={"en": t.embeddings["test_en_valid"].numpy()},
            )
            own = merge_duplicates(own, ctx.data.dataset.test.clip_ids)
            refs.append((own.text["en"], own.valid["en"], own.video))
        agreement = teacher_agreement(emb, refs, pool, cfg.distill_temp)
        diagnostics = [
            {"lang": lang, "metric": "teacher_agreement_kl", "k": None, "value": value}
            for lang, value in agreement.items()
        ]
    teacher_model = "+".join(t.model_id for t in teachers) if teachers else None
    info = _info(ctx, cell, teacher_model, ctx.encoders.model_id(student), mode, key)
    return info, CellOutputs(results, got.history, diagnostics, got.test_epoch(cfg.epochs),
                             got.validation, got.selected_epoch)  # fmt: skip


def _evaluate(ctx: RunContext, model: RetrievalModel, texts) -> tuple[EvalEmbeddings, list]:
    """``model``'s test embeddings (clips sharing an id merged) and its metric rows."""
    data, cfg = ctx.data, ctx.cfg
    emb = embed_test(model, texts, *data.frames("test"), data.languages, precision=ctx.precision)
    emb = merge_duplicates(emb, data.dataset.test.clip_ids)
    return emb, evaluate(emb, data.dataset.test.n_queries, cfg.eval_directions, ties=cfg.ties)


def _info(ctx: RunContext, cell: Cell, teacher_model, student_model, mode, key) -> CellInfo:
    recipes = "+".join(teacher_recipe_name(ctx, t) for t in cell.teachers) or None
    return CellInfo(
        run_id=ctx.cfg.run_id, cell=cell.name, stage=cell.stage, teacher=cell.teacher_label,
        teacher_model=teacher_model, student_model=student_model, dataset=ctx.data.dataset.name,
        seed=cell.seed, mode=mode, teacher_recipe=recipes, checkpoint=key, pool=cell.pool,
        tie_policy=ctx.cfg.ties,
    )  # fmt: skip
