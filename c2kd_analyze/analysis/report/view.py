"""Everything the report says about one dataset, computed once: a frozen bundle of frames, the
language order, the row order of the systems and their colours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..systems import BASELINES, STUDENT_STAGES, ordered_langs, ordered_methods
from ..tables import AVG

if TYPE_CHECKING:
    import polars as pl

    from ..compare import Statistics


@dataclass(frozen=True)
class DatasetView:
    """One dataset's slice of the analysis; ``direction`` is the headline one (t2v when present)."""

    dataset: str
    synthetic: bool
    direction: str
    directions: tuple[str, ...]
    ks: tuple[int, ...]
    langs: tuple[str, ...]  # English first, then the dataset's declared order
    methods: tuple[str, ...]  # every system, in the one row order
    stages: dict[str, str]  # method -> stage
    names: dict[str, str]  # method -> the teacher(s) behind it, for prose (unique per method)
    colours: dict[str, str]  # method -> colour, shared by every figure
    results: pl.DataFrame  # this dataset's result rows (provenance: the models that ran)
    summary: pl.DataFrame
    stats: Statistics
    gaps: pl.DataFrame
    closed: pl.DataFrame
    diagnostics: pl.DataFrame
    ties: pl.DataFrame  # ties.tie_ranges of this dataset (empty: nothing ties)
    seeds: tuple[int, ...]
    micro: pl.DataFrame  # crosslingual.micro_average of this dataset
    consistency: pl.DataFrame  # crosslingual.rank_consistency of this dataset
    history: pl.DataFrame  # curves.load_history of this dataset: the training losses per step
    validation: pl.DataFrame  # curves.load_validation of this dataset (empty: no validation)
    selected: pl.DataFrame  # curves.selected_epochs of this dataset (empty: no selection)

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

    def students(self) -> list[str]:
        """C2KD students (single teacher, then pools), in row order."""
        return [m for m in self.methods if self.stages[m] in STUDENT_STAGES]

    def baselines(self) -> list[str]:
        return [m for m in self.methods if self.stages[m] in BASELINES]

    def compared(self) -> list[str]:
        """The systems of the figures and comparisons: baselines, then students."""
        return self.baselines() + self.students()

    def degenerate(self) -> list[str]:
        """Systems that tie on every query in some language (headline direction and k): their
        recall says nothing (constant scores), so the answer leaves them out."""
        import polars as pl

        if self.ties.is_empty():
            return []
        every = self.family(self.ties).filter(pl.col("all_tied"))
        return [m for m in self.methods if m in set(every["method"].to_list())]

    def teacher_of(self, method: str) -> str:
        """The teacher name(s) behind a student method, for prose."""
        return self.names[method]


def build_view(
    dataset: str,
    synthetic: bool,
    declared_langs: tuple[str, ...],
    frames: dict[str, pl.DataFrame],
    stats: Statistics,
    colours: dict[str, str],
) -> DatasetView:
    """``frames``: results, summary, gaps, closed, diagnostics, ties, micro, consistency,
    history, validation and selected of every dataset (sliced here)."""
    import polars as pl

    def mine(name: str) -> pl.DataFrame:
        frame = frames[name]
        return frame if frame.is_empty() else frame.filter(pl.col("dataset") == dataset)

    summary = mine("summary")
    directions = tuple(d for d in ("t2v", "v2t") if d in set(summary["direction"].to_list()))
    recall = summary.filter(pl.col("metric") == "recall")
    ks = tuple(sorted(int(k) for k in recall["k"].unique().to_list()))
    langs = [x for x in summary["lang"].unique(maintain_order=True).to_list() if x != AVG]
    systems = summary.select("method", "order", "stage", "teacher", "pool").unique("method")
    # the label without its stage: "muse", "pool max(muse+labse)", "muse [english]" (the
    # suffixes keep two runs' systems apart when the report merges modes or teacher recipes)
    name = pl.col("method").str.replace(r"^(c2kd|teacher) ", "").alias("name")
    return DatasetView(
        dataset=dataset,
        synthetic=synthetic,
        direction=directions[0],
        directions=directions,
        ks=ks,
        langs=tuple(ordered_langs(langs, declared_langs)),
        methods=tuple(ordered_methods(systems)),
        stages=dict(systems.select("method", "stage").rows()),
        names=dict(systems.select("method", name).rows()),
        colours=colours,
        results=mine("results"),
        summary=summary,
        stats=stats,
        gaps=mine("gaps"),
        closed=mine("closed"),
        diagnostics=mine("diagnostics"),
        ties=mine("ties"),
        seeds=tuple(sorted(set(mine("results")["seed"].to_list()))),
        micro=mine("micro"),
        consistency=mine("consistency"),
        history=mine("history"),
        validation=mine("validation"),
        selected=mine("selected"),
    )
