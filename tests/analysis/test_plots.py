"""Each figure: axes, labels, the one category order, bar heights, colours from the mapping given
(read back from the figure and from its SVG); PNG and SVG bytes."""

from __future__ import annotations

import re

import polars as pl
import pytest
from matplotlib.colors import to_hex

from c2kd_analyze.analysis import plots

METHODS = ["translate-train", "c2kd labse", "c2kd muse"]
LANGS = ["en", "de", "zh", "avg"]
COLOURS = {"translate-train": "#5a5a5a", "c2kd labse": "#0173b2", "c2kd muse": "#de8f05"}


def _grid(value: str) -> pl.DataFrame:
    rows = [
        {"method": m, "lang": lang, value: 0.1 * (i + 1) + 0.01 * j}
        for i, m in enumerate(METHODS)
        for j, lang in enumerate(LANGS)
    ]
    return pl.DataFrame(rows)


def _tick_labels(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels()]


def _legend(ax) -> tuple[str, list[str]]:
    legend = ax.get_legend()
    return legend.get_title().get_text(), [t.get_text() for t in legend.get_texts()]


def test_grid_follows_the_given_order_and_leaves_gaps():
    frame = _grid("recall").filter(~((pl.col("method") == "c2kd muse") & (pl.col("lang") == "de")))
    values = plots.grid(frame, "recall", ["c2kd muse", "translate-train"], ["de", "en"])
    assert values[1].tolist() == pytest.approx([11.0, 10.0])  # translate-train: de, en
    assert values[0, 1] == pytest.approx(30.0) and values[0, 0] != values[0, 0]  # NaN


def test_recall_heatmap_axes_and_values():
    fig = plots.plot_recall_heatmap(_grid("recall"), METHODS, LANGS, "demo: R@1 (%)")
    ax = fig.axes[0]
    assert ax.get_title() == "demo: R@1 (%)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("language", "method")
    assert _tick_labels(ax.xaxis) == LANGS and _tick_labels(ax.yaxis) == METHODS
    annotations = [t.get_text() for t in ax.texts]
    assert annotations[:2] == ["10.0", "11.0"]  # percent, row by row
    assert fig.axes[1].get_ylabel() == "R@k (%)"  # the colour bar carries the unit


def test_gap_heatmap_diverges_only_with_negative_gaps():
    positive = plots.plot_gap_heatmap(_grid("gap"), METHODS, LANGS, "gap")
    assert positive.axes[1].get_ylabel() == "gap to English (points)"
    assert positive.axes[0].collections[0].norm.vmin > 0
    signed = _grid("gap").with_columns(pl.col("gap") - 0.2)
    fig = plots.plot_gap_heatmap(signed, METHODS, LANGS, "gap")
    mesh = fig.axes[0].collections[0]
    assert mesh.norm.vmin == pytest.approx(-mesh.norm.vmax)  # centred on zero
    assert mesh.norm.vmax == pytest.approx(13.0)  # the largest |gap|: 0.3 + 0.03 - 0.2


def test_recall_bars_heights_intervals_and_colours():
    iv = _grid("recall").with_columns(low=pl.col("recall") - 0.05, high=pl.col("recall") + 0.02)
    fig = plots.plot_recall_bars(iv, METHODS, LANGS, "bars", COLOURS)
    ax = fig.axes[0]
    assert _legend(ax) == ("method", METHODS)
    assert _tick_labels(ax.xaxis) == LANGS
    assert ax.get_xlabel() == "language" and ax.get_ylabel() == "recall (%), 95% bootstrap interval"
    labse = ax.containers[1]
    assert [bar.get_height() for bar in labse] == pytest.approx([20.0, 21.0, 22.0, 23.0])
    assert {to_hex(bar.get_facecolor()) for bar in labse} == {"#0173b2"}
    assert to_hex(ax.containers[0][0].get_facecolor()) == "#5a5a5a"
    (errors,) = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    segments = errors.lines[2][0].get_segments()
    assert len(segments) == len(METHODS) * len(LANGS)
    lows = sorted(round(seg[0][1], 6) for seg in segments)
    assert lows[0] == pytest.approx(5.0)  # translate-train en: 10 - 5


def test_gap_closed_bars_leave_undefined_out():
    undefined = pl.when(pl.col("lang") == "zh").then(None).otherwise(pl.col("gap_closed"))
    closed = _grid("gap_closed").with_columns(undefined.alias("gap_closed"))
    fig = plots.plot_gap_closed(closed, METHODS[1:], LANGS[1:], "closed", COLOURS)
    ax = fig.axes[0]
    assert _legend(ax) == ("method", METHODS[1:])
    assert _tick_labels(ax.xaxis) == LANGS[1:]
    assert ax.get_ylabel() == "gap to English closed vs translate-train (%)"
    heights = [bar.get_height() for bar in ax.containers[1]]  # c2kd muse: de, zh (none), avg
    assert heights[0] == pytest.approx(31.0) and heights[1] != heights[1]
    assert to_hex(ax.containers[1][0].get_facecolor()) == "#de8f05"


def test_diagnostics_scatter_panels():
    table = pl.DataFrame(
        {
            "teacher": ["labse", "muse", "minilm-en"],
            "teacher_en_r1": [0.5, 0.4, 0.45],
            "translation_r1": [0.9, 0.7, 0.1],
            "agreement_kl": [0.8, 0.9, None],
            "gain_r1": [0.14, 0.05, 0.01],
        }
    )
    corr = pl.DataFrame(
        {"diagnostic": ["teacher_en_r1", "translation_r1", "agreement_kl"], "rho": [0.5, 1.0, None]}
    )
    colours = {"labse": "#0173b2", "muse": "#de8f05", "minilm-en": "#029e73"}
    fig = plots.plot_diagnostics(table, corr, "diag", colours)
    axes = fig.axes
    assert [ax.get_xlabel() for ax in axes] == [
        "teacher's own English R@1 (%)",
        "teacher translation R@1, en→lang (%)",
        "student-teacher KL (nats)",
    ]
    assert "gain" in axes[0].get_ylabel()
    assert [ax.get_ylim() for ax in axes[1:]] == [axes[0].get_ylim()] * 2  # one shared y scale
    assert axes[1].get_title() == "Spearman ρ = 1.00 (n = 3)"
    assert axes[2].get_title() == "ρ undefined (n = 2)"  # minilm-en has no KL
    # the legend lists every teacher in the table's order, even one missing from a panel
    assert _legend(axes[-1]) == ("teacher", ["labse", "muse", "minilm-en"])
    points = {c.get_gid(): to_hex(c.get_facecolor()[0]) for c in axes[0].collections}
    assert points["point:labse:teacher_en_r1"] == "#0173b2"
    assert points["point:minilm-en:teacher_en_r1"] == "#029e73"
    assert fig.get_suptitle() == "diag"


def test_svg_fills_carry_the_mapping():
    iv = _grid("recall").with_columns(low=pl.col("recall") - 0.05, high=pl.col("recall") + 0.02)
    png, svg = plots.render(plots.plot_recall_bars(iv, METHODS, LANGS, "bars", COLOURS))
    text = svg.decode()
    bar_fill = r'<g id="bar:([^"]+?):[^":]+">\s*<path[^>]*?fill: (#[0-9a-f]{6})'
    fills = dict(re.findall(bar_fill, text))
    assert fills == COLOURS
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert b'href="http' not in svg and b"url(http" not in svg  # nothing fetched from outside
