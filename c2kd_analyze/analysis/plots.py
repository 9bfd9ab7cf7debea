"""The report's figures (matplotlib ``Figure`` objects: no pyplot state, no display).

Each ``plot_*`` function returns a ``Figure``; :func:`render` turns it into PNG and SVG bytes.
Recall and gaps are drawn in percentage points. Axes follow the report's one order: methods in
the row order of :mod:`systems`, languages English first, then the dataset's order. Every bar and
point takes its colour from the one label -> colour mapping (:func:`systems.system_colours`), and
carries an SVG id (``bar:<method>:<lang>``, ``point:<teacher>:<panel>``) so the colours can be
read back from the SVG files. The answer's figure is :mod:`.plots_gains`, the training curves
:mod:`.plots_curves`; both draw on :func:`new_figure` and :func:`render`.

Sizes: a figure is at most :data:`MAX_WIDTH` inches wide, so that ``report.html`` (which shows a
figure at most :data:`PAGE_PX` pixels wide) never shrinks it and one point of text is
``DPI / 72`` pixels on the page: the smallest text drawn (``small``, 8.3 pt) is 12.7 px, the
ticks (10 pt) 15 px. A wider figure would be scaled down with its text: the R@1 bars of nine
languages and six systems were once 20 inches wide, their text 6-9 px.
"""

from __future__ import annotations

import io as _io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
    from matplotlib.figure import Figure

DIRECTION_NAMES = {"t2v": "text→video", "v2t": "video→text"}
BAR_LABEL = "gap to English closed vs translate-train (%)"
#: pixels per inch of the PNG files, and the widest a figure is shown in report.html (CSS px)
DPI, PAGE_PX = 110, 1100
MAX_WIDTH = PAGE_PX / DPI


def new_figure(width: float, height: float, ncols: int = 1, *, sharey: bool = True):
    """``(figure, [axes...])``: one row of ``ncols`` panels, ``width`` capped at
    :data:`MAX_WIDTH` inches (the layout is constrained: labels and legends shrink the axes)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(min(width, MAX_WIDTH), height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, sharey=sharey)[0]
    return fig, list(axes)


def grid(frame: pl.DataFrame, value: str, methods: list[str], langs: list[str]) -> np.ndarray:
    """``(len(methods), len(langs))`` array of ``value`` x100 from a long frame with method and
    lang columns (NaN where a pair is absent)."""
    import numpy as np
    import polars as pl

    sel = frame.filter(pl.col("method").is_in(methods) & pl.col("lang").is_in(langs))
    if sel.is_empty():
        return np.full((len(methods), len(langs)), np.nan)
    wide = sel.pivot(on="lang", index="method", values=value, aggregate_function="first")
    wide = pl.DataFrame({"method": methods}).join(wide, on="method", how="left")
    cols = [pl.col(x) if x in wide.columns else pl.lit(None, pl.Float64).alias(x) for x in langs]
    return 100 * wide.select(cols).cast(pl.Float64).to_numpy().astype(float)


def plot_recall_heatmap(
    matrix: pl.DataFrame, methods: list[str], langs: list[str], title: str
) -> Figure:
    """Heatmap of R@k (%): ``matrix`` has columns method, lang, recall (in [0, 1])."""
    return _heatmap(matrix, "recall", methods, langs, title, "R@k (%)", cmap="viridis", center=None)


def plot_gap_heatmap(
    matrix: pl.DataFrame, methods: list[str], langs: list[str], title: str
) -> Figure:
    """Heatmap of the gap to English (points): ``matrix`` has method, lang, gap (in [0, 1])."""
    # diverging around 0 only when some language beats English; otherwise one sequential scale
    signed = matrix.filter(matrix["gap"] < 0).height > 0
    cmap, center = ("RdBu_r", 0.0) if signed else ("magma_r", None)
    return _heatmap(
        matrix, "gap", methods, langs, title, "gap to English (points)", cmap=cmap, center=center
    )


def _heatmap(matrix, value, methods, langs, title, unit, *, cmap, center) -> Figure:
    """Annotated heatmap (matplotlib only: seaborn's import alone costs seconds)."""
    import numpy as np

    values = grid(matrix, value, methods, langs)
    label_room = 0.07 * max(len(m) for m in methods)  # inches for the longest method name
    fig, (ax,) = new_figure(
        max(6.0, 2.2 + label_room + 0.75 * len(langs)), 1.3 + 0.4 * len(methods)
    )
    finite = values[np.isfinite(values)]
    if center is not None:  # symmetric limits, so equal distances from the centre look alike
        bound = float(np.max(np.abs(finite - center))) if finite.size else 1.0
        vmin, vmax = center - bound, center + bound
    else:
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, edgecolors="white",
        linewidth=0.5,
    )  # fmt: skip
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            r, g, b, _ = mesh.cmap(mesh.norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j + 0.5, i + 0.5, f"{v:.1f}", ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")  # fmt: skip
    ax.set_xticks(np.arange(len(langs)) + 0.5, langs)
    ax.set_yticks(np.arange(len(methods)) + 0.5, methods)
    ax.invert_yaxis()
    ax.tick_params(length=0)
    fig.colorbar(mesh, ax=ax).set_label(unit)
    ax.set_xlabel("language")
    ax.set_ylabel("method")
    ax.set_title(title)
    return fig


def _grouped_bars(ax, heights, methods: list[str], langs: list[str], colours: dict[str, str]):
    """Bars of ``heights`` ``(len(methods), len(langs))``: one group per language, one colour per
    method. Returns the bar centres ``(len(methods), len(langs))``."""
    import numpy as np

    width = 0.8 / len(methods)
    x = np.arange(len(langs), dtype=float)
    centres = np.empty((len(methods), len(langs)))
    for i, method in enumerate(methods):
        centres[i] = x - 0.4 + width * (i + 0.5)
        bars = ax.bar(centres[i], heights[i], width, color=colours[method], label=method)
        for bar, lang in zip(bars, langs, strict=True):
            bar.set_gid(f"bar:{method}:{lang}")
    ax.set_xticks(x, langs)
    ax.set_xlabel("language")
    ax.legend(title="method", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return centres


def _bar_figure(methods: list[str], langs: list[str]):
    legend = 1.0 + 0.07 * max(len(m) for m in methods)
    return new_figure(max(7.0, 1.5 + legend + 0.22 * len(langs) * (len(methods) + 1)), 3.6)


def plot_recall_bars(
    intervals: pl.DataFrame,
    methods: list[str],
    langs: list[str],
    title: str,
    colours: dict[str, str],
) -> Figure:
    """Bars of R@k (%) per language (x) and method (colour) with their bootstrap intervals.

    ``intervals`` has columns method, lang, recall, low, high (in [0, 1]).
    """
    import numpy as np

    fig, (ax,) = _bar_figure(methods, langs)
    recall = grid(intervals, "recall", methods, langs)
    low, high = (grid(intervals, c, methods, langs) for c in ("low", "high"))
    centres = _grouped_bars(ax, recall, methods, langs, colours)
    ok = np.isfinite(recall)
    ax.errorbar(
        centres[ok],
        recall[ok],
        yerr=np.stack([recall[ok] - low[ok], high[ok] - recall[ok]]),
        fmt="none",
        ecolor="black",
        elinewidth=0.8,
        capsize=2,
    )
    ax.set_ylabel("recall (%), 95% bootstrap interval")
    ax.set_title(title)
    return fig


def plot_gap_closed(
    closed: pl.DataFrame,
    methods: list[str],
    langs: list[str],
    title: str,
    colours: dict[str, str],
) -> Figure:
    """Bars of the share of translate-train's English gap that each student closes (%).

    ``closed`` has columns method, lang, gap_closed (a fraction; null where undefined).
    """
    fig, (ax,) = _bar_figure(methods, langs)
    _grouped_bars(ax, grid(closed, "gap_closed", methods, langs), methods, langs, colours)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(100, color="grey", linewidth=0.8, linestyle="--")
    ax.set_ylabel(BAR_LABEL)
    ax.set_title(title)
    return fig


DIAGNOSTIC_LABELS = {
    "teacher_en_r1": "teacher's own English R@1 (%)",
    "translation_r1": "teacher translation R@1, en→lang (%)",
    "agreement_kl": "student-teacher KL (nats)",
}


def plot_diagnostics(
    table: pl.DataFrame, correlations: pl.DataFrame, title: str, colours: dict[str, str]
) -> Figure:
    """One panel per diagnostic: the diagnostic (x) against the student's R@1 gain (y, points).

    ``table``: one row per teacher (the order of the legend); ``colours``: teacher -> colour.
    """
    import polars as pl

    rho = dict(correlations.select("diagnostic", "rho").iter_rows())
    fig, axes = new_figure(4.0 * len(DIAGNOSTIC_LABELS), 3.4, ncols=len(DIAGNOSTIC_LABELS))
    for ax, (name, label) in zip(axes, DIAGNOSTIC_LABELS.items(), strict=True):
        scale = 1.0 if name == "agreement_kl" else 100.0
        data = table.select(
            "teacher", (pl.col(name) * scale).alias("x"), (pl.col("gain_r1") * 100).alias("y")
        ).drop_nulls()
        for teacher, x, y in data.iter_rows():
            point = ax.scatter([x], [y], s=80, color=colours[teacher], label=teacher)
            point.set_gid(f"point:{teacher}:{name}")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("gain over translate-train,\navg R@1 (points)" if ax is axes[0] else "")
        r = rho.get(name)
        n = data.height
        ax.set_title(
            f"Spearman ρ = {r:.2f} (n = {n})" if r is not None else f"ρ undefined (n = {n})"
        )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=8, color=colours[t], label=t)
        for t in table["teacher"].to_list()
    ]
    axes[-1].legend(
        handles=handles,
        title="teacher",
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    fig.suptitle(title)
    return fig


def render(fig: Figure) -> tuple[bytes, bytes]:
    """``(png, svg)`` bytes of a figure. SVG text is kept as text (``svg.fonttype = none``)."""
    import matplotlib

    png, svg = _io.BytesIO(), _io.BytesIO()
    fig.savefig(png, format="png")
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "c2kd"}):
        fig.savefig(svg, format="svg", metadata={"Date": None})
    return png.getvalue(), svg.getvalue()
