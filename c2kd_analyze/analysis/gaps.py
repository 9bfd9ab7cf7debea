"""Gap to English and the share of it that distillation closes.

``gap(method, lang) = R@k(method, en) - R@k(method, lang)``: each method against its *own* English
result (seed means), in recall units. The ``avg`` gap is the mean over the non-English languages.

``gap closed(student, lang) = (gap(translate-train) - gap(student)) / gap(translate-train)``:
1 means the student reaches English parity in that language, 0 that it is no closer than
translate-train, a negative value that it widens the gap, above 1 that the language overtakes
English. It is undefined (null, printed "–") when translate-train's gap is smaller than one query's
worth (``1 / n_queries``), since there is then no gap to close and the ratio would only show noise.

A gap closes in two ways: ``gap(tt) - gap(student) = change in the language - change in English``
(each change: student minus translate-train). A student whose English falls closes "gap" without
gaining anything in the other languages, so gap closed is always shown beside ``en_change``, the
student's own English change, and never ranks students on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .systems import STUDENT_STAGES
from .tables import AVG

if TYPE_CHECKING:
    import polars as pl


def language_gaps(summary: pl.DataFrame) -> pl.DataFrame:
    """One row per dataset, direction, k, method and non-English language (plus ``avg``).

    Columns: dataset, direction, k, method, order, stage, teacher, mode, lang, en (the method's
    English R@k), gap, n_queries.
    """
    import polars as pl

    keys = ["dataset", "direction", "k", "method"]
    rec = summary.filter((pl.col("metric") == "recall") & (pl.col("lang") != AVG))
    english = rec.filter(pl.col("lang") == "en").select(*keys, pl.col("mean").alias("en"))
    per_lang = (
        rec.filter(pl.col("lang") != "en")
        .join(english, on=keys, how="inner")
        .select(
            *keys,
            "order",
            "stage",
            "teacher",
            "mode",
            "lang",
            "en",
            (pl.col("en") - pl.col("mean")).alias("gap"),
            "n_queries",
        )
    )
    avg = per_lang.group_by(*keys, "order", "stage", "teacher", "mode", "en").agg(
        pl.col("gap").mean(), pl.col("n_queries").min(), pl.lit(AVG).alias("lang")
    )
    return pl.concat([per_lang, avg.select(per_lang.columns)]).sort(
        ["dataset", "direction", "k", "order", "teacher", "lang"], nulls_last=False
    )


def gap_closed(gaps: pl.DataFrame) -> pl.DataFrame:
    """Per C2KD student and language: ``gap_closed`` (null where undefined, see the module doc).

    Columns: dataset, direction, k, method, order, teacher, lang, gap_translate_train, gap,
    gap_closed, ``en_change`` (the student's English R@k minus translate-train's) and
    ``lang_change`` (the same in the language; for ``avg`` the mean over non-English languages).
    """
    import polars as pl

    keys = ["dataset", "direction", "k", "mode", "lang"]  # a student against its own mode's
    tt = gaps.filter(pl.col("stage") == "translate-train").select(
        *keys,
        pl.col("gap").alias("gap_translate_train"),
        pl.col("n_queries").alias("n_tt"),
        pl.col("en").alias("en_tt"),
    )
    students = gaps.filter(pl.col("stage").is_in(STUDENT_STAGES))
    joined = students.join(tt, on=keys, how="inner")
    defined = pl.col("gap_translate_train") >= 1.0 / pl.col("n_tt")
    closed = (pl.col("gap_translate_train") - pl.col("gap")) / pl.col("gap_translate_train")
    en_change = pl.col("en") - pl.col("en_tt")
    return joined.select(
        "dataset",
        "direction",
        "k",
        "method",
        "order",
        "teacher",
        "lang",
        "gap_translate_train",
        "gap",
        pl.when(defined).then(closed).otherwise(None).alias("gap_closed"),
        en_change.alias("en_change"),
        (en_change + pl.col("gap_translate_train") - pl.col("gap")).alias("lang_change"),
    ).sort(["dataset", "direction", "k", "order", "teacher", "lang"], nulls_last=False)
