"""Each figure: expected axes, labels, sorted categories and hue levels; PNG and SVG bytes."""

from __future__ import annotations

import polars as pl
import pytest

from c2kd_analyze.analysis import plots

METHODS = ["translate-train", "c2kd labse", "c2kd muse"]
LANGS = ["en", "de", "zh", "avg"]


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
    signed = _grid("gap").with_columns(pl.col("gap") - 0.2)
    fig = plots.plot_gap_heatmap(signed, METHODS, LANGS, "gap")
    mesh = fig.axes[0].collections[0]
    assert mesh.norm.vmin == pytest.approx(-mesh.norm.vmax)  # centred on zero


def test_recall_bars_have_hue_levels_and_intervals():
    iv = _grid("recall").with_columns(low=pl.col("recall") - 0.05, high=pl.col("recall") + 0.02)
    fig = plots.plot_recall_bars(iv, METHODS, LANGS, "bars")
    ax = fig.axes[0]
    assert _legend(ax) == ("method", METHODS)
    assert _tick_labels(ax.xaxis) == LANGS
    assert ax.get_xlabel() == "language" and "%" in ax.get_ylabel()
    assert len(ax.containers[0]) == len(LANGS)
    heights = [bar.get_height() for bar in ax.containers[1]]  # c2kd labse
    assert heights == pytest.approx([20.0, 21.0, 22.0, 23.0])
    error_bars = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert len(error_bars) == len(METHODS) * len(LANGS)


def test_gap_closed_bars():
    closed = _grid("gap_closed").with_columns(
        pl.when(pl.col("lang") == "zh")
        .then(None)
        .otherwise(pl.col("gap_closed"))
        .alias("gap_closed")
    )
    fig = plots.plot_gap_closed(closed, METHODS[1:], LANGS[1:], "closed")
    ax = fig.axes[0]
    assert _legend(ax) == ("method", METHODS[1:])
    assert _tick_labels(ax.xaxis) == LANGS[1:]
    assert ax.get_ylabel() == "gap to English closed vs translate-train (%)"


def test_diagnostics_scatter_panels():
    table = pl.DataFrame(
        {
            "teacher": ["muse", "labse", "minilm-en"],
            "teacher_en_r1": [0.4, 0.5, 0.45],
            "translation_r1": [0.7, 0.9, 0.1],
            "agreement_kl": [0.9, 0.8, 1.4],
            "gain_r1": [0.05, 0.14, 0.01],
        }
    )
    corr = pl.DataFrame(
        {"diagnostic": ["teacher_en_r1", "translation_r1", "agreement_kl"], "rho": [0.5, 1.0, None]}
    )
    fig = plots.plot_diagnostics(table, corr, "diag")
    axes = fig.axes
    assert len(axes) == 3
    assert [ax.get_xlabel() for ax in axes] == list(plots._DIAG_LABELS.values())
    assert "gain" in axes[0].get_ylabel()
    assert [ax.get_ylim() for ax in axes[1:]] == [axes[0].get_ylim()] * 2  # one shared y scale
    assert axes[1].get_title() == "Spearman ρ = 1.00 (n = 3)"
    assert axes[2].get_title() == "ρ undefined (n = 3)"
    assert _legend(axes[-1]) == ("teacher", ["labse", "minilm-en", "muse"])
    assert fig.get_suptitle() == "diag"


def test_render_gives_png_and_svg():
    png, svg = plots.render(plots.plot_recall_heatmap(_grid("recall"), METHODS, LANGS, "t"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert b"<svg" in svg[:1000]
    assert b'href="http' not in svg and b"url(http" not in svg  # nothing fetched from outside
