"""`c2kd-analyze runs`: every run folder under a folder, complete, partial or damaged, with its
best system checked against a hand computation from the cells' metrics."""

from __future__ import annotations

import csv
import io as text_io
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from synthetic_runs import RunSpec, write_run

from c2kd_analyze import io
from c2kd_analyze.analysis.index import find_run_folders, index_runs


def _best_by_hand(run: Path) -> tuple[str, float]:
    """The system with the highest t2v R@1 averaged over languages, then over seeds, from the
    cells' metrics with plain Python (labels as the tables name systems)."""
    per_seed: dict[tuple[str, int], list[float]] = defaultdict(list)
    for cell in (run / "cells").iterdir():
        frame = io.read_parquet(cell / "metrics.parquet")
        for row in frame.iter_rows(named=True):
            if (row["metric"], row["k"], row["direction"]) != ("recall", 1, "t2v"):
                continue
            label = row["stage"] if row["teacher"] is None else f"{row['stage']} {row['teacher']}"
            per_seed[(label, row["seed"])].append(row["value"])
    per_system: dict[str, list[float]] = defaultdict(list)
    for (label, _), values in per_seed.items():
        per_system[label].append(sum(values) / len(values))
    means = {label: sum(v) / len(v) for label, v in per_system.items()}
    best = max(means, key=means.__getitem__)
    return best, means[best]


@pytest.fixture
def runs_folder(tmp_path) -> Path:
    root = tmp_path / "runs"
    write_run(root, RunSpec(seeds=(0, 1), n_queries=20), run_id="demo-complete")
    partial = write_run(root / "sweep", RunSpec(seeds=(0,), n_queries=20), run_id="demo-partial")
    shutil.rmtree(partial / "cells" / "c2kd-muse-s0")  # still running
    damaged = write_run(root, RunSpec(seeds=(0,), n_queries=20), run_id="demo-damaged")
    (damaged / "config.json").write_text("{}")  # fails its checksum
    export = root / "student"  # an exported model: its config.json is no run
    export.mkdir()
    (export / "config.json").write_text('{"architectures": ["BertModel"]}')
    return root


def test_every_run_is_listed_with_its_status(runs_folder):
    assert [p.name for p in find_run_folders(runs_folder)] == [
        "demo-complete", "demo-damaged", "demo-partial",
    ]  # fmt: skip
    frame = index_runs(runs_folder)
    rows = {r["run_id"]: r for r in frame.iter_rows(named=True)}
    assert set(rows) == {"demo-complete", "demo-partial", "demo-damaged"}
    complete, partial, damaged = rows["demo-complete"], rows["demo-partial"], rows["demo-damaged"]
    assert (complete["status"], complete["cells"]) == ("complete", "16/16")
    assert complete["seeds"] == "0,1"
    assert complete["teachers"] == "labse,muse,minilm-en" and complete["problem"] is None
    assert (partial["status"], partial["cells"]) == ("partial", "7/8")
    assert "missing: c2kd-muse-s0" in partial["problem"]
    assert damaged["status"] == "damaged" and "config.json is damaged" in damaged["problem"]
    assert damaged["best"] is None


def test_the_best_system_is_the_highest_language_average(runs_folder):
    frame = index_runs(runs_folder)
    for row in frame.iter_rows(named=True):
        if row["status"] == "damaged":
            continue
        label, value = _best_by_hand(Path(row["folder"]))
        assert row["best"] == label
        assert row["best_r1"] == pytest.approx(value, abs=1e-12)


def test_formats_read_back(runs_folder, c2kd_cli):
    frame = index_runs(runs_folder)
    as_json = c2kd_cli(["runs", str(runs_folder), "--format", "json"])
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == frame.to_dicts()
    as_csv = c2kd_cli(["runs", str(runs_folder), "--format", "csv"])
    rows = list(csv.DictReader(text_io.StringIO(as_csv.stdout)))
    assert [r["run_id"] for r in rows] == frame["run_id"].to_list()
    md = c2kd_cli(["runs", str(runs_folder), "--format", "md"]).stdout
    assert md.splitlines()[0].startswith("| run_id | dataset |") and "| partial |" in md
    table = c2kd_cli(["runs", str(runs_folder)])
    assert "3 run(s)" in table.stdout and "damaged" in table.stdout
    assert "missing: c2kd-muse-s0" in table.stdout  # the reason, under the table
    bad = c2kd_cli(["runs", str(runs_folder), "--format", "xml"])
    assert bad.returncode == 2 and bad.stderr.startswith("error: --format")
    none = c2kd_cli(["runs", str(runs_folder / "student")])
    assert none.returncode == 0 and "no run folders" in none.stderr
