"""Method labels and their order: one label per system (stage, teacher, and mode when several)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..results import STAGES

if TYPE_CHECKING:
    import polars as pl

BASELINES: tuple[str, ...] = ("zero-shot", "translate-train")
STUDENT_STAGES: tuple[str, ...] = ("c2kd", "c2kd-pool")


def method_label(stage: str, teacher: str | None, mode: str | None = None) -> str:
    """``"c2kd labse"``, ``"translate-train"``, ``"teacher labse"``, plus ``" [full]"`` if given."""
    if stage in BASELINES or not teacher:
        label = stage
    elif stage == "c2kd":
        label = f"c2kd {teacher}"
    elif stage == "c2kd-pool":
        label = f"c2kd pool {teacher}"
    else:
        label = f"{stage} {teacher}"
    return f"{label} [{mode}]" if mode else label


def add_methods(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``method`` (label) and ``order`` (sort key) to a frame with dataset/mode/stage/teacher.

    The mode is part of the label only in datasets whose runs used more than one mode.
    """
    import polars as pl

    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.String).alias("method"), pl.lit(0).alias("order"))
    multi = frame.group_by("dataset").agg(pl.col("mode").n_unique().alias("_n_modes"))
    frame = frame.join(multi, on="dataset", how="left")
    labels = [
        method_label(s, t, m if n > 1 else None)
        for s, t, m, n in frame.select("stage", "teacher", "mode", "_n_modes").iter_rows()
    ]
    order = [STAGES.index(s) for s in frame["stage"]]
    return frame.drop("_n_modes").with_columns(
        pl.Series("method", labels, pl.String), pl.Series("order", order, pl.Int64)
    )


def ordered_methods(frame: pl.DataFrame) -> list[str]:
    """Distinct methods of a frame with ``method`` and ``order``: by stage, mode, then teacher."""
    rows = frame.select("order", "mode", "teacher", "method").unique()
    rows = rows.sort(["order", "mode", "teacher"], nulls_last=False)
    return list(dict.fromkeys(rows["method"].to_list()))


def ordered_langs(langs: list[str]) -> list[str]:
    """English first, then the order in which the data lists the languages."""
    seen = list(dict.fromkeys(langs))
    return (["en"] if "en" in seen else []) + [lang for lang in seen if lang != "en"]
