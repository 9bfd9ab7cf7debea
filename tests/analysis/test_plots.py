"""Each figure: axes, labels, the one category order, bar heights, colours from the mapping given
(read back from the figure and from its SVG); PNG and SVG bytes."""

from __future__ import annotations

import re

import polars as pl
import pytest
import svg_read
from matplotlib.colors import to_hex
from matplotlib.text import Text

from c2kd_analyze.analysis import plots, plots_curves, plots_gains
from c2kd_analyze.analysis.curves import CurvePanel

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


# --- the answer's figure: students minus translate-train ------------------------------------

STUDENTS = METHODS[1:]


def _gains() -> pl.DataFrame:
    """diff, low, high (fractions) per student and column; every other cell significant."""
    rows = []
    for i, m in enumerate(STUDENTS):
        for j, lang in enumerate(LANGS):
            diff = 0.02 * (i + 1) - 0.015 * j
            low, high = diff - 0.01 * (j + 1), diff + 0.005 * (i + 2)
            row = {"method": m, "lang": lang, "diff": diff, "low": low, "high": high}
            rows.append({**row, "significant": (i + j) % 2 == 0})
    return pl.DataFrame(rows)


def test_student_gains_draw_differences_intervals_and_significance():
    gains = _gains()
    fig = plots_gains.plot_student_gains(gains, STUDENTS, LANGS, "gains", COLOURS, "Δ (points)")
    ax = fig.axes[0]
    assert _tick_labels(ax.xaxis) == LANGS and ax.get_ylabel() == "Δ (points)"
    title, labels = _legend(ax)
    assert title == "C2KD student" and labels[:2] == STUDENTS
    assert labels[2:] == ["significant (Holm, α = 0.05)", "not significant"]
    whiskers = {line.get_gid(): line.get_ydata() for line in ax.lines if line.get_gid()}
    points = {c.get_gid(): c for c in ax.collections}
    for row in gains.iter_rows(named=True):
        key = f"{row['method']}:{row['lang']}"
        assert list(whiskers[f"whisker:{key}"]) == pytest.approx(
            [100 * row["low"], 100 * row["high"]]
        )
        point = points[f"gain:{key}"]
        assert point.get_offsets()[0][1] == pytest.approx(100 * row["diff"])
        face = to_hex(point.get_facecolor()[0])
        assert face == (COLOURS[row["method"]] if row["significant"] else "#ffffff")
        assert to_hex(point.get_edgecolor()[0]) == COLOURS[row["method"]]


def test_student_gains_svg_carries_the_numbers_and_marks():
    """The whisker ends, points and fills read back from the SVG are the statistics given."""
    gains = _gains().filter(~((pl.col("method") == "c2kd muse") & (pl.col("lang") == "zh")))
    _, svg = plots.render(
        plots_gains.plot_student_gains(gains, STUDENTS, LANGS, "gains", COLOURS, "Δ (points)")
    )
    text = svg.decode()
    to_data = svg_read.axis_map(text)
    whiskers, points = svg_read.marks(text, "whisker"), svg_read.marks(text, "gain")
    expected = {(r["method"], r["lang"]): r for r in gains.iter_rows(named=True)}
    assert set(whiskers) == set(points) == set(expected)  # nothing drawn for the absent cell
    for key, row in expected.items():
        (_, y_low), (_, y_high) = svg_read.path_points(whiskers[key])
        assert [to_data(y_low), to_data(y_high)] == pytest.approx(
            [100 * row["low"], 100 * row["high"]], abs=1e-4
        )
        assert to_data(svg_read.use_y(points[key])) == pytest.approx(100 * row["diff"], abs=1e-4)
        fill = svg_read.style(points[key], "fill")
        assert fill == (COLOURS[key[0]] if row["significant"] else "#ffffff"), key
        assert svg_read.style(whiskers[key], "stroke") == COLOURS[key[0]]


# --- training curves --------------------------------------------------------------------------


def _panel(name: str, methods: list[str], log_y: bool) -> CurvePanel:
    rows = [
        {"method": m, "x": x, "y": (i + 1) * 10.0 / (1 + x)}
        for i, m in enumerate(methods)
        for x in range(8)
    ]
    return CurvePanel(name, pl.DataFrame(rows), "step", f"{name} value", log_y)


def test_training_curves_lines_styles_and_legend():
    methods = ["translate-train", "teacher labse", "c2kd labse"]
    colours = {**COLOURS, "teacher labse": COLOURS["c2kd labse"]}
    loss = _panel("loss", methods, log_y=True)
    fig = plots_curves.plot_curves([loss], methods, colours, frozenset({"teacher labse"}), "curves")
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    lines = {line.get_gid(): line for line in ax.lines}
    assert set(lines) == {f"curve:{m}:loss" for m in methods}
    for i, m in enumerate(methods):
        line = lines[f"curve:{m}:loss"]
        assert list(line.get_ydata()) == pytest.approx([(i + 1) * 10.0 / (1 + x) for x in range(8)])
        assert to_hex(line.get_color()) == colours[m]
        assert line.get_linestyle() == ("--" if m == "teacher labse" else "-")
    assert _legend(ax) == ("system", methods)
    ticks = [t.get_text() for t in ax.yaxis.get_ticklabels(which="both")]
    assert all("$" not in t and "^" not in t for t in ticks)  # plain numbers, no superscripts


def test_training_curves_take_a_second_panel_without_change():
    """A validation panel (say R@1 per epoch) is one more CurvePanel: its own axes, the same
    colours, one legend."""
    methods = ["translate-train", "c2kd labse"]
    panels = [_panel("loss", methods, True), _panel("val", methods[1:], False)]
    fig = plots_curves.plot_curves(panels, methods, COLOURS, frozenset(), "curves")
    loss, val = fig.axes
    assert (loss.get_yscale(), val.get_yscale()) == ("log", "linear")
    assert [line.get_gid() for line in val.lines] == ["curve:c2kd labse:val"]
    assert loss.get_legend() is None and _legend(val) == ("system", methods)


def test_training_curves_svg_lines_read_back():
    methods = ["translate-train", "c2kd labse"]
    panel = _panel("loss", methods, log_y=False)
    _, svg = plots.render(plots_curves.plot_curves([panel], methods, COLOURS, frozenset(), "c"))
    text = svg.decode()
    to_x, to_y = svg_read.axis_map(text, "x"), svg_read.axis_map(text, "y")
    for i, m in enumerate(methods):
        g = svg_read.marks(text, "curve")[(m, "loss")]
        points = [(to_x(x), to_y(y)) for x, y in svg_read.path_points(g)]
        expected = [(x, (i + 1) * 10.0 / (1 + x)) for x in range(8)]
        assert points == [pytest.approx(p, abs=1e-3) for p in expected]
        assert svg_read.style(g, "stroke") == COLOURS[m]


# --- every figure readable in the report ------------------------------------------------------

#: the smallest text allowed, in points, at the figures' DPI: 10 px on the page
MIN_POINTS = 10 * 72 / plots.DPI
NINE = ["en", "de", "fr", "cs", "zh", "ru", "vi", "es", "ja", "avg"]
LONG = ["zero-shot", "translate-train", "c2kd muse", "c2kd me5-small", "c2kd minilm-en",
        "c2kd pool max(muse+me5-small+minilm-en)"]  # fmt: skip


def _wide_figure(name: str):
    """One figure function at the widest report's size (9 languages, long system names)."""
    colours = dict(zip(LONG, ["#b4b4b4", "#5a5a5a", "#0173b2", "#de8f05", "#029e73", "#d55e00"],
                       strict=True))  # fmt: skip
    frame = pl.DataFrame(
        [{"method": m, "lang": x, "recall": 0.3, "low": 0.2, "high": 0.4, "gap": 0.1,
          "gap_closed": 0.5, "diff": 0.01, "significant": True} for m in LONG for x in NINE]
    )  # fmt: skip
    table = pl.DataFrame({"teacher": ["muse"], "teacher_en_r1": [0.5], "translation_r1": [0.9],
                          "agreement_kl": [0.8], "gain_r1": [0.1]})  # fmt: skip
    corr = pl.DataFrame({"diagnostic": list(plots.DIAGNOSTIC_LABELS), "rho": [0.5, 0.5, 0.5]})
    curve = _panel("loss", LONG, True)
    draw = {
        "heatmap": lambda: plots.plot_recall_heatmap(frame, LONG, NINE, "t"),
        "gap": lambda: plots.plot_gap_heatmap(frame, LONG, NINE, "t"),
        "bars": lambda: plots.plot_recall_bars(frame, LONG, NINE, "t", colours),
        "closed": lambda: plots.plot_gap_closed(frame, LONG[2:], NINE, "t", colours),
        "diagnostics": lambda: plots.plot_diagnostics(table, corr, "t", {"muse": "#0173b2"}),
        "gains": lambda: plots_gains.plot_student_gains(frame, LONG[2:], NINE, "t", colours, "y"),
        "curves": lambda: plots_curves.plot_curves([curve], LONG, colours, frozenset(), "t"),
    }
    return draw[name]()


@pytest.mark.parametrize(
    "name", ["heatmap", "gap", "bars", "closed", "diagnostics", "gains", "curves"]
)
def test_figures_are_shown_unscaled_so_their_text_is_at_least_10px(name):
    """A figure no wider than the page shows it (so it is never scaled down) and no text under
    10 px at its DPI; the browser test measures the same on the page itself."""
    fig = _wide_figure(name)
    assert fig.get_figwidth() * plots.DPI <= plots.PAGE_PX and fig.get_dpi() == plots.DPI
    fig.canvas.draw()  # constrained layout, tick labels
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert sizes and min(sizes) >= MIN_POINTS, (name, min(sizes))


def test_training_curves_count_steps_in_whole_numbers():
    """20 steps: matplotlib alone would tick 0, 2.5, 5, ..."""
    frame = pl.DataFrame({"method": ["translate-train"] * 20, "x": range(20), "y": [1.0] * 20})
    panel = CurvePanel("loss", frame, "step", "loss")
    fig = plots_curves.plot_curves([panel], ["translate-train"], COLOURS, frozenset(), "c")
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= 19]
    assert ticks and all(float(t).is_integer() for t in ticks)
