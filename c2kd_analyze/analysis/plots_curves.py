"""The training-curves figure: one panel per :class:`curves.CurvePanel`, side by side, one line
per system in its colour (:func:`systems.system_colours`), the teachers' own training dashed and
every other system solid, one legend for all panels. Each line carries the SVG id
``curve:<method>:<panel>``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .curves import CurvePanel

PANEL_WIDTH = 5.0  # inches per panel (the figure is capped at plots.MAX_WIDTH in all)


def plot_curves(
    panels: Sequence[CurvePanel],
    methods: list[str],
    colours: dict[str, str],
    dashed: frozenset[str],
    title: str,
) -> Figure:
    """Lines of each panel's frame (method, x, y) in the order of ``methods``; the methods in
    ``dashed`` (the teachers) are drawn dashed. The legend lists every method drawn."""
    import polars as pl
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    legend_room = 1.0 + 0.07 * max(len(m) for m in methods)
    fig, axes = new_figure(
        1.5 + legend_room + PANEL_WIDTH * len(panels), 3.6, ncols=len(panels), sharey=False
    )
    drawn: list[str] = []
    for ax, panel in zip(axes, panels, strict=True):
        for method in methods:
            line = panel.frame.filter(pl.col("method") == method).sort("x")
            if line.is_empty():
                continue
            style = "--" if method in dashed else "-"
            (art,) = ax.plot(
                line["x"].to_numpy(), line["y"].to_numpy(), style, color=colours[method],
                linewidth=1.6,
            )  # fmt: skip
            art.set_gid(f"curve:{method}:{panel.name}")
            drawn.append(method)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps and epochs count
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        if panel.log_y:
            _plain_log_axis(ax)
    handles = [
        Line2D([], [], linestyle="--" if m in dashed else "-", color=colours[m], label=m)
        for m in dict.fromkeys(m for m in methods if m in drawn)
    ]
    axes[-1].legend(
        handles=handles, title="system", fontsize="small", loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )  # fmt: skip
    fig.suptitle(title)
    return fig


def _plain_log_axis(ax) -> None:
    """A logarithmic y axis labelled with plain numbers (``20``, ``50``), never ``10^{1}``: the
    superscripts of mathtext would be the smallest text of the page."""
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))
