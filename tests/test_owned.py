"""The deletion rule (c2kd_analyze.owned): only the tool's own files are ever removed.

A property test builds random run folders mixing the tool's files (checksummed, where the
layout puts them) with foreign ones (no checksum, a wrong checksum, unknown names, symlinks,
folders of the user's) and checks that ``foreign_entries`` finds exactly the foreign ones and
``remove_ours`` removes exactly the tool's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2kd_analyze import io
from c2kd_analyze.layout import RunFolder
from c2kd_analyze.owned import foreign_entries, interrupted_claim, is_ours, remove_ours

#: (relative path, whether the tool wrote it) for every kind of entry a run folder can hold
OURS = [
    "config.json", "results.parquet", "history.parquet", "report.md", "report.html",
    "report.key.json", "cells/teacher-muse-s0/metrics.parquet", "cells/teacher-muse-s0/done.json",
    "cells/zero-shot-s0/ranks.parquet", "figures/recall.png", "figures/recall.svg",
    "tables/summary.csv", "tables/summary.tex",
]  # fmt: skip
FOREIGN_NAMES = [
    "notes.txt", "figures/mine.png", "tables/mine.csv", "cells/notes.txt",
    "cells/teacher-muse-s0/my-plot.pdf", "figures/recall.pdf", "report.md", "config.json",
]  # fmt: skip
FOREIGN_KINDS = ("plain", "bad-checksum", "symlink", "folder")


def _ours(root: Path, rel: str) -> Path:
    path = root / rel
    io.write_bytes(path, f"written by the tool: {rel}".encode())
    return path


def _foreign(root: Path, rel: str, kind: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "plain":
        path.write_text("the user's own file")
    elif kind == "bad-checksum":
        io.write_bytes(path, b"the tool's once")
        path.write_text("edited by the user")
    elif kind == "symlink":
        target = root.parent / f"target-{path.name}"
        target.write_text("elsewhere")
        path.symlink_to(target)
    else:
        path.mkdir()
        (path / "inside.txt").write_text("the user's folder")
    return path


@st.composite
def folders(draw):
    ours = draw(st.lists(st.sampled_from(OURS), unique=True))
    names = [n for n in FOREIGN_NAMES if n not in ours]
    foreign = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    kinds = [draw(st.sampled_from(FOREIGN_KINDS)) for _ in foreign]
    return ours, list(zip(foreign, kinds, strict=True))


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every entry below ``root``: file bytes, a symlink's target, or 'dir'."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = path.read_bytes()
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layout=folders())
def test_only_the_tools_files_are_found_ours_and_removed(tmp_path_factory, layout):
    ours, foreign = layout
    root = tmp_path_factory.mktemp("case") / "run"
    root.mkdir()
    (root / ".lock").touch()
    for rel in ours:
        _ours(root, rel)
    planted = {rel: _foreign(root, rel, kind) for rel, kind in foreign}
    # a file edited after the tool wrote it keeps its (now wrong) sidecar beside it: both stay
    # and a folder directly under cells/ is a cell folder: what the user put in it is foreign
    expected = sorted([
        *(p / "inside.txt" if p.parent.name == "cells" and p.is_dir() else p
          for p in planted.values()),
        *(root / (rel + io.CHECKSUM_SUFFIX) for rel, kind in foreign if kind == "bad-checksum"),
    ])  # fmt: skip
    folder = RunFolder(root)
    assert sorted(foreign_entries(folder)) == expected
    before = {rel: data for rel, data in _tree(root).items()
              if any(rel == f or rel.startswith(f + "/") for f in planted)}  # fmt: skip
    kept = remove_ours(folder)
    assert sorted(kept) == expected
    after = _tree(root)
    for rel in ours:  # the tool's files and their checksums are gone
        assert rel not in after and rel + io.CHECKSUM_SUFFIX not in after
    for rel, data in before.items():  # every foreign file is untouched
        assert after.get(rel) == data, rel
    assert (root / ".lock").exists()  # the folder lock stays (it is held while this runs)


def test_an_interrupted_claim_is_told_from_a_users_config(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    record = {"run_id": "demo-0123456789", "config": {}, "where": {}}
    folder.config.write_text(json.dumps(record))  # renamed into place, no sidecar yet
    assert not interrupted_claim(folder)  # no run lock: not a claim of ours
    folder.lock.touch()
    assert interrupted_claim(folder) and foreign_entries(folder) == []
    folder.config.write_text(json.dumps({"mine": 1}))  # a user's config.json beside a lock
    assert not interrupted_claim(folder) and foreign_entries(folder) == [folder.config]


@pytest.mark.parametrize("kind", ["plain", "bad-checksum", "symlink"])
def test_is_ours_needs_a_matching_checksum(tmp_path, kind):
    path = _foreign(tmp_path / "f", "report.md", kind)
    assert not is_ours(path)
    assert is_ours(_ours(tmp_path / "g", "report.md"))
