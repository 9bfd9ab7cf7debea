"""How each run setting is set: one entry per :class:`~.schema.RunConfig` field, the one place that
says its command-line flag, its help, its panel in ``run --help`` and how the option's text is
read. ``run``'s options are generated from this table (:mod:`c2kd_analyze.cli.run_options`), and
a test fails when a field has no entry, so a new field cannot be left without an option or an
explicit "file only" mark (``flag=None``, with the reason in its help).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..choices import described

DATA, TEACHERS, RECIPE, MODEL, EVALUATION, EXECUTION, OUTPUT = (
    "Data", "Teachers", "Recipe", "Model", "Evaluation", "Execution", "Output",
)  # fmt: skip

#: how an option's text is read before the config validates it: ``text`` as given (the config
#: parses lists and limits), ``int`` / ``float`` by the parser, ``pairs`` repeatable KEY=VALUE,
#: ``switch`` an on/off pair of flags (``--x/--no-x``; unset: the preset's or file's value)
Kind = Literal["text", "int", "float", "pairs", "switch"]


@dataclass(frozen=True)
class Setting:
    """One run setting. ``flag`` None: set in a config file only (``help`` says why)."""

    field: str
    panel: str
    help: str
    kind: Kind = "text"
    flag: str | None = ""  # "" = --<field with dashes>
    metavar: str | None = None

    @property
    def option(self) -> str | None:
        """The command-line flag, e.g. ``--batch-size``; None for a file-only setting."""
        if self.flag is None:
            return None
        return self.flag or "--" + self.field.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("dataset", DATA, "Dataset: demo (built in), multi-msrvtt, multi-youcook2, vatex, "
            "rudder or generic (`datasets list`).", metavar="NAME"),
    Setting("features", DATA, "Frame features of a C2KD release dataset: clip or s3d; none: "
            "the dataset's own.", metavar="clip|s3d"),
    Setting("dataset_options", DATA, "KEY=VALUE for the dataset's reader, e.g. n_train=500 "
            "(repeatable; `datasets list` shows each dataset's options).", kind="pairs",
            flag="--dataset-option", metavar="KEY=VALUE"),
    Setting("teachers", TEACHERS, "Comma-separated teacher names (`teachers list`).",
            metavar="A,B,..."),
    Setting("student", TEACHERS, "The student's text encoder: a registry name.",
            metavar="NAME"),
    Setting("teacher_recipe", TEACHERS, "How teachers are trained: "
            f"{described('teacher_recipe')} (an English-only teacher is trained on English "
            "either way).", metavar="RECIPE"),
    Setting("teacher_seed", TEACHERS, "Train one teacher set with this seed and reuse it for "
            "every student seed (as the original); unset: one teacher set per student seed.",
            kind="int", metavar="SEED"),
    Setting("teacher_lr", TEACHERS, "NAME=LR: train teacher NAME at its own learning rate "
            "(repeatable).", kind="pairs", metavar="NAME=LR"),
    Setting("pool", TEACHERS, "Also distil one student from all teachers pooled: "
            f"{described('pool')}; none: no pooled student.", metavar="OP"),
    Setting("seeds", RECIPE, "Comma-separated seeds, e.g. 0,1,2 (the paper averages 3 runs).",
            metavar="S,S,..."),
    Setting("mode", RECIPE, f"{described('mode')}.", metavar="MODE"),
    Setting("epochs", RECIPE, "Training epochs of every model.", kind="int", metavar="N"),
    Setting("lr", RECIPE, "Adam learning rate of the heads and video towers (and of a "
            "fine-tuned encoder without --encoder-lr).", kind="float", metavar="LR"),
    Setting("lr_decay", RECIPE, "The learning rate is multiplied by this after every epoch.",
            kind="float", metavar="GAMMA"),
    Setting("encoder_lr", RECIPE, "Learning rate of a fine-tuned text encoder (--mode full); "
            "unset: --lr.", kind="float", metavar="LR"),
    Setting("batch_size", RECIPE, "Clips per batch (the global batch under torchrun).",
            kind="int", metavar="N"),
    Setting("balance", RECIPE, "lambda in [0, 1]: the weight of NCE against distillation in "
            "the C2KD loss.", kind="float", metavar="LAMBDA"),
    Setting("temperature", RECIPE, "NCE temperature of the C2KD students.", kind="float",
            metavar="T"),
    Setting("baseline_temperature", RECIPE, "NCE temperature of the zero-shot and "
            "translate-train baselines.", kind="float", metavar="T"),
    Setting("teacher_temperature", RECIPE, "NCE temperature when training teachers.",
            kind="float", metavar="T"),
    Setting("distill_temp", RECIPE, "Softmax temperature of the distillation (KD) term.",
            kind="float", metavar="T"),
    Setting("max_tokens", RECIPE, "Token limit of fine-tuned encoders: N (every split) or "
            "train=35,test=40,teacher=40.", metavar="N|PARTS"),
    Setting("finetune_pooling", MODEL, "How a fine-tuned encoder is pooled: "
            f"{described('finetune_pooling')}.", metavar="HOW"),
    Setting("projection_dim", MODEL, "P: the size of the shared text-video embedding.",
            kind="int", metavar="P"),
    Setting("video_width", MODEL, "Width of the video tower's transformer (the paper: 512; a "
            "multiple of 4, its heads).", kind="int", metavar="W"),
    Setting("n_video_tokens", MODEL, "Frames per clip the video tower reads (the first N).",
            kind="int", metavar="N"),
    Setting("eval_directions", EVALUATION, "Directions evaluated: t2v, v2t or t2v,v2t.",
            metavar="DIRS"),
    Setting("ties", EVALUATION, f"How a tie between the true item and another counts: "
            f"{described('ties')}.", metavar="POLICY"),
    Setting("val_fraction", EVALUATION, "Hold out this share of the training clips (never test "
            "clips; the same clips for every model of the run) and evaluate text-to-video "
            "R@1/5/10 on them after every epoch; 0: no validation.", kind="float",
            metavar="F"),
    Setting("select_on_val", EVALUATION, "Report on test each model's epoch with the best mean "
            "validation R@1 over languages instead of its last epoch (needs --val-fraction).",
            kind="switch"),
    Setting("precision", EXECUTION, f"Autocast of the encoders: {described('precision')}.",
            metavar="P"),
)  # fmt: skip

BY_FIELD: dict[str, Setting] = {s.field: s for s in SETTINGS}


def flag_of(name: str) -> str:
    """The command-line flag of config field ``name`` (its own name for a file-only one)."""
    setting = BY_FIELD.get(name)
    return (setting.option if setting else None) or name


def default_of(name: str) -> Any:
    """What ``name`` is when nothing sets it: the demo preset's value, else the field's own."""
    from .presets import preset
    from .schema import RunConfig

    demo = preset("demo").values
    return demo[name] if name in demo else RunConfig.model_fields[name].default
