"""The page renderers and the report's files, without figures (fast): cells that wrap only where
they should, stacked intervals, collapsed parts, and the removal of stale report files."""

from __future__ import annotations

import polars as pl
from bs4 import BeautifulSoup

from c2kd_analyze import io
from c2kd_analyze.analysis.report.blocks import Details, Heading, Note, Table, walk
from c2kd_analyze.analysis.report.files import report_files, write_files
from c2kd_analyze.analysis.report.render import to_html_doc, to_markdown_doc
from c2kd_analyze.layout import RunFolder

NBSP = "\u00a0"
TABLE = Table(
    "demo_iv",
    "intervals",
    pl.DataFrame({"method": ["c2kd a"], "en": ["45.2 [40.1, 50.3]"], "de": ["3.0 ± 1.1*"]}),
)


def test_cells_break_only_before_a_bracket_or_plus_minus():
    soup = BeautifulSoup(to_html_doc([TABLE], "t"), "html.parser")
    cells = [td.get_text() for td in soup.find_all("td")]
    assert cells == ["c2kd a", f"45.2 [40.1,{NBSP}50.3]", f"3.0 ±{NBSP}1.1*"]


def test_stacked_table_puts_the_interval_on_a_second_line():
    stacked = Table(TABLE.name, TABLE.caption, TABLE.display, stack=True)
    soup = BeautifulSoup(to_html_doc([stacked], "t"), "html.parser")
    cell = soup.find_all("td")[1]
    assert cell.find(string=True, recursive=False) == "45.2"
    assert cell.find("span", class_="sub").get_text() == f"[40.1,{NBSP}50.3]"
    assert soup.find_all("td")[0].find("span") is None  # the label column is never split


def test_collapsed_blocks_and_warning_in_both_renderings():
    blocks = [Heading("R", 1), Note("ties", warning=True), Details("all tests", (TABLE,))]
    soup = BeautifulSoup(to_html_doc(blocks, "t"), "html.parser")
    details = soup.find("details")
    assert details.find("summary").get_text() == "all tests"
    assert details.find("table", id="table-demo_iv") is not None
    assert soup.find("div", class_="note warning").get_text() == "ties"
    md = to_markdown_doc(blocks)
    assert "> **Warning.** ties" in md
    assert "<details><summary>all tests</summary>\n\n**intervals**" in md
    assert [type(b).__name__ for b in walk(blocks)] == ["Heading", "Note", "Details", "Table"]


def test_rebuilt_report_removes_only_its_own_stale_files(tmp_path):
    folder = RunFolder(tmp_path)
    first = {
        folder.report_md: b"# r",
        folder.tables_dir / "demo_old.md": b"old",
        folder.tables_dir / "demo_kept.csv": b"a,b",
        folder.figures_dir / "demo_old.png": b"png",
    }
    assert write_files(first, tmp_path) == []
    mine = folder.figures_dir / "my_plot.png"  # the user's own file: no checksum sidecar
    mine.write_bytes(b"mine")
    notes = folder.tables_dir / "notes.txt"
    io.write_bytes(notes, b"a checksummed file of another kind")
    second = {folder.report_md: b"# r2", folder.tables_dir / "demo_kept.csv": b"a,b,c"}
    removed = write_files(second, tmp_path)
    assert sorted(p.name for p in removed) == ["demo_old.md", "demo_old.png"]
    assert not (folder.tables_dir / "demo_old.md").exists()
    assert not (folder.tables_dir / "demo_old.md.sha256").exists()
    assert mine.read_bytes() == b"mine" and io.is_valid(notes)
    assert io.read_bytes(folder.tables_dir / "demo_kept.csv") == b"a,b,c"
    assert report_files(tmp_path) == [folder.tables_dir / "demo_kept.csv"]
