"""The exported folder's model card for the Hugging Face Hub: YAML front matter and lineage.

The front matter is what the Hub (and ``huggingface_hub.ModelCard``) reads: ``library_name:
sentence-transformers``, ``base_model`` (the text encoder the student was built on),
``language``, ``license`` (from the encoder's spec), ``pipeline_tag``, ``tags``, ``datasets`` and
a ``model-index`` holding the cell's own text-to-video R@1/5/10 per language on the run's test
split, exactly the numbers of its ``metrics.parquet`` (fractions in [0, 1], as every stored
recall). It is built with ``huggingface_hub``'s own ``ModelCardData``, so it is what the Hub
expects. Below it, :func:`lineage` says where the model came from: its teachers (name, model,
revision, how they were trained), the pool, the run id, the seed and the run's config.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from .locate import CellModel

TAGS = (
    "sentence-transformers", "text-to-video-retrieval", "video-retrieval", "multilingual",
    "knowledge-distillation", "c2kd", "c2kd-analyze",
)  # fmt: skip
TASK = ("text-to-video-retrieval", "Text-to-video retrieval")


def t2v_recall(metrics: pl.DataFrame | None) -> pl.DataFrame | None:
    """The cell's text-to-video recall rows (lang, k, value), languages in their stored order."""
    import polars as pl

    if metrics is None:
        return None
    rows = metrics.filter((pl.col("metric") == "recall") & (pl.col("direction") == "t2v"))
    return rows.select("lang", "k", "value", "dataset", "split").sort("k", maintain_order=True)


def front_matter(model: CellModel, record: dict[str, Any], recall: pl.DataFrame | None) -> str:
    """``---\\n<yaml>\\n---\\n``: the Hub's metadata for the exported text-and-video model."""
    from huggingface_hub import EvalResult, ModelCardData

    from ..teachers import get_spec

    spec = get_spec(model.encoder)
    languages = list(model.dataset.get("languages") or [])
    dataset = str(model.dataset.get("name") or "unknown")
    results = []
    for row in recall.iter_rows(named=True) if recall is not None else ():
        results.append(
            EvalResult(
                task_type=TASK[0],
                task_name=TASK[1],
                dataset_type=dataset,
                dataset_name=f"{dataset} ({row['lang']})",
                dataset_config=row["lang"],
                dataset_split=row["split"] or "test",
                metric_type=f"recall_at_{row['k']}",
                metric_value=row["value"],
                metric_name=f"R@{row['k']} ({row['lang']})",
            )
        )
    data = ModelCardData(
        library_name="sentence-transformers",
        base_model=spec.model if "/" in spec.model else None,
        language=languages or None,
        license=spec.licence.lower() or None,
        pipeline_tag="sentence-similarity",
        tags=list(TAGS),
        datasets=[dataset],
        model_name=f"{record['run_id']}/{record['cell']}",
        eval_results=results or None,
    )
    return f"---\n{data.to_yaml()}\n---\n"


def lineage(model: CellModel, metrics: pl.DataFrame | None) -> str:
    """Markdown: the teachers (name, model, revision, recipe), pool, run id, seed and config."""
    from ..teachers import get_spec

    first = metrics.row(0, named=True) if metrics is not None and metrics.height else {}
    names = [t for t in str(first.get("teacher") or "").split("+") if t]
    stage = first.get("stage") or model.meta.get("role", "?")
    lines = ["## Lineage", ""]
    if stage == "teacher":
        lines.append("This is a **teacher** cell: the teacher's own retrieval model.")
    elif names:
        recipe = first.get("teacher_recipe") or "translate-train"
        lines.append(f"Distilled (C2KD) from {len(names)} frozen teacher(s), trained {recipe}:")
        lines.append("")
        lines += ["| teacher | model | revision | trained |", "|---|---|---|---|"]
        for name in names:
            spec = get_spec(name)
            lines.append(f"| `{name}` | {spec.model} | {spec.revision} | {recipe} |")
        if stage == "c2kd-pool":
            lines += ["", f"Teachers pooled element-wise: `{model.run_config.get('pool')}`."]
    else:
        lines.append(f"A **{stage}** baseline: no teacher.")
    seed = first.get("seed", model.identity.get("seed"))
    lines += [
        "",
        f"Run `{model.run_id}`, cell `{model.cell}`, seed {seed}, checkpoint `{model.key}`.",
        "",
        "<details><summary>The run's config</summary>",
        "",
        "```json",
        json.dumps(model.run_config, indent=2, sort_keys=True, default=str),
        "```",
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)
