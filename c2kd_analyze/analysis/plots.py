"""The report's figures (seaborn on matplotlib ``Figure`` objects: no pyplot state, no display).

Each ``plot_*`` function returns a ``Figure``; :func:`render` turns it into PNG and SVG bytes.
Recall and gaps are drawn in percentage points; axes are sorted (methods by language-average
R@k, baselines first; languages English first, then from easiest to hardest).
"""

from __future__ import annotations

import io as _io
from typing import TYPE_CHECKING

from .tables import AVG

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

DIRECTION_NAMES = {"t2v": "text→video", "v2t": "video→text"}


def _figure(width: float, height: float, ncols: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False, sharey=True)[0]
    return fig, list(axes)


def _palette(methods: list[str]) -> dict[str, tuple]:
    import seaborn as sns

    return dict(zip(methods, sns.color_palette("colorblind", len(methods)), strict=True))


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
    cmap, center = ("RdBu_r", 0.0) if signed else ("rocket_r", None)
    return _heatmap(
        matrix, "gap", methods, langs, title, "gap to English (points)", cmap=cmap, center=center
    )


def _heatmap(matrix, value, methods, langs, title, unit, *, cmap, center) -> Figure:
    import numpy as np
    import seaborn as sns

    lookup = {(m, lang): v for m, lang, v in matrix.select("method", "lang", value).iter_rows()}
    grid = np.array(
        [
            [
                100 * (lookup.get((m, lang)) if lookup.get((m, lang)) is not None else np.nan)
                for lang in langs
            ]
            for m in methods
        ]
    )
    label_room = 0.07 * max(len(m) for m in methods)  # inches for the longest method name
    fig, (ax,) = _figure(max(6.0, 2.2 + label_room + 0.75 * len(langs)), 1.6 + 0.45 * len(methods))
    limits = {}
    if center is not None:  # symmetric limits, so equal distances from the centre look alike
        bound = float(np.nanmax(np.abs(grid - center))) if np.isfinite(grid).any() else 1.0
        limits = {"vmin": center - bound, "vmax": center + bound}
    sns.heatmap(
        grid,
        ax=ax,
        annot=True,
        fmt=".1f",
        cmap=cmap,
        center=center,
        **limits,
        xticklabels=langs,
        yticklabels=methods,
        cbar_kws={"label": unit},
        linewidths=0.5,
    )
    ax.set_xlabel("language")
    ax.set_ylabel("method")
    ax.set_title(title)
    ax.tick_params(axis="y", rotation=0)
    return fig


def _bar_width(langs: list[str], methods: list[str]) -> float:
    legend = 1.0 + 0.07 * max(len(m) for m in methods)
    return max(7.0, 1.5 + legend + 0.22 * len(langs) * (len(methods) + 1))


def _method_bars(frame, methods: list[str], langs: list[str], y: str, percent: tuple[str, ...]):
    """Grouped bars of ``y`` per language (x) and method (hue), ``percent`` columns x100.

    Returns (figure, axes, the plotted pandas frame).
    """
    import polars as pl
    import seaborn as sns

    data = frame.filter(pl.col("method").is_in(methods) & pl.col("lang").is_in(langs))
    data = data.with_columns(pl.col(*percent) * 100).to_pandas()
    fig, (ax,) = _figure(_bar_width(langs, methods), 4.2)
    sns.barplot(
        data=data,
        x="lang",
        y=y,
        hue="method",
        order=langs,
        hue_order=methods,
        palette=_palette(methods),
        errorbar=None,
        ax=ax,
    )
    return fig, ax, data


def _label_bars(ax, ylabel: str, title: str) -> None:
    ax.set_xlabel("language")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(title="method", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plot_recall_bars(
    intervals: pl.DataFrame, methods: list[str], langs: list[str], title: str
) -> Figure:
    """Bars of R@k (%) per language (x) and method (hue) with their bootstrap intervals.

    ``intervals`` has columns method, lang, recall, low, high (in [0, 1]).
    """
    fig, ax, data = _method_bars(intervals, methods, langs, "recall", ("recall", "low", "high"))
    bounds = {
        (m, lang): (r, lo, hi)
        for m, lang, r, lo, hi in data[["method", "lang", "recall", "low", "high"]].itertuples(
            index=False
        )
    }
    for method, container in zip(methods, ax.containers, strict=False):
        for lang, bar in zip(langs, container, strict=False):
            r, lo, hi = bounds.get((method, lang), (None, None, None))
            if r is None:
                continue
            x = bar.get_x() + bar.get_width() / 2
            ax.errorbar(
                x,
                r,
                yerr=[[r - lo], [hi - r]],
                fmt="none",
                ecolor="black",
                elinewidth=0.8,
                capsize=2,
            )
    _label_bars(ax, "recall (%), 95% bootstrap interval", title)
    return fig


def plot_gap_closed(
    closed: pl.DataFrame, methods: list[str], langs: list[str], title: str
) -> Figure:
    """Bars of the share of translate-train's English gap that each student closes (%).

    ``closed`` has columns method, lang, gap_closed (a fraction; null where undefined).
    """
    fig, ax, _ = _method_bars(closed, methods, langs, "gap_closed", ("gap_closed",))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(100, color="grey", linewidth=0.8, linestyle="--")
    _label_bars(ax, "gap to English closed vs translate-train (%)", title)
    return fig


_DIAG_LABELS = {
    "teacher_en_r1": "teacher's own English R@1 (%)",
    "translation_r1": "teacher translation R@1, en→lang (%)",
    "agreement_kl": "student-teacher KL (nats)",
}


def plot_diagnostics(table: pl.DataFrame, correlations: pl.DataFrame, title: str) -> Figure:
    """One panel per diagnostic: the diagnostic (x) against the student's R@1 gain (y, points)."""
    import polars as pl
    import seaborn as sns

    teachers = sorted(table["teacher"].to_list())
    rho = dict(correlations.select("diagnostic", "rho").iter_rows())
    fig, axes = _figure(4.0 * len(_DIAG_LABELS), 3.8, ncols=len(_DIAG_LABELS))
    for ax, (name, label) in zip(axes, _DIAG_LABELS.items(), strict=True):
        scale = 1.0 if name == "agreement_kl" else 100.0
        data = table.select(
            "teacher", (pl.col(name) * scale).alias("x"), (pl.col("gain_r1") * 100).alias("y")
        )
        sns.scatterplot(
            data=data.drop_nulls().to_pandas(),
            x="x",
            y="y",
            hue="teacher",
            hue_order=teachers,
            palette=_palette(teachers),
            s=80,
            ax=ax,
            legend=ax is axes[-1],
        )
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("gain over translate-train,\navg R@1 (points)" if ax is axes[0] else "")
        r = rho.get(name)
        ax.set_title(
            f"Spearman ρ = {r:.2f} (n = {data.drop_nulls().height})"
            if r is not None
            else f"ρ undefined (n = {data.drop_nulls().height})"
        )
    if axes[-1].get_legend() is not None:
        axes[-1].legend(
            title="teacher", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0)
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


__all__ = [
    "AVG",
    "DIRECTION_NAMES",
    "plot_diagnostics",
    "plot_gap_closed",
    "plot_gap_heatmap",
    "plot_recall_bars",
    "plot_recall_heatmap",
    "render",
]
