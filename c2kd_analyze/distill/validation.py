"""Validation after every epoch: text-to-video retrieval on the held-out clips (:mod:`.holdout`).

A :class:`Validator` is what :func:`~.train.train_model` calls after each epoch. It evaluates the
model as test is evaluated (:func:`~.evaluate.embed_test`, :func:`~.evaluate.merge_duplicates`,
:func:`~.evaluate.evaluate`: the same streamed metrics, the run's tie policy), text to video only,
R@1/5/10 and the ranks per language, and keeps one row per number (:data:`EPOCH_COLUMNS`).

``epoch`` in these rows counts the epochs the model had trained when it was evaluated (1 = after
the first); history.parquet's ``epoch`` is the 0-based epoch a step belongs to, so validation
epoch ``e`` follows the steps of history epoch ``e - 1``.

With ``--select-on-val`` the validator also keeps, in memory, a copy of the weights of the epoch
with the best mean R@1 over languages (the earliest such epoch on a tie), and :meth:`restore_best`
puts them back into the model after training: that epoch is the cell's model from then on (test,
checkpoint, export, and a teacher's distillation targets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    import torch

    from ..devices import Precision
    from .context import RunContext
    from .evaluate import LangResult
    from .metrics import Ties
    from .models import RetrievalModel
    from .run_data import Role

#: the columns of one validation number as a checkpoint keeps it (a cell adds its own columns)
EPOCH_COLUMNS: dict[str, str] = {
    "epoch": "Int64",
    "lang": "String",
    "direction": "String",
    "metric": "String",
    "k": "Int64",
    "value": "Float64",
    "n_queries": "Int64",
}
#: the recall cut-offs validated (the streamed ranks give all three at the cost of one)
VAL_KS = (1, 5, 10)


def metric_rows(results: list[LangResult]) -> list[dict[str, Any]]:
    """One dict per number of ``results``: lang, direction, n_queries, metric, k, value (the
    metric rows of a cell's result table, without the cell's own columns)."""
    rows = []
    for r in results:
        common = {"lang": r.lang, "direction": r.direction, "n_queries": r.metrics.n_queries}
        for k, value in r.metrics.recall.items():
            rows.append({**common, "metric": "recall", "k": k, "value": value})
        rows.append({**common, "metric": "median_rank", "k": None, "value": r.metrics.median_rank})
        rows.append({**common, "metric": "mean_rank", "k": None, "value": r.metrics.mean_rank})
        rows.append(
            {**common, "metric": "tied_queries", "k": None, "value": r.metrics.n_tied_queries}
        )
    return rows


def mean_r1(rows: list[dict[str, Any]], epoch: int) -> float:
    """The mean text-to-video R@1 over languages of ``epoch`` in validation ``rows``."""
    values = [r["value"] for r in rows if r["epoch"] == epoch and r["direction"] == "t2v"
              and r["metric"] == "recall" and r["k"] == 1]  # fmt: skip
    return sum(values) / len(values) if values else float("nan")


def best_epoch(rows: list[dict[str, Any]]) -> int | None:
    """The epoch with the highest mean R@1 over languages (the earliest on a tie); None without
    rows."""
    epochs = sorted({r["epoch"] for r in rows})
    scores = [mean_r1(rows, e) for e in epochs]
    best = None
    for epoch, score in zip(epochs, scores, strict=True):
        if best is None or score > best[1]:
            best = (epoch, score)
    return None if best is None else best[0]


class Validator:
    """Evaluates a model on the validation split after every epoch (module docstring).

    ``texts``: what the model's text tower reads of the split; ``frames`` (n, T, D) / ``mask``
    (n, T): its clips, on the model's device.
    """

    def __init__(self, texts, frames, mask, languages, clip_ids, n_queries: int, ties: Ties,
                 precision: Precision | None, select: bool) -> None:  # fmt: skip
        self.texts, self.frames, self.mask = texts, frames, mask
        self.languages, self.clip_ids, self.n_queries = tuple(languages), clip_ids, n_queries
        self.ties, self.precision, self.select = ties, precision, select
        self.rows: list[dict[str, Any]] = []
        self._best: tuple[int, float, dict[str, torch.Tensor]] | None = None

    def evaluate(self, model: RetrievalModel) -> list[LangResult]:
        """The model's text-to-video results per language on the validation split."""
        from .evaluate import embed_test, evaluate, merge_duplicates

        emb = embed_test(model, self.texts, self.frames, self.mask, self.languages,
                         precision=self.precision)  # fmt: skip
        emb = merge_duplicates(emb, self.clip_ids)
        return evaluate(emb, self.n_queries, ("t2v",), ks=VAL_KS, ties=self.ties)

    def __call__(self, epoch: int, model: RetrievalModel) -> None:
        """Validate ``model`` after ``epoch`` epochs (1-based); keep its weights when best."""
        self.rows += [{"epoch": epoch, **row} for row in metric_rows(self.evaluate(model))]
        if not self.select:
            return
        score = mean_r1(self.rows, epoch)
        if self._best is None or score > self._best[1]:
            # a copy on the model's device: the weights of this epoch, whatever comes later
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self._best = (epoch, score, state)

    def restore_best(self, model: RetrievalModel) -> int | None:
        """Load the best epoch's weights into ``model``; that epoch (None: not selecting)."""
        if self._best is None:
            return None
        epoch, _, state = self._best
        model.load_state_dict(state, strict=True)
        self._best = None  # the copy is in the model now
        return epoch


def make_validator(ctx: RunContext, name: str, role: Role = "student") -> Validator | None:
    """The validator of a model reading encoder ``name`` in ``role``; None without validation."""
    val = ctx.data.dataset.val
    if val is None:
        return None
    # a fine-tuned encoder reads validation captions at the test limit (they are evaluated)
    texts = ctx.encoders.text_inputs(name, "val", max_tokens=ctx.cfg.max_tokens.test, role=role)
    frames, mask = ctx.data.frames("val")
    return Validator(texts, frames, mask, ctx.data.languages, val.clip_ids, val.n_queries,
                     ctx.cfg.ties, ctx.precision, ctx.cfg.select_on_val)  # fmt: skip


def validation_identity(cfg) -> dict[str, Any]:
    """What validation adds to a checkpoint's key: nothing without it (so existing checkpoints
    keep their keys), else the fraction, the permutation's seed and whether an epoch is picked
    (held-out clips change what is trained on; a selected epoch changes the weights kept)."""
    from .holdout import VAL_SEED

    if cfg.val_fraction == 0:
        return {}
    return {"val_fraction": cfg.val_fraction, "val_seed": VAL_SEED,
            "select_on_val": cfg.select_on_val}  # fmt: skip


def rows_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Validation rows as a frame of :data:`EPOCH_COLUMNS` (how a checkpoint stores them)."""
    import polars as pl

    from ..results import polars_schema

    return pl.DataFrame(rows, schema=polars_schema(EPOCH_COLUMNS), orient="row")


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """:func:`rows_frame` read back."""
    return list(frame.select(list(EPOCH_COLUMNS)).iter_rows(named=True))
