"""The report end to end: files, HTML that stands alone, CLI (in process and as a real process)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from synthetic_runs import RunSpec, write_run
from typer.testing import CliRunner

from c2kd_analyze import io
from c2kd_analyze.analysis.report import analyse, write_report
from c2kd_analyze.cli import app

CLI = str(Path(sys.executable).parent / "c2kd-analyze")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    run = write_run(tmp_path_factory.mktemp("runs"), RunSpec(pool=True))
    html = write_report([run], n_resamples=500, seed=3)
    assert html == run / "report.html"
    return run


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


def test_html_parses_has_every_table_and_figure(report_dir):
    soup = BeautifulSoup((report_dir / "report.html").read_text(), "html.parser")
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


def test_merged_runs_and_determinism(tmp_path):
    a = write_run(tmp_path, RunSpec(seeds=(0,)), run_id="demo-a")
    b = write_run(tmp_path, dataclasses.replace(RunSpec(), seeds=(1, 2)), run_id="demo-b")
    md = write_report([a, b], tmp_path / "r1", n_resamples=200).with_suffix(".md").read_text()
    assert "mean ± std over 3 seeds" in md and "demo-a" in md and "demo-b" in md
    first, again = (analyse([a, b], n_resamples=200, seed=1) for _ in range(2))
    for name in ("intervals", "versus", "pairs", "ranks"):
        assert getattr(first.stats, name).equals(getattr(again.stats, name))
    other = analyse([a, b], n_resamples=200, seed=2).stats.intervals
    assert not other.equals(first.stats.intervals)  # the seed is used


def test_cli_report_in_process(demo_run, tmp_path):
    result = CliRunner().invoke(
        app, ["report", str(demo_run), "--out", str(tmp_path / "out"), "--resamples", "200"]
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert (tmp_path / "out" / "report.html").is_file()


def test_cli_report_subprocess_writes_into_the_run(demo_run):
    proc = subprocess.run(
        [CLI, "report", str(demo_run), "--resamples", "200"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (demo_run / "report.html").is_file() and (demo_run / "report.md").is_file()


@pytest.mark.parametrize(
    "case", ["missing", "not-a-run", "empty-run", "several-without-out", "few-resamples"]
)
def test_cli_bad_input_exits_2_with_one_line(case, tmp_path, demo_run):
    args = {
        "missing": [str(tmp_path / "nope")],
        "not-a-run": [str(tmp_path)],
        "empty-run": [str(_empty_run(tmp_path))],
        "several-without-out": [str(demo_run), str(demo_run)],
        "few-resamples": [str(demo_run), "--resamples", "5"],
    }[case]
    proc = subprocess.run([CLI, "report", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
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


def test_minimal_run_one_teacher_one_seed_real_dataset(tmp_path):
    spec = RunSpec(teachers=("labse",), seeds=(0,), directions=("t2v",), synthetic=False)
    run = write_run(tmp_path, spec)
    md = write_report([run], n_resamples=200).with_suffix(".md").read_text()
    assert "synthetic" not in md
    assert "one seed" in md and " ± " not in md.split("### Intervals")[0]
    assert "Best teacher overall" in md and "**labse**" in md
    assert "significantly ahead" not in md  # nothing to be ahead of
    assert "With 1 teachers" not in md  # no correlation with a single point


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
