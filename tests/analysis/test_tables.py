"""Aggregation and the results tables against hand-computed values; labels, row and language
order, colours; exporters."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from c2kd_analyze.analysis.export import to_latex, to_markdown
from c2kd_analyze.analysis.gaps import gap_closed, language_gaps
from c2kd_analyze.analysis.systems import (
    add_methods,
    ordered_langs,
    ordered_methods,
    system_colours,
    system_label,
)
from c2kd_analyze.analysis.tables import (
    rank_grid,
    recall_grid,
    recall_numeric,
    results_table,
    summarize,
)
from c2kd_analyze.results import RESULT_COLUMNS, polars_schema


def frame(values, metric="recall", k=1, direction="t2v") -> pl.DataFrame:
    """Result rows from ``(stage, teacher, seed, lang, value)`` tuples."""
    rows = [
        dict(run_id="r", cell=f"{s}-{t}-{seed}", stage=s, teacher=t, teacher_model=None,
             student_model="m", dataset="toy", split="test", lang=lang, direction=direction,
             metric=metric, k=k, value=v, n_queries=100, seed=seed, mode="frozen")
        for s, t, seed, lang, v in values
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=polars_schema(RESULT_COLUMNS))


VALUES = [
    ("translate-train", None, 0, "en", 0.50),
    ("translate-train", None, 1, "en", 0.54),
    ("translate-train", None, 0, "de", 0.30),
    ("translate-train", None, 1, "de", 0.34),
    ("c2kd", "labse", 0, "en", 0.52),
    ("c2kd", "labse", 1, "en", 0.52),
    ("c2kd", "labse", 0, "de", 0.40),
    ("c2kd", "labse", 1, "de", 0.46),
]


def hand_built() -> pl.DataFrame:
    return add_methods(frame(VALUES))


GOLDEN = """\
| method | en | de | avg |
|---|---:|---:|---:|
| translate-train | 52.0 ± 2.8 | 32.0 ± 2.8 | 42.0 ± 2.8 |
| c2kd labse | 52.0 ± 0.0 | 43.0 ± 4.2 | 47.5 ± 2.1 |
"""


def test_summary_matches_golden_table():
    table = recall_grid(summarize(hand_built()), "toy", "t2v", 1, ordered_langs(["de", "en"]))
    assert to_markdown(table) == GOLDEN


def test_marks_are_appended_and_numeric_table_keeps_numbers():
    summary = summarize(hand_built())
    marks = pl.DataFrame({"method": ["c2kd labse"], "lang": ["de"], "mark": ["*‡"]})
    table = recall_grid(summary, "toy", "t2v", 1, ["en", "de"], marks)
    assert table.filter(pl.col("method") == "c2kd labse")["de"].item() == "43.0 ± 4.2*‡"
    assert table.filter(pl.col("method") == "c2kd labse")["en"].item() == "52.0 ± 0.0"
    num = recall_numeric(summary, "toy", "t2v", 1, ["en", "de"])
    stats = ["en_mean", "en_std", "de_mean", "de_std", "avg_mean", "avg_std"]
    assert num.columns == ["method", *stats]
    row = num.row(1, named=True)
    assert row["method"] == "c2kd labse"
    assert row["de_mean"] == pytest.approx(43.0)
    # the per-seed averages are 46 and 49: std = 3 / sqrt(2)
    assert row["avg_std"] == pytest.approx(3 / 2**0.5)


def test_single_seed_has_no_std():
    one = hand_built().filter(pl.col("seed") == 0)
    table = recall_grid(summarize(one), "toy", "t2v", 1, ["en", "de"])
    assert table.row(0) == ("translate-train", "50.0", "30.0", "40.0")


# --- the table `c2kd-analyze run` prints (ported from tests/distill/test_summary.py) ---------


def _printed_rows() -> pl.DataFrame:
    values = {  # (stage, teacher) -> seed -> lang -> R@1
        ("c2kd", "muse"): {0: {"en": 0.30, "de": 0.20}, 1: {"en": 0.40, "de": 0.10}},
        ("zero-shot", None): {0: {"en": 0.50, "de": 0.00}, 1: {"en": 0.30, "de": 0.00}},
    }
    tuples = [
        (stage, teacher, seed, lang, v)
        for (stage, teacher), seeds in values.items()
        for seed, langs in seeds.items()
        for lang, v in langs.items()
    ]
    v2t = [(s, t, seed, lang, 0.99) for s, t, seed, lang, _ in tuples]
    return pl.concat([frame(tuples), frame(v2t, direction="v2t")])


def test_results_table_means_std_and_order():
    header, rows = results_table(_printed_rows())
    assert header == ["method", "en", "de", "avg"]
    assert [r[0] for r in rows] == ["zero-shot", "c2kd muse"]
    # std over seeds of (0.30, 0.40) = 0.0707; the language mean within each seed (0.25, 0.25),
    # then over seeds: 25.0 ± 0.0
    assert rows[1] == ["c2kd muse", "35.0 ± 7.1", "15.0 ± 7.1", "25.0 ± 0.0"]
    one_seed = results_table(_printed_rows().filter(pl.col("seed") == 0))[1]
    assert one_seed[0] == ["zero-shot", "50.0", "0.0", "25.0"]
    v2t = results_table(_printed_rows(), direction="v2t")[1]
    assert v2t[0] == ["zero-shot", "99.0 ± 0.0", "99.0 ± 0.0", "99.0 ± 0.0"]


def test_results_table_labels_row_order_and_languages():
    systems = [
        ("c2kd-pool", "muse+labse"), ("c2kd", "labse"), ("teacher", "muse"), ("c2kd", "muse"),
        ("translate-train", None), ("teacher", "labse"), ("zero-shot", None),
    ]  # fmt: skip
    values = [
        (stage, teacher, 0, lang, 0.1) for stage, teacher in systems for lang in ["fr", "de", "en"]
    ]
    results = frame(values)
    header, rows = results_table(results, ["de", "fr", "en"], ["muse", "labse"], pool="max")
    assert header == ["method", "en", "de", "fr", "avg"]  # English first, then declared order
    assert [r[0] for r in rows] == [
        "zero-shot", "translate-train", "teacher muse", "teacher labse", "c2kd muse",
        "c2kd labse", "c2kd pool max(muse+labse)",
    ]  # fmt: skip
    header, rows = results_table(results)  # no --teachers order: first appearance (labse)
    assert header == ["method", "en", "fr", "de", "avg"]
    assert [r[0] for r in rows][2:] == [
        "teacher labse", "teacher muse", "c2kd labse", "c2kd muse", "c2kd pool muse+labse",
    ]  # fmt: skip


def test_results_table_missing_language_and_other_k():
    results = pl.concat(
        [
            frame([("zero-shot", None, 0, "en", 0.5), ("c2kd", "a", 0, "en", 0.2),
                   ("c2kd", "a", 0, "de", 0.4)]),
            frame([("zero-shot", None, 0, "en", 0.9)], k=5),
        ]
    )  # fmt: skip
    _, rows = results_table(results)
    assert rows == [["zero-shot", "50.0", "–", "50.0"], ["c2kd a", "20.0", "40.0", "30.0"]]
    # the direction's languages, whatever k: German was evaluated, only not at k=5
    assert results_table(results, k=5)[1] == [["zero-shot", "90.0", "–", "90.0"]]


def test_results_table_imports_cheaply():
    code = (
        "import sys; import c2kd_analyze.analysis.tables; "
        "print(sorted(m for m in ('polars', 'numpy', 'matplotlib', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- labels, order, colours ----------------------------------------------------------------


def test_labels_one_per_system():
    assert system_label("zero-shot", None) == "zero-shot"
    assert system_label("teacher", "muse") == "teacher muse"
    assert system_label("c2kd-pool", "a+b", "mean") == "c2kd pool mean(a+b)"
    both = frame([("c2kd", "a", 0, "en", 0.1)]).with_columns(pl.lit("full").alias("mode"))
    two_modes = add_methods(pl.concat([frame([("c2kd", "a", 0, "en", 0.1)]), both]))
    assert sorted(two_modes["method"].to_list()) == ["c2kd a [frozen]", "c2kd a [full]"]
    assert ordered_methods(two_modes) == ["c2kd a [frozen]", "c2kd a [full]"]


def test_scalar_label_agrees_with_the_frame_labels():
    cases = [
        ("zero-shot", None, None), ("translate-train", None, None), ("teacher", "a", None),
        ("c2kd", "a", None), ("c2kd-pool", "a+b", "max"), ("c2kd-pool", "a+b", None),
    ]  # fmt: skip
    rows = frame([(s, t, 0, "en", 0.1) for s, t, _ in cases]).with_columns(
        pl.Series("pool", [p for *_, p in cases], pl.String)
    )
    labelled = add_methods(rows)
    assert labelled["method"].to_list() == [system_label(s, t, p) for s, t, p in cases]


def test_languages_english_first_then_declared_order():
    assert ordered_langs(["zh", "de", "en"]) == ["en", "zh", "de"]
    assert ordered_langs(["zh", "de", "en", "ja"], ["en", "de", "zh"]) == ["en", "de", "zh", "ja"]


def test_colours_fixed_by_teacher_order():
    # seaborn's "colorblind" palette, as sns.color_palette("colorblind").as_hex() prints it
    colourblind = ["#0173b2", "#de8f05", "#029e73"]
    values = [
        (s, t, 0, "en", 0.1)
        for s, t in [("c2kd", "b"), ("teacher", "a"), ("c2kd", "a"), ("zero-shot", None),
                     ("translate-train", None), ("c2kd-pool", "a+b")]
    ]  # fmt: skip
    colours = system_colours(add_methods(frame(values), ["a", "b"]))
    assert colours["c2kd a"] == colours["teacher a"] == colourblind[0]
    assert colours["c2kd b"] == colourblind[1]
    assert colours["c2kd pool a+b"] == colourblind[2]
    grey = {colours["zero-shot"], colours["translate-train"]}
    assert len(grey) == 2 and all(c[1:3] == c[3:5] == c[5:7] for c in grey)  # two greys


# --- rank metrics, gaps --------------------------------------------------------------------


def test_rank_table_by_hand():
    median = frame(
        [("zero-shot", None, 0, "en", 2.0), ("zero-shot", None, 1, "en", 3.0),
         ("zero-shot", None, 0, "de", 40.0), ("zero-shot", None, 1, "de", 50.0)],
        metric="median_rank", k=None,
    )  # fmt: skip
    mean = median.with_columns(pl.lit("mean_rank").alias("metric"), pl.col("value") * 2 + 0.3)
    display, numeric = rank_grid(summarize(add_methods(pl.concat([median, mean]))), "toy", "t2v",
                                 ["en", "de"])  # fmt: skip
    # medians 2.5 and 45; mean ranks 5.3 and 90.3; avg: (2.5 + 45) / 2 and (5.3 + 90.3) / 2
    assert display.row(0) == ("zero-shot", "2.5 (5.3)", "45.0 (90.3)", "23.8 (47.8)")
    assert numeric.filter(pl.col("lang") == "de")["mean_rank"].item() == pytest.approx(90.3)


def test_gaps_gap_closed_and_english_change_by_hand():
    gaps = language_gaps(summarize(hand_built()))
    de = dict(gaps.filter(pl.col("lang") == "de").select("method", "gap").iter_rows())
    assert de == pytest.approx({"translate-train": 0.20, "c2kd labse": 0.09})
    row = gap_closed(gaps).filter(pl.col("lang") == "de").row(0, named=True)
    assert row["gap_closed"] == pytest.approx((0.20 - 0.09) / 0.20)
    assert row["en_change"] == pytest.approx(0.52 - 0.52)
    assert row["lang_change"] == pytest.approx(0.43 - 0.32)


def test_gap_closed_by_losing_english_shows_in_en_change():
    """A student 10 points worse in English and no better elsewhere closes half the gap."""
    values = [
        ("translate-train", None, 0, "en", 0.50), ("translate-train", None, 0, "de", 0.30),
        ("c2kd", "weak", 0, "en", 0.40), ("c2kd", "weak", 0, "de", 0.30),
    ]  # fmt: skip
    row = gap_closed(language_gaps(summarize(add_methods(frame(values))))).row(0, named=True)
    assert row["gap_closed"] == pytest.approx(0.5)
    assert row["en_change"] == pytest.approx(-0.10) and row["lang_change"] == pytest.approx(0.0)


def test_gap_closed_is_undefined_without_a_gap():
    values = [
        (s, t, seed, lang, v + (0.2 if (s, lang) == ("translate-train", "de") else 0.0))
        for s, t, seed, lang, v in VALUES
    ]  # translate-train's German equals its English
    closed = gap_closed(language_gaps(summarize(add_methods(frame(values)))))
    assert closed.filter(pl.col("lang") == "de")["gap_closed"].item() is None


def test_latex_escapes_and_has_booktabs():
    table = pl.DataFrame({"method": ["c2kd a_b & c"], "de": ["43.0 ± 4.2*†‡"]})
    tex = to_latex(table, "R@1 (%)")
    assert r"c2kd a\_b \& c" in tex and r"$\pm$" in tex and r"$^\dagger$" in tex
    assert r"$^\ddagger$" in tex
    assert r"\toprule" in tex and r"\caption{R@1 (\%)}" in tex
