"""The answer's figure: each C2KD student minus its baseline per language and on average, a point
at the difference and a whisker over its 95% paired-bootstrap interval, in percentage points.

A point is filled where the difference is significant (Holm-corrected) and open (white inside)
where it is not; the average sits apart, behind a dotted line. The colour is the student's
(:func:`systems.system_colours`). SVG ids: ``gain:<method>:<lang>`` (the point) and
``whisker:<method>:<lang>`` (the interval: one vertical path from ``low`` to ``high``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .plots import grid, new_figure

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

OPEN = "#ffffff"  # the fill of a point whose difference is not significant


def plot_student_gains(
    diffs: pl.DataFrame,
    methods: list[str],
    langs: list[str],
    title: str,
    colours: dict[str, str],
    ylabel: str,
) -> Figure:
    """``diffs``: method, lang, diff, low, high (fractions) and significant (bool), one row per
    student and column of ``langs`` (the average's column is ``tables.AVG``)."""
    import numpy as np
    import polars as pl

    from .tables import AVG

    diff, low, high = (grid(diffs, c, methods, langs) for c in ("diff", "low", "high"))
    sig = grid(
        diffs.with_columns(pl.col("significant").cast(pl.Float64)), "significant", methods, langs
    )
    legend_room = 1.2 + 0.07 * max(len(m) for m in methods)
    fig, (ax,) = new_figure(1.5 + legend_room + 0.2 * len(langs) * (len(methods) + 1), 3.5)
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        colour = colours[method]
        for j, lang in enumerate(langs):
            if not np.isfinite(diff[i, j]):
                continue
            x = j - 0.4 + width * (i + 0.5)
            (whisker,) = ax.plot(
                [x, x], [low[i, j], high[i, j]], color=colour, linewidth=1.6, solid_capstyle="butt"
            )
            whisker.set_gid(f"whisker:{method}:{lang}")
            face = colour if sig[i, j] > 0 else OPEN
            point = ax.scatter(
                [x], [diff[i, j]], s=42, color=face, edgecolors=colour, linewidths=1.6, zorder=3
            )
            point.set_gid(f"gain:{method}:{lang}")
    ax.axhline(0, color="black", linewidth=0.8)
    if AVG in langs and len(langs) > 1:
        ax.axvline(langs.index(AVG) - 0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks(np.arange(len(langs)), langs)
    ax.set_xlim(-0.5, len(langs) - 0.5)
    ax.set_xlabel("language")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _legend(ax, methods, colours)
    return fig


def _legend(ax, methods: list[str], colours: dict[str, str]) -> None:
    """The students by colour, then what filled and open points mean."""
    from matplotlib.lines import Line2D

    def point(colour: str, face: str, label: str) -> Line2D:
        return Line2D(
            [], [], marker="o", linestyle="", markersize=7, markerfacecolor=face,
            markeredgecolor=colour, markeredgewidth=1.6, label=label,
        )  # fmt: skip

    handles = [point(colours[m], colours[m], m) for m in methods]
    handles += [
        point("#444444", "#444444", "significant (Holm, α = 0.05)"),
        point("#444444", OPEN, "not significant"),
    ]
    ax.legend(
        handles=handles, title="C2KD student", fontsize="small", loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )  # fmt: skip
