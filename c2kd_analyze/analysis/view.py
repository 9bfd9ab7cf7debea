"""Everything the report says about one dataset, computed once: a frozen bundle of frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .systems import BASELINES, STUDENT_STAGES, ordered_langs
from .tables import AVG

if TYPE_CHECKING:
    import polars as pl

    from .compare import Statistics


@dataclass(frozen=True)
class DatasetView:
    """One dataset's slice of the analysis; ``direction`` is the headline one (t2v when present)."""

    dataset: str
    synthetic: bool
    direction: str
    directions: tuple[str, ...]
    ks: tuple[int, ...]
    langs: tuple[str, ...]  # table order: English first, then the data's order
    plot_langs: tuple[str, ...]  # English first, then easiest to hardest for the students
    summary: pl.DataFrame
    stats: Statistics
    gaps: pl.DataFrame
    closed: pl.DataFrame
    diagnostics: pl.DataFrame
    seeds: tuple[int, ...]

    def recall(self, direction: str, k: int) -> pl.DataFrame:
        """Summary rows of recall@k in ``direction`` (all methods, languages and ``avg``)."""
        import polars as pl

        return self.summary.filter(
            (pl.col("direction") == direction) & (pl.col("metric") == "recall") & (pl.col("k") == k)
        )

    def family(
        self, frame: pl.DataFrame, direction: str | None = None, k: int | None = None
    ) -> pl.DataFrame:
        """Rows of a statistics frame for this dataset, direction (headline) and k (default 1)."""
        import polars as pl

        if frame.is_empty():
            return frame
        return frame.filter(
            (pl.col("dataset") == self.dataset)
            & (pl.col("direction") == (direction or self.direction))
            & (pl.col("k") == (k or self.k1))
        )

    @property
    def k1(self) -> int:
        return 1 if 1 in self.ks else self.ks[0]

    def students(self, direction: str | None = None) -> list[str]:
        """Student methods, best language-average R@k first."""
        import polars as pl

        rec = self.recall(direction or self.direction, self.k1)
        rows = rec.filter(pl.col("stage").is_in(STUDENT_STAGES) & (pl.col("lang") == AVG))
        return rows.sort(["mean", "method"], descending=[True, False])["method"].to_list()

    def baselines(self) -> list[str]:
        import polars as pl

        have = set(self.summary.filter(pl.col("stage").is_in(BASELINES))["method"].to_list())
        return [b for b in BASELINES if b in have]

    def teacher_of(self, method: str) -> str:
        """The teacher name(s) behind a student method, for prose."""
        import polars as pl

        row = self.summary.filter(pl.col("method") == method).select("stage", "teacher").row(0)
        return f"pool {row[1]}" if row[0] == "c2kd-pool" else str(row[1])


def build_view(
    dataset: str,
    synthetic: bool,
    summary: pl.DataFrame,
    stats: Statistics,
    gaps: pl.DataFrame,
    closed: pl.DataFrame,
    diagnostics: pl.DataFrame,
    seeds: tuple[int, ...],
) -> DatasetView:
    import polars as pl

    mine = summary.filter(pl.col("dataset") == dataset)
    directions = tuple(d for d in ("t2v", "v2t") if d in set(mine["direction"].to_list()))
    ks = tuple(
        sorted(int(k) for k in mine.filter(pl.col("metric") == "recall")["k"].unique().to_list())
    )
    langs = tuple(ordered_langs([x for x in mine["lang"].to_list() if x != AVG]))
    direction = directions[0]
    k1 = 1 if 1 in ks else ks[0]
    students = mine.filter(
        pl.col("stage").is_in(STUDENT_STAGES)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == "recall")
        & (pl.col("k") == k1)
        & (pl.col("lang") != "en")
        & (pl.col("lang") != AVG)
    )
    easy = (
        students.group_by("lang")
        .agg(pl.col("mean").mean())
        .sort(["mean", "lang"], descending=[True, False])
    )
    rest = [x for x in easy["lang"].to_list() if x in langs] + [
        x for x in langs if x != "en" and x not in easy["lang"]
    ]
    plot_langs = (("en",) if "en" in langs else ()) + tuple(dict.fromkeys(rest))
    return DatasetView(
        dataset=dataset,
        synthetic=synthetic,
        direction=direction,
        directions=directions,
        ks=ks,
        langs=langs,
        plot_langs=plot_langs,
        summary=mine,
        stats=stats,
        gaps=gaps.filter(pl.col("dataset") == dataset),
        closed=closed.filter(pl.col("dataset") == dataset),
        diagnostics=diagnostics.filter(pl.col("dataset") == dataset),
        seeds=seeds,
    )
