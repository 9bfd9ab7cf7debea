"""The report end to end: files, HTML that stands alone, CLI (in process and as a real process)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from bs4 import BeautifulSoup
from synthetic_runs import RunSpec, write_run
from typer.testing import CliRunner

from c2kd_analyze import io
from c2kd_analyze.analysis.report import analyse, write_report
from c2kd_analyze.cli import app

CLI = str(Path(sys.executable).parent / "c2kd-analyze")


ROWS = [
    "zero-shot", "translate-train", "teacher labse", "teacher muse", "teacher minilm-en",
    "c2kd labse", "c2kd muse", "c2kd minilm-en", "c2kd pool max(labse+muse+minilm-en)",
]  # fmt: skip
STUDENTS = ["labse", "muse", "minilm-en", "pool max(labse+muse+minilm-en)"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    run = write_run(tmp_path_factory.mktemp("runs"), RunSpec(pool=True))
    html = write_report([run], n_resamples=500, seed=3)
    assert html == run / "report.html"
    return run


@pytest.fixture(scope="module")
def soup(report_dir) -> BeautifulSoup:
    return BeautifulSoup((report_dir / "report.html").read_text(), "html.parser")


def _table(soup: BeautifulSoup, name: str) -> tuple[list[str], list[list[str]]]:
    table = soup.find("table", id=f"table-{name}")
    assert table is not None, name
    header = [th.get_text() for th in table.find("thead").find_all("th")]
    rows = [
        [td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")
    ]
    return header, rows


def test_report_files_exist_and_verify(report_dir):
    figures = sorted(p.name for p in (report_dir / "figures").glob("*.png"))
    assert len(figures) >= 4
    for png in (report_dir / "figures").glob("*.png"):
        assert io.read_bytes(png).startswith(b"\x89PNG")
        assert io.is_valid(png.with_suffix(".svg"))
    for stem in {p.stem for p in (report_dir / "tables").glob("*.md")}:
        for ext in ("md", "csv", "tex"):
            assert io.is_valid(report_dir / "tables" / f"{stem}.{ext}")


def test_markdown_leads_with_the_answer(report_dir):
    md = (report_dir / "report.md").read_text()
    first_heading = re.findall(r"^## (.+)$", md, re.M)[0]
    assert first_heading == "The answer: demo (synthetic data)"
    assert "**synthetic**" in md.split("## ")[0]  # the warning comes before anything else
    assert "Best teacher overall" in md and "**labse**" in md
    assert "500 resamples, seed 3" in md
    for section in (
        "Intervals and significance",
        "Teachers ranked",
        "Gap to English",
        "Teacher diagnostics",
    ):
        assert f"### {section}" in md


def test_html_parses_has_every_table_and_figure(report_dir, soup):
    table_ids = {t["id"].removeprefix("table-") for t in soup.find_all("table")}
    table_files = {p.stem for p in (report_dir / "tables").glob("*.md")}
    assert table_ids == table_files
    figure_ids = {f["id"].removeprefix("fig-") for f in soup.find_all("figure")}
    assert figure_ids == {p.stem for p in (report_dir / "figures").glob("*.png")}
    for table in soup.find_all("table"):
        header = [th.get_text() for th in table.find("thead").find_all("th")]
        for row in table.find("tbody").find_all("tr"):
            assert len(row.find_all("td")) == len(header)
    # the R@1 table carries significance marks from the tests
    r1 = soup.find("table", id="table-demo_t2v_r1")
    assert any(cell.get_text().endswith("*†") for cell in r1.find_all("td"))


def test_html_references_nothing_outside_itself(report_dir):
    text = (report_dir / "report.html").read_text()
    soup = BeautifulSoup(text, "html.parser")
    assert not soup.find_all(["script", "link", "iframe", "object", "embed"])
    for tag in soup.find_all(True):
        for attr in ("src", "href", "srcset", "poster", "data"):
            value = tag.get(attr)
            if value:
                assert value.startswith(("data:", "#")), (tag.name, attr, value[:60])
    assert "url(" not in "".join(s.get_text() for s in soup.find_all("style"))
    assert "@import" not in text


def _two_runs(root: Path) -> list[Path]:
    """Two runs of the same configuration, seeds 0 and 1-2; small: merging is the point."""
    small = RunSpec(seeds=(0,), directions=("t2v",), n_queries=30)
    a = write_run(root, small, run_id="demo-a")
    return [a, write_run(root, dataclasses.replace(small, seeds=(1, 2)), run_id="demo-b")]


@pytest.mark.slow  # a whole report (figures: seconds); the analysis is checked fast just below
def test_merged_runs_are_reported_together(tmp_path):
    md = write_report(_two_runs(tmp_path), tmp_path / "r1", n_resamples=200)
    md = md.with_suffix(".md").read_text()
    assert "mean ± std over 3 seeds" in md and "demo-a" in md and "demo-b" in md


def test_merged_runs_analyse_deterministically(tmp_path):
    a, b = _two_runs(tmp_path)
    first, again = (analyse([a, b], n_resamples=200, seed=1) for _ in range(2))
    for name in ("intervals", "versus", "pairs", "ranks"):
        assert getattr(first.stats, name).equals(getattr(again.stats, name))
    other = analyse([a, b], n_resamples=200, seed=2).stats.intervals
    assert not other.equals(first.stats.intervals)  # the seed is used


def test_cli_report_in_process(tmp_path):
    # the command's wiring is the point here: one shard's teacher cells, a report without figures
    run = write_run(tmp_path / "runs", RunSpec(seeds=(0,), n_queries=30))
    for cell in (run / "cells").iterdir():
        if not cell.name.startswith("teacher"):
            io.remove(cell / "done.json")
    result = CliRunner().invoke(
        app, ["report", str(run), "--out", str(tmp_path / "out"), "--resamples", "200"]
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.slow  # a real process; in process: test_cli_report_in_process, report_dir's default
def test_cli_report_subprocess_writes_into_the_run(demo_run):
    proc = subprocess.run(
        [CLI, "report", str(demo_run), "--resamples", "200"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (demo_run / "report.html").is_file() and (demo_run / "report.md").is_file()


@pytest.mark.parametrize(
    "case", ["missing", "not-a-run", "empty-run", "several-without-out", "few-resamples"]
)
def test_cli_bad_input_exits_2_with_one_line(case, tmp_path, demo_run, c2kd_cli):
    args = {
        "missing": [str(tmp_path / "nope")],
        "not-a-run": [str(tmp_path)],
        "empty-run": [str(_empty_run(tmp_path))],
        "several-without-out": [str(demo_run), str(demo_run)],
        "few-resamples": [str(demo_run), "--resamples", "5"],
    }[case]
    proc = c2kd_cli(["report", *args])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    if case == "few-resamples":  # the parser's range check: its usage line, then the error
        assert lines[0].startswith("Usage: ") and "--resamples" in lines[-1], proc.stderr
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "report.html").exists() and not (demo_run / "report.html").exists()


def _empty_run(root: Path) -> Path:
    run = root / "empty"
    io.write_json(
        run / "config.json", {"run_id": "demo-x", "config": {}, "dataset": {"name": "demo"}}
    )
    (run / "cells").mkdir()
    return run


@pytest.mark.slow  # a whole report (figures: seconds); report_dir and odd_report are the fast ones
def test_minimal_run_one_teacher_one_seed_real_dataset(tmp_path):
    spec = RunSpec(teachers=("labse",), seeds=(0,), directions=("t2v",), synthetic=False)
    run = write_run(tmp_path, spec)
    md = write_report([run], n_resamples=200).with_suffix(".md").read_text()
    assert "synthetic" not in md
    assert "one seed" in md and " ± " not in md.split("### Intervals")[0]
    assert "Best teacher overall" in md and "**labse**" in md
    assert "significantly ahead" not in md  # nothing to be ahead of
    assert "With 1 teachers" not in md  # no correlation with a single point


@pytest.mark.slow  # a whole report (figures: seconds); report_dir and odd_report are the fast ones
def test_all_teachers_tied_says_so(tmp_path):
    """Identical students (same quality, same draws): the answer must not crown one of them."""
    spec = RunSpec(
        teachers=("labse", "muse"),
        seeds=(0,),
        directions=("t2v",),
        boost={("c2kd", "labse"): 0.5, ("c2kd", "muse"): 0.5},
    )
    run = write_run(tmp_path, spec)
    md = write_report([run], n_resamples=200).with_suffix(".md").read_text()
    assert "No teacher is significantly better than another" in md
    assert "Best teacher overall" not in md and "significantly ahead" not in md


# --- one order, one colour, one name ---------------------------------------------------------


def test_rows_and_languages_in_one_order_everywhere(soup):
    """Every table lists its systems in the one row order and its languages English first, then
    the dataset's declared order; students always in the order of --teachers."""
    header, rows = _table(soup, "demo_t2v_r1")
    assert header == ["method", "en", "de", "fr", "zh", "avg", "micro"]
    assert [r[0] for r in rows] == ROWS
    for name in ("demo_v2t_r5", "demo_t2v_ranks", "demo_t2v_r1_intervals", "demo_t2v_gap"):
        header, rows = _table(soup, name)
        firsts = [r[0] for r in rows]
        assert firsts == [m for m in ROWS if m in firsts] and len(firsts) >= 6, name
    for name in ("demo_t2v_teacher_ranks", "demo_t2v_gap_closed"):
        assert [r[0] for r in _table(soup, name)[1]] == STUDENTS, name
    _, summary = _table(soup, "demo_t2v_r1_tests_summary")
    assert [r[0] for r in summary][:3] == [
        "labse vs zero-shot", "labse vs translate-train", "muse vs zero-shot",
    ]  # fmt: skip


#: the colour property of each kind of mark: bars and points are filled; a gain point's edge,
#: its whisker and a curve are stroked (an open point is filled white)
MARK_COLOUR = {"bar": "fill", "point": "fill", "gain": "stroke", "whisker": "stroke",
               "curve": "stroke"}  # fmt: skip


def _svg_fills(path: Path) -> dict[str, set[str]]:
    """Method (bars, gains, curves) or its student (scatter points of a teacher) -> the colours of
    its marks in one SVG (the first fill or stroke inside each ``<g id="<kind>:...">``)."""
    text = path.read_text()
    found: dict[str, set[str]] = {}
    for match in re.finditer(r'<g id="(bar|point|gain|whisker|curve):([^"]+?):[^":]+">', text):
        kind, name = match.groups()
        prop = MARK_COLOUR[kind]
        fill = re.search(rf"{prop}: (#[0-9a-f]{{6}})", text[match.end() : match.end() + 3000])
        assert fill is not None, (path.name, name)
        found.setdefault(f"c2kd {name}" if kind == "point" else name, set()).add(fill.group(1))
    return found


def test_each_system_has_one_colour_in_every_figure(report_dir):
    per_figure = {p.name: _svg_fills(p) for p in sorted((report_dir / "figures").glob("*.svg"))}
    drawn = {name: fills for name, fills in per_figure.items() if fills}
    assert set(drawn) == {
        "demo_r1_student_gains.svg", "demo_r1_bars.svg", "demo_gap_closed.svg",
        "demo_diagnostics.svg", "demo_training_curves.svg",
    }  # fmt: skip
    colour: dict[str, str] = {}
    for figure, fills in drawn.items():
        for system, seen in fills.items():
            assert len(seen) == 1, (figure, system, seen)
            assert colour.setdefault(system, next(iter(seen))) == next(iter(seen)), figure
    # seaborn's colour-blind palette in --teachers order; baselines grey; a teacher's own
    # training curve in its student's colour
    assert colour["c2kd labse"] == "#0173b2" and colour["c2kd muse"] == "#de8f05"
    assert colour["c2kd pool max(labse+muse+minilm-en)"] == "#d55e00"
    assert colour["zero-shot"][1:3] == colour["zero-shot"][3:5] == colour["zero-shot"][5:]
    assert colour["teacher muse"] == colour["c2kd muse"]
    assert set(per_figure["demo_training_curves.svg"]) == set(ROWS)  # every system trained


# --- the answer's figure and the training curves ---------------------------------------------


def test_answer_figure_sits_under_the_bullets(soup):
    heading = soup.find("h2", string=re.compile("^The answer"))
    after = [t for t in heading.find_next_siblings() if t.name in ("ul", "figure", "table", "h2")]
    assert [t.name for t in after[:3]] == ["ul", "figure", "table"]
    assert after[1]["id"] == "fig-demo_r1_student_gains"
    assert "filled points are significant" in after[1].find("figcaption").get_text()


def test_answer_figure_draws_the_reports_tests(report_dir):
    """Points, whisker ends and fills read back from the SVG are the report's own test table
    (each student minus translate-train: difference, 95% interval, Holm significance)."""
    import svg_read

    tests = pl.read_csv(report_dir / "tables" / "demo_t2v_r1_tests.csv")
    tt = tests.filter(pl.col("baseline") == "translate-train")
    text = (report_dir / "figures" / "demo_r1_student_gains.svg").read_text()
    to_data = svg_read.axis_map(text)
    points, whiskers = svg_read.marks(text, "gain"), svg_read.marks(text, "whisker")
    expected = {(r["method"], r["lang"]): r for r in tt.iter_rows(named=True)}
    assert set(points) == set(whiskers) == set(expected)
    assert {lang for _, lang in expected} == {"en", "de", "fr", "zh", "avg"}
    assert {m for m, _ in expected} == {f"c2kd {s}" for s in STUDENTS}
    filled = 0
    for key, row in expected.items():
        (_, y_low), (_, y_high) = svg_read.path_points(whiskers[key])
        assert [to_data(y_low), to_data(y_high)] == pytest.approx(
            [100 * row["low"], 100 * row["high"]], abs=1e-3
        ), key
        assert to_data(svg_read.use_y(points[key])) == pytest.approx(100 * row["diff"], abs=1e-3)
        fill = svg_read.style(points[key], "fill")
        assert (fill != "#ffffff") == row["significant"], key
        filled += row["significant"]
    assert 0 < filled < len(expected)  # both kinds of point are on the figure


def test_training_curves_draw_the_cells_histories(report_dir):
    """Each system's curve in the SVG is its cells' losses smoothed as the caption says: read
    the history files here, smooth them with a plain-Python moving average, compare."""
    import svg_read
    from test_curves import _ema

    text = (report_dir / "figures" / "demo_training_curves.svg").read_text()
    to_x, to_y = svg_read.axis_map(text, "x"), svg_read.axis_map(text, "y", log=True)
    curves = svg_read.marks(text, "curve")
    for cell, method in (("c2kd-labse", "c2kd labse"), ("teacher-muse", "teacher muse")):
        seeds = [
            io.read_parquet(report_dir / "cells" / f"{cell}-s{s}" / "history.parquet")
            for s in (0, 1)
        ]
        smooth = [_ema(h.sort("step")["loss"].to_list()) for h in seeds]
        expected = [(a + b) / 2 for a, b in zip(*smooth, strict=True)]
        drawn = [(to_x(x), to_y(y)) for x, y in svg_read.path_points(curves[(method, "loss")])]
        assert [x for x, _ in drawn] == pytest.approx(list(range(len(expected))), abs=1e-3)
        assert [y for _, y in drawn] == pytest.approx(expected, rel=1e-4)
    assert svg_read.style(curves[("teacher muse", "loss")], "stroke-dasharray") is not None
    assert svg_read.style(curves[("c2kd muse", "loss")], "stroke-dasharray") is None
    md = (report_dir / "report.md").read_text()
    assert "### Training curves: demo" in md.split("## Appendix", 1)[1]
    assert "exponential moving average" in md and "the mean over 2 seeds" in md


def test_one_name_and_one_description_per_test(report_dir, soup):
    md = (report_dir / "report.md").read_text()
    assert "permutation test" not in md and "exact sign-flip" not in md
    captions = [c.get_text() for c in soup.find_all("caption") if "Holm" in c.get_text()]
    assert captions and all("paired sign-flip test over queries" in c for c in captions)
    # four languages and the parallel average: every p-value is exact, and the notes say so
    assert re.search(r"all \d+ p-values are exact", md)


def test_long_tables_are_collapsed_with_a_summary_up_front(soup):
    collapsed = {t["id"] for d in soup.find_all("details") for t in d.find_all("table")}
    assert "table-demo_t2v_r1_tests" in collapsed  # 4 students x 2 baselines x 5 columns
    assert len(_table(soup, "demo_t2v_r1_tests")[1]) == 40
    shown = {t["id"] for t in soup.find_all("table")} - collapsed
    assert "table-demo_t2v_r1_tests_summary" in shown and "table-demo_t2v_r1" in shown
    assert len(_table(soup, "demo_t2v_r1_tests_summary")[1]) == 8


def test_gap_closed_sits_beside_the_english_change(soup):
    header, rows = _table(soup, "demo_t2v_gap_closed")
    assert header[:3] == ["teacher", "Δ en (points)", "Δ other languages (points)"]
    assert header[3:] == ["de", "fr", "zh", "avg"]
    assert all(re.fullmatch(r"[+-]\d+\.\d", r[1]) for r in rows)


def test_rank_table_has_median_and_mean_rank(soup):
    header, rows = _table(soup, "demo_t2v_ranks")
    assert header == ["method", "en", "de", "fr", "zh", "avg"]
    assert all(re.fullmatch(r"\d+\.\d \(\d+\.\d\)", cell) for r in rows for cell in r[1:])


def test_no_ties_no_warning(report_dir):
    assert "Tied scores" not in (report_dir / "report.md").read_text()


# --- masked captions, ties, a student whose English falls ------------------------------------

ODD = RunSpec(
    teachers=("labse", "muse", "minilm-en"),
    seeds=(0,),
    directions=("t2v",),
    n_queries=40,
    masked={"zh": (1, 3, 5, 7, 9)},  # zh lacks five captions: its queries are other clips
    tied={("c2kd", "muse"): "all"},  # constant scores
    english={("c2kd", "minilm-en"): 1.6},  # its English falls: "gap closed" without a gain
    absent=0,
    boost={("translate-train", None): 0.6, ("c2kd", "labse"): 1.6, ("c2kd", "minilm-en"): 0.6},
)


@pytest.fixture(scope="module")
def odd_report(tmp_path_factory) -> tuple[Path, str, BeautifulSoup]:
    run = write_run(tmp_path_factory.mktemp("odd"), ODD)
    html = write_report([run], n_resamples=200)
    return run, html.with_suffix(".md").read_text(), BeautifulSoup(html.read_text(), "html.parser")


def test_masked_language_is_resampled_on_its_own(odd_report):
    run, md, soup = odd_report
    assert "per language (the languages' query sets differ" in md
    assert "are Monte Carlo estimates" in md  # the averages of non-parallel languages
    _, rows = _table(soup, "demo_t2v_r1")
    assert len(rows) == 8 and all(len(r) == 7 for r in rows)
    tests = io.read_bytes(run / "tables" / "demo_t2v_r1_tests.csv").decode().splitlines()
    exact = {line.split(",")[2]: line.split(",")[7] for line in tests[1:]}
    assert exact["zh"] == "true" and exact["avg"] == "false"


def test_constant_scores_cannot_be_missed(odd_report):
    _, md, soup = odd_report
    first_h2 = soup.find("h2")
    warning = soup.find("div", class_="warning")
    assert warning is not None and warning.find_next("h2") is first_h2  # before the answer
    text = warning.get_text()
    assert "c2kd muse ties on every query in en, de, fr, zh" in text
    assert "anything from 0.0 % to 100.0 %" in text and "its numbers mean nothing" in text
    header, rows = _table(soup, "demo_t2v_ties")
    assert header[:4] == ["method", "language", "tied queries (%)", "reported as"]
    assert rows[0][:4] == ["c2kd muse", "en", "100.0", "optimistic"]
    assert header[4] == "R@1 (%)" and rows[0][4] == "0.0 – 100.0"  # pessimistic – optimistic
    muse = next(r for r in _table(soup, "demo_t2v_r1")[1] if r[0] == "c2kd muse")
    assert all(cell.endswith("‡") for cell in muse[1:])
    assert md.index("**Warning.**") < md.index("## The answer")


def test_gap_closed_never_crowns_a_student_whose_english_fell(odd_report):
    _, md, _ = odd_report
    answer = md.split("## The answer", 1)[1].split("\n## ", 1)[0]
    line = next(x for x in answer.splitlines() if "gap to English closed" in x)
    assert re.search(
        r"minilm-en -?\d+\.\d % \(English -\d+\.\d, [^)]*\), \*\*mostly by losing", line
    )
    assert "best" not in line.lower()


def test_answer_leaves_out_constant_scores(odd_report):
    """Optimistic ties give the constant-score student R@1 = 100 %: it must not win."""
    _, md, _ = odd_report
    answer = md.split("## The answer", 1)[1].split("\n## ", 1)[0]
    assert "**labse**" in answer.split("Best teacher overall", 1)[1].splitlines()[0]
    assert "Left out of this answer: the student of **muse**" in answer
    assert "**muse** student against" not in answer and "; muse " not in answer
    best = answer.split("best teacher per language", 1)[1]
    assert "muse" not in best.replace("minilm-en", "")
    # nor is it on the answer's figure
    svg = (odd_report[0] / "figures" / "demo_r1_student_gains.svg").read_text()
    drawn = set(re.findall(r'<g id="gain:([^"]+):[^":]+">', svg))
    assert drawn == {"c2kd labse", "c2kd minilm-en"}


def test_no_translate_train_no_answer_figure(tmp_path):
    """Without translate-train there is nothing to subtract: the answer keeps its words only."""
    from c2kd_analyze.analysis.report.blocks import Bullets, Figure
    from c2kd_analyze.analysis.report.s1_answer import answer_blocks

    run = write_run(tmp_path, RunSpec(seeds=(0,), directions=("t2v",), n_queries=30))
    io.remove(run / "cells" / "translate-train-s0" / "done.json")
    (view,) = analyse([run], n_resamples=100).views
    blocks = answer_blocks(view)
    assert any(isinstance(b, Bullets) for b in blocks)
    assert not any(isinstance(b, Figure) for b in blocks)


def test_a_folder_with_teacher_cells_only_still_reports(tmp_path):
    """One shard alone may hold no baseline and no student: the report says so, and draws no
    comparison, only the teachers' training curves."""
    run = write_run(tmp_path, RunSpec(seeds=(0,), directions=("t2v",), n_queries=30))
    for cell in (run / "cells").iterdir():
        if not cell.name.startswith("teacher"):
            io.remove(cell / "done.json")
    md = write_report([run], n_resamples=100).with_suffix(".md").read_text()
    assert "No teacher to compare: it has no C2KD students." in md
    assert "| teacher labse |" in md
    figures = [p.name for p in (run / "figures").glob("*.png")]
    assert figures == ["demo_training_curves.png"]
    curves = (run / "figures" / "demo_training_curves.svg").read_text()
    assert set(re.findall(r'<g id="curve:([^":]+):loss">', curves)) == {
        "teacher labse", "teacher muse", "teacher minilm-en",
    }  # fmt: skip


@pytest.mark.parametrize(
    "teacher_cells_only",
    [pytest.param(False, marks=pytest.mark.slow), True],  # True: no figures, three times faster
    ids=["whole-run", "teacher-cells-only"],
)
def test_an_unchanged_report_is_not_rebuilt_and_a_changed_one_is(tmp_path, teacher_cells_only):
    from c2kd_analyze import io
    from c2kd_analyze.analysis.report import write_report

    # no training history and one shard's teacher cells: what the report needs to draw no figure
    run = write_run(
        tmp_path, RunSpec(seeds=(0,), n_queries=30, history_steps=0 if teacher_cells_only else 30)
    )
    if teacher_cells_only:
        for cell in (run / "cells").iterdir():
            if not cell.name.startswith("teacher"):
                io.remove(cell / "done.json")
    html = write_report([run], n_resamples=100)
    key = run / "report.key.json"
    assert io.is_valid(key)
    stamp = html.stat().st_mtime_ns
    assert write_report([run], n_resamples=100) == html
    assert html.stat().st_mtime_ns == stamp  # not rewritten: nothing changed
    write_report([run], n_resamples=120)  # another setting: rebuilt
    assert html.stat().st_mtime_ns != stamp
    stamp = html.stat().st_mtime_ns
    cell = next(c for c in sorted((run / "cells").iterdir()) if io.is_valid(c / "done.json"))
    frame = io.read_parquet(cell / "metrics.parquet")
    io.write_parquet(cell / "metrics.parquet", frame)  # rewritten: same bytes, same checksum
    write_report([run], n_resamples=120)
    assert html.stat().st_mtime_ns == stamp
    io.remove(cell / "done.json")  # one cell fewer: another report
    write_report([run], n_resamples=120)
    assert html.stat().st_mtime_ns != stamp


def test_tie_warnings_name_the_system_languages_and_range(tmp_path):
    from c2kd_analyze.analysis.ties import tie_warnings

    clean = write_run(tmp_path, RunSpec(seeds=(0,), n_queries=30), run_id="demo-clean")
    assert tie_warnings([clean]) == []
    tied = write_run(
        tmp_path, RunSpec(seeds=(0,), n_queries=30, tied={("c2kd", "muse"): "all"}),
        run_id="demo-tied",
    )  # fmt: skip
    lines = tie_warnings([tied])
    assert len(lines) == 2  # one per direction: both tie
    assert lines[0].startswith("warning: c2kd muse has tied scores in en, de, fr, zh ")
    assert "(every query: constant scores)" in lines[0] and "its t2v R@1" in lines[0]
    # optimistic: every present query a hit; 3 of the 33 counted queries are absent: 30/33
    assert "between 0.0 % and 90.9 %" in lines[0] and "the run used optimistic" in lines[0]
    assert "its v2t R@1" in lines[1]


def test_many_tied_systems_share_one_line_per_direction(tmp_path):
    """Duplicate captions tie every system in video-to-text: one line names how many, where, and
    the widest range (as the per-system lines would give it), not a line each."""
    from c2kd_analyze.analysis import ties

    tied = {("c2kd", "muse"): "some", ("c2kd", "labse"): "some", ("zero-shot", None): "all"}
    spec = RunSpec(seeds=(0,), n_queries=30, tied=tied, tied_in=("v2t",))
    run = write_run(tmp_path, spec, run_id="demo-many-ties")
    (line,) = ties.tie_warnings([run])
    assert line.startswith("warning: 3 systems have tied scores in v2t (en, de, fr, zh; ")
    assert "most for zero-shot (between 0.0 % and 90.9 %)" in line  # constant: the widest
    assert "the run used optimistic" in line
    each = _per_system(ties, run)
    assert len(each) == 3 and any("zero-shot" in x and "0.0 % and 90.9 %" in x for x in each)


def _per_system(ties, run) -> list[str]:
    from unittest import mock

    with mock.patch.object(ties, "MAX_SYSTEM_LINES", 10):
        return ties.tie_warnings([run])


def test_ties_in_video_to_text_alone_are_warned_of_in_run_and_report(tmp_path):
    """Identical captions tie in video-to-text while text-to-video has no tie: the run's
    warning and the report's both say so, and only that direction's tables point at it."""
    from bs4 import BeautifulSoup

    from c2kd_analyze.analysis.report import analyse, report_blocks
    from c2kd_analyze.analysis.report.render import to_html_doc
    from c2kd_analyze.analysis.ties import tie_warnings

    spec = RunSpec(seeds=(0,), n_queries=30, tied={("c2kd", "muse"): "some"}, tied_in=("v2t",))
    run = write_run(tmp_path, spec, run_id="demo-v2t-ties")
    lines = tie_warnings([run])
    assert lines and all("its v2t R@1" in line for line in lines)
    soup = BeautifulSoup(to_html_doc(report_blocks(analyse([run], n_resamples=100)), "t"),
                         "html.parser")  # fmt: skip
    warnings = [w.get_text() for w in soup.find_all("div", class_="warning")]
    assert any("video→text" in w and "Tied scores" in w for w in warnings), warnings
    assert not any("text→video" in w and "Tied scores" in w for w in warnings), warnings
    captions = {c.get_text() for c in soup.find_all("caption")}
    assert any("systems whose scores tie" in c for c in captions)
    t2v = [c for c in captions if "text→video R@1 " in c]
    v2t = [c for c in captions if "video→text R@1 " in c]
    assert t2v and not any("tied scores" in c for c in t2v)
    assert v2t and all("tied scores (see the warning at the top)" in c for c in v2t)


def test_merged_teacher_recipes_keep_their_students_apart(tmp_path):
    """Two runs of one teacher trained two ways: every per-student table has a row for each,
    named with its recipe, holding that student's own numbers (not the other's)."""
    from c2kd_analyze.analysis.report.s3_significance import test_summary
    from c2kd_analyze.analysis.report.s4_ranking import ranking_blocks

    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    strong = {**RunSpec().boost, ("c2kd", "labse"): 4.0}
    b = write_run(
        tmp_path, RunSpec(seeds=(0,), teacher_recipe="english", boost=strong), run_id="demo-b"
    )
    view = analyse([a, b], n_resamples=100).views[0]
    names = [view.teacher_of(m) for m in view.students()]
    assert len(set(names)) == len(names) == 6
    assert {"labse [english]", "labse [translate-train]"} <= set(names)

    summary = next(t for t in test_summary(view) if hasattr(t, "display")).display
    rows = summary["student vs"].to_list()
    assert len(set(rows)) == len(rows) == 12
    by_row = dict(zip(rows, summary["avg"].to_list(), strict=True))
    assert by_row["labse [english] vs zero-shot"] != by_row["labse [translate-train] vs zero-shot"]

    ranking = next(b for b in ranking_blocks(view) if getattr(b, "name", "").endswith("ranks"))
    teachers = ranking.display["teacher"].to_list()
    assert sorted(teachers) == sorted(names)
    avg = dict(zip(teachers, ranking.display["avg"].to_list(), strict=True))
    assert avg["labse [english]"] != avg["labse [translate-train]"]


def test_runs_table_says_how_each_run_was_made(tmp_path):
    """The report's runs table names each run's student, teacher recipe and dataset options, so
    two merged runs that differ only there can be told apart."""
    from c2kd_analyze.analysis.load import load_runs
    from c2kd_analyze.analysis.report.s7_methods import runs_blocks

    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(
        tmp_path,
        RunSpec(seeds=(0,), teacher_recipe="english", dataset_options=(("train_captions", 5),)),
        run_id="demo-b",
    )
    table = next(b for b in runs_blocks(load_runs([a, b]).meta) if hasattr(b, "display")).display
    rows = {r["run"]: r for r in table.iter_rows(named=True)}
    assert rows["demo-a"]["teacher recipe"] == "translate-train"
    assert rows["demo-b"]["teacher recipe"] == "english"
    assert rows["demo-a"]["dataset"] == "demo (synthetic)"
    assert rows["demo-b"]["dataset"] == "demo (synthetic; train_captions=5)"
    assert rows["demo-b"]["student"] == "me5-small"


def test_a_partial_run_is_said_to_be_partial_at_the_top_and_on_stderr(tmp_path, c2kd_cli):
    """A report made while a run is working, or over a damaged cell, says which cells are
    missing or damaged, above everything else, and on stderr; the numbers it shows are the
    cells it could read."""
    from c2kd_analyze import io

    run = write_run(tmp_path, RunSpec(seeds=(0,), n_queries=20), run_id="demo-partial")
    cells = run / "cells"
    for name in ("c2kd-muse-s0", "c2kd-minilm-en-s0"):  # not written yet: the run is working
        for path in (cells / name).iterdir():
            path.unlink()
        (cells / name).rmdir()
    done = cells / "zero-shot-s0" / "done.json"
    done.write_text(done.read_text()[:5])  # truncated: fails its checksum
    out = tmp_path / "report"
    result = c2kd_cli(["report", str(run), "--out", str(out), "--resamples", "100"])
    assert result.returncode == 0, result.stderr
    expected = (
        "partial: 5 of 8 cells of run demo-partial (missing: c2kd-muse-s0, "
        "c2kd-minilm-en-s0; damaged: zero-shot-s0)"
    )
    warnings = [x for x in result.stderr.splitlines() if x.startswith("warning: partial")]
    again = "; run the same `c2kd-analyze run` again to complete it"
    assert warnings == [f"warning: {expected}{again}"]
    md = io.read_bytes(out / "report.md").decode()
    first = md.split("\n## ", 1)[0]  # above the first section
    assert "This report is partial" in first and "damaged: zero-shot-s0" in first
    table = io.read_bytes(out / "tables" / "demo_t2v_r1.csv").decode()
    methods = {line.split(",")[0] for line in table.splitlines()[1:]}
    assert "translate-train" in methods and "zero-shot" not in methods  # the damaged cell
    assert "c2kd muse" not in methods and "c2kd labse" in methods  # the missing ones
    whole = write_run(tmp_path / "whole", RunSpec(seeds=(0,), n_queries=20))
    complete = c2kd_cli(["report", str(whole), "--out", str(tmp_path / "r2"), "--resamples", "100"])
    assert complete.returncode == 0 and "partial" not in complete.stderr
    assert "This report is partial" not in io.read_bytes(tmp_path / "r2" / "report.md").decode()
