"""The report's files: ``report.md``, ``report.html``, ``figures/<name>.png|svg`` and
``tables/<name>.md|tex|csv``, every path spelled by :class:`c2kd_analyze.layout.RunFolder`.

Everything is rendered in memory first; files are written only once the whole report exists, each
atomically with its checksum sidecar (:mod:`c2kd_analyze.io`). A rebuilt report then removes the
figures and tables an earlier report wrote that this one no longer writes: only files with the
report's extensions *and* a valid checksum sidecar (so written by a report, never a file the user
put there: :mod:`c2kd_analyze.owned`), and never writes over a file it did not write.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ... import io
from ...layout import RunFolder
from ...owned import FIGURE_SUFFIXES, TABLE_SUFFIXES, is_ours, refuse_foreign_targets
from ..export import to_latex, to_markdown
from .blocks import Block, Figure, Table, walk
from .render import to_html_doc, to_markdown_doc

log = logging.getLogger(__name__)


def inputs_key(run_dirs: list[Path], **settings: object) -> dict[str, object]:
    """What a report is made from, without reading it: every run's config.json and every done
    cell's files, by their checksum sidecars, plus the report's own settings and version."""
    from ... import __version__
    from ...distill.provenance import git_sha

    sums: dict[str, str] = {}
    for run in run_dirs:
        folder = RunFolder(run)
        paths = [folder.config]
        for cell in folder.cell_folders():
            if io.is_valid(cell.done):
                paths += [cell.done, *cell.tables]
        for path in paths:
            sidecar = path.with_name(path.name + io.CHECKSUM_SUFFIX)
            try:
                sums[str(path.resolve())] = sidecar.read_text().strip()
            except OSError:
                sums[str(path.resolve())] = "absent"
    return {"inputs": sums, "settings": settings, "version": __version__, "git": git_sha()}


def is_current(out: Path, key: dict[str, object]) -> bool:
    """Whether ``out`` holds a complete report made from exactly ``key``'s inputs."""
    folder = RunFolder(out)
    try:
        old = io.read_json(folder.report_key)
    except (OSError, io.CorruptFileError):
        return False
    return old == key and io.is_valid(folder.report_html) and io.is_valid(folder.report_md)


def render_files(blocks: list[Block], title: str, out: Path) -> dict[Path, bytes]:
    """Path (under ``out``) -> bytes of every report file."""
    folder = RunFolder(out)
    files: dict[Path, bytes] = {
        folder.report_md: to_markdown_doc(blocks).encode(),
        folder.report_html: to_html_doc(blocks, title).encode(),
    }
    for b in walk(blocks):
        if isinstance(b, Figure):
            files[folder.figures_dir / f"{b.name}.png"] = b.png
            files[folder.figures_dir / f"{b.name}.svg"] = b.svg
        elif isinstance(b, Table):
            numeric = b.numeric if b.numeric is not None else b.display
            files[folder.tables_dir / f"{b.name}.md"] = to_markdown(b.display).encode()
            files[folder.tables_dir / f"{b.name}.tex"] = to_latex(b.display, b.caption).encode()
            files[folder.tables_dir / f"{b.name}.csv"] = numeric.write_csv().encode()
    return files


def write_files(files: dict[Path, bytes], out: Path) -> list[Path]:
    """Write ``files``, then remove the report files of ``out`` they do not include; returns the
    removed paths. Refused, before anything is written, when one of ``files`` exists and was
    not written by c2kd-analyze (a user's own ``report.md``, say): it is never overwritten."""
    refuse_foreign_targets(files, "the report")
    for path, data in files.items():
        io.write_bytes(path, data)
    stale = [p for p in report_files(out) if p not in files]
    for path in stale:
        io.remove(path)
    log.info("wrote %d report files to %s; removed %d stale ones", len(files), out, len(stale))
    return stale


def report_files(out: Path) -> list[Path]:
    """Figures and tables under ``out`` that a report wrote (extension and valid checksum)."""
    folder = RunFolder(out)
    found = []
    for directory, suffixes in (
        (folder.figures_dir, FIGURE_SUFFIXES),
        (folder.tables_dir, TABLE_SUFFIXES),
    ):
        if directory.is_dir():
            found += [p for p in sorted(directory.iterdir()) if p.suffix in suffixes and is_ours(p)]
    return found
