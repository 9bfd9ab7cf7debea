"""Who may work in a run folder, and what a run leaves behind (distill.run_folder, runner).

The policy is tested on the functions themselves (fast, no training); the end-to-end cases (a
RUDDER-format release with masked captions through run and report, edited data, a damaged
config) run real, tiny runs and are marked slow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c2kd_analyze import io
from c2kd_analyze.config import build_config
from c2kd_analyze.data.fingerprint import read_files_fingerprint
from c2kd_analyze.distill import run_folder as policy
from c2kd_analyze.errors import UserError
from c2kd_analyze.layout import RunFolder

WHERE = {"data_dir": None, "teacher_dirs": {}}


def _cfg(data_fingerprint: str = "", **kw):
    """A resolved config (a run's, on a CPU): only a resolved config has a run id."""
    cfg = build_config("demo", teachers="muse", student="muse", **kw)
    return cfg.resolved("fp32", data_fingerprint)


def _finish_a_cell(folder: RunFolder, run_id: str, name: str = "teacher-muse-s0") -> None:
    cell = folder.cell(name)
    for path in cell.tables:
        io.write_bytes(path, b"x")
    io.write_json(cell.done, {"run_id": run_id, "cell": name})


def _hold_active(folder: RunFolder) -> subprocess.Popen:
    """Another process working in the folder: it share-locks ``.active`` until killed."""
    code = (
        "import sys, time; from c2kd_analyze.distill.locks import SharedLock; "
        f"SharedLock({str(folder.active)!r}).acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_new_folder_is_claimed_at_once_and_the_same_run_joins(tmp_path):
    folder, cfg = RunFolder(tmp_path / "run"), _cfg()
    assert policy.claim_folder(folder, cfg, WHERE, overwrite=False) is True
    assert io.read_json(folder.config)["run_id"] == cfg.run_id
    assert policy.claim_folder(folder, cfg, WHERE, overwrite=False) is False  # a shard, a resume


def test_another_run_is_refused_while_one_works_in_the_folder(tmp_path):
    folder, first, second = RunFolder(tmp_path / "run"), _cfg(), _cfg(epochs=3)
    policy.claim_folder(folder, first, WHERE, overwrite=False)
    holder = _hold_active(folder)
    try:
        with pytest.raises(UserError, match="in use by another run"):
            policy.claim_folder(folder, second, WHERE, overwrite=True)  # not even with --overwrite
        assert io.read_json(folder.config)["run_id"] == first.run_id
    finally:
        holder.kill()
        holder.wait()
    # the first run died before finishing a cell: its folder holds no work, the second takes it
    assert policy.claim_folder(folder, second, WHERE, overwrite=False) is True
    assert io.read_json(folder.config)["run_id"] == second.run_id


def test_finished_cells_of_another_run_need_overwrite(tmp_path):
    folder, first, second = RunFolder(tmp_path / "run"), _cfg(), _cfg(epochs=3)
    policy.claim_folder(folder, first, WHERE, overwrite=False)
    _finish_a_cell(folder, first.run_id)
    with pytest.raises(UserError, match=r"holds another run.*--overwrite"):
        policy.claim_folder(folder, second, WHERE, overwrite=False)
    assert policy.finished_cells(folder) == 1
    policy.claim_folder(folder, second, WHERE, overwrite=True)
    assert policy.finished_cells(folder) == 0


def test_a_damaged_config_never_deletes_finished_cells(tmp_path):
    folder, first = RunFolder(tmp_path / "run"), _cfg()
    policy.claim_folder(folder, first, WHERE, overwrite=False)
    _finish_a_cell(folder, first.run_id)
    folder.config.write_text(folder.config.read_text().replace("demo", "dem0"))  # checksum off
    for cfg in (first, _cfg(epochs=3)):
        with pytest.raises(UserError, match=r"config.json is damaged.*1 finished cell"):
            policy.claim_folder(folder, cfg, WHERE, overwrite=True)
    assert policy.finished_cells(folder) == 1


def test_abandoning_a_failed_claim_leaves_only_the_lock(tmp_path):
    folder, cfg = RunFolder(tmp_path / "run"), _cfg()
    policy.claim_folder(folder, cfg, WHERE, overwrite=False)
    policy.hold(folder).release()
    (folder.path / ".lock").touch()
    policy.abandon(folder)
    assert sorted(p.name for p in folder.path.iterdir()) == [".lock"]


def test_orphan_temporary_files_are_swept_only_when_old(tmp_path):
    old = tmp_path / "cells" / "c" / ".metrics.parquet.abc.tmp"
    fresh = tmp_path / ".config.json.def.tmp"
    keep = tmp_path / "notes.tmp"  # not one of ours (no leading dot)
    for path in (old, fresh, keep):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    long_ago = time.time() - 2 * policy.ORPHAN_AGE_S
    os.utime(old, (long_ago, long_ago))
    os.utime(keep, (long_ago, long_ago))
    assert policy.sweep_orphans([tmp_path], started=time.time()) == 1
    assert not old.exists() and fresh.exists() and keep.exists()


def test_the_data_fingerprint_follows_content_not_touches(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "captions.csv").write_text("clip_id,lang,caption,split\na,en,a dog,train\n")
    (data / "features.npz").write_bytes(b"read by the loader, not here")
    first = read_files_fingerprint("generic", data, None)
    assert first and read_files_fingerprint("generic", None, None) == ""
    os.utime(data / "captions.csv", (1, 1))
    assert read_files_fingerprint("generic", data, None) == first  # touched: same data, same run id
    (data / "captions.csv").write_text("clip_id,lang,caption,split\na,en,a cat,train\n")
    assert read_files_fingerprint("generic", data, None) != first
    edited = read_files_fingerprint("generic", data, None)
    assert _cfg(data_fingerprint=edited).run_id != _cfg().run_id


@pytest.mark.slow
def test_a_rudder_release_with_masked_captions_runs_and_reports(tmp_path):
    """RUDDER clips lack some languages (masked, not filled): every cell trains, the ranks read
    back, and the report is written (issue: it used to fail reading its own rank rows)."""
    from c2kd_analyze.analysis.report import write_report
    from c2kd_analyze.distill.runner import run_experiment

    sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
    from release_fixtures import write_release

    data = tmp_path / "data"
    write_release(data, "rudder", n_train=24, n_test=12)
    cfg = build_config("demo", dataset="rudder", teachers="muse", student="muse", epochs=1,
                       batch_size=8, projection_dim=8, video_width=8)  # fmt: skip
    out = run_experiment(cfg, tmp_path / "run", data_dir=data, progress=False, device="cpu")
    assert len(out.cells_run) == 4
    recall = out.results.filter((out.results["metric"] == "recall") & (out.results["k"] == 1))
    counts = dict(
        recall.filter(recall["cell"] == "zero-shot-s0").select("lang", "n_queries").rows()
    )
    assert counts["en"] < 12 and counts["hi"] < 12  # masked clips are not queries
    html = write_report([tmp_path / "run"], n_resamples=100)
    assert html.exists() and "rudder" in html.read_text()


@pytest.mark.slow
def test_edited_data_gives_a_new_run(tmp_path):
    """Data edited in place under the same --data-dir is a new run, never stale numbers."""
    from c2kd_analyze.distill.runner import run_experiment

    data = _generic_folder(tmp_path / "data", "a dog runs")
    cfg = build_config("demo", dataset="generic", teachers="muse", student="muse", epochs=1,
                       batch_size=4, projection_dim=8, video_width=8)  # fmt: skip
    first = run_experiment(cfg, tmp_path / "a", data_dir=data, progress=False, device="cpu")
    again = run_experiment(cfg, tmp_path / "a", data_dir=data, progress=False, device="cpu")
    assert again.cells_run == () and again.run_id == first.run_id
    _generic_folder(data, "a cat sleeps")  # the captions change, the folder does not
    edited = run_experiment(cfg, tmp_path / "b", data_dir=data, progress=False, device="cpu")
    assert edited.run_id != first.run_id and len(edited.cells_run) == 4
    with pytest.raises(UserError, match="holds another run"):
        run_experiment(cfg, tmp_path / "a", data_dir=data, progress=False, device="cpu")


def _generic_folder(root: Path, caption: str) -> Path:
    """A generic-format folder (captions.csv + features.npz), 10 train and 4 test clips."""
    import numpy as np

    root.mkdir(parents=True, exist_ok=True)
    rows = ["clip_id,lang,caption,split"]
    for split, n in (("train", 10), ("test", 4)):
        for i in range(n):
            rows += [f"{split}{i},{lang},{caption} {lang} {i},{split}" for lang in ("en", "de")]
    (root / "captions.csv").write_text("\n".join(rows) + "\n")
    rng = np.random.default_rng(0)
    clips = [f"{s}{i}" for s, n in (("train", 10), ("test", 4)) for i in range(n)]
    np.savez(root / "features.npz", **{c: rng.standard_normal((3, 8)).astype(np.float32)
                                       for c in clips})  # fmt: skip
    return root


def test_the_same_data_at_another_path_is_the_same_run(tmp_path):
    folder, cfg = RunFolder(tmp_path / "run"), _cfg()
    here = {"data_dir": str(tmp_path / "a"), "teacher_dirs": {}}
    moved = {"data_dir": str(tmp_path / "b"), "teacher_dirs": {}}
    policy.claim_folder(folder, cfg, here, overwrite=False)
    _finish_a_cell(folder, cfg.run_id)
    joined = policy.claim_folder(folder, cfg, moved, overwrite=False)
    assert joined is False  # joined: nothing removed
    assert policy.finished_cells(folder) == 1
    # other teacher folders may hold other weights: that is said, and needs --overwrite
    other_models = {"data_dir": None, "teacher_dirs": {"labse": str(tmp_path / "labse")}}
    with pytest.raises(UserError, match=r"same config with other teacher folders.*--overwrite"):
        policy.claim_folder(folder, cfg, other_models, overwrite=False)
    assert policy.finished_cells(folder) == 1


def test_a_claimed_folder_holds_the_runs_config_toml(tmp_path):
    folder, cfg = RunFolder(tmp_path / "run"), _cfg(epochs=3)
    policy.claim_folder(folder, cfg, WHERE, overwrite=False)
    assert io.is_valid(folder.config_toml)
    again = build_config("paper-vatex", folder.config_toml).resolved("fp32", "")
    assert again.run_id == cfg.run_id == io.read_json(folder.config)["run_id"]
    io.remove(folder.config_toml)  # a claim killed before it: the next process of the run writes it
    assert policy.claim_folder(folder, cfg, WHERE, overwrite=False) is False
    assert io.is_valid(folder.config_toml)
