"""run_experiment in process on an in-memory dataset with the real bundled teachers."""

from __future__ import annotations

import json

import polars as pl
import pytest
from tiny_data import tiny_dataset

from c2kd_analyze import io
from c2kd_analyze.config import build_config
from c2kd_analyze.distill.runner import run_experiment
from c2kd_analyze.errors import UserError
from c2kd_analyze.results import DIAGNOSTIC_COLUMNS, RANK_COLUMNS, RESULT_COLUMNS, SCHEMA_VERSION

pytestmark = pytest.mark.slow  # loads the bundled mUSE and MiniLM

SMALL = dict(
    teachers="muse,minilm-en", student="minilm-en", epochs=2, batch_size=16,
    projection_dim=16, video_width=16,
)  # fmt: skip


def test_full_run_layout_schema_and_resume(tmp_path):
    cfg = build_config("demo", pool="mean", **SMALL)
    out = run_experiment(cfg, tmp_path / "run", dataset=tiny_dataset(missing_lang="fr"),
                         progress=False)  # fmt: skip
    names = [
        "teacher-muse-s0", "teacher-minilm-en-s0", "zero-shot-s0", "translate-train-s0",
        "c2kd-muse-s0", "c2kd-minilm-en-s0", "c2kd-pool-mean-muse+minilm-en-s0",
    ]  # fmt: skip
    assert list(out.cells_run) == names and out.cells_skipped == ()
    run = tmp_path / "run"
    results = io.read_parquet(run / "results.parquet")
    assert results.schema == pl.Schema({k: getattr(pl, v)() for k, v in RESULT_COLUMNS.items()})
    assert results.filter(pl.col("value").is_null()).height == 0
    assert set(results["stage"]) == {"teacher", "zero-shot", "translate-train", "c2kd", "c2kd-pool"}
    assert set(results["teacher"].drop_nulls()) == {"muse", "minilm-en", "muse+minilm-en"}
    # 7 cells x 3 languages x 2 directions x (3 recalls + 2 ranks + tied queries)
    assert results.height == 7 * 3 * 2 * 6
    fr = results.filter((pl.col("lang") == "fr") & (pl.col("metric") == "recall"))
    assert set(fr["n_queries"]) == {40 - 8}  # every 5th clip lacks French
    config = json.loads((run / "config.json").read_text())
    assert config["run_id"] == out.run_id and config["dataset"]["synthetic"] is True
    # the precision resolved for this CPU, the demo has no data files: the id config.json records
    assert out.run_id == cfg.resolved(out.config.precision, "").run_id
    assert config["schema_version"] == SCHEMA_VERSION
    pooled = results.filter(pl.col("stage") == "c2kd-pool")
    assert (
        set(pooled["pool"]) == {"mean"}
        and results.filter(pl.col("stage") != "c2kd-pool")["pool"].is_null().all()
    )
    assert set(results["tie_policy"]) == {"optimistic"}  # every row says how its ties counted
    assert config["config"]["teachers"] == ["muse", "minilm-en"] and "torch" in config["versions"]
    for name in names:
        cell = run / "cells" / name
        assert io.is_valid(cell / "done.json")
        done = io.read_json(cell / "done.json")  # each cell says where and with what it ran
        assert done["schema_version"] == SCHEMA_VERSION and done["device"]["device"] == "cpu"
        assert "torch" in done["versions"]
        ranks = io.read_parquet(cell / "ranks.parquet")
        assert list(ranks.columns) == list(RANK_COLUMNS)
        diag = io.read_parquet(cell / "diagnostics.parquet")
        assert list(diag.columns) == list(DIAGNOSTIC_COLUMNS)
        if name.startswith("teacher"):
            assert set(diag["metric"]) == {"translation_recall"} and set(diag["lang"]) == {
                "de",
                "fr",
            }
        elif name.startswith("c2kd"):
            assert set(diag["metric"]) == {"teacher_agreement_kl"}
            assert (diag["value"] >= 0).all()
    # mUSE translates the tiny captions almost perfectly; English-only MiniLM does worse
    diag = pl.concat(
        [io.read_parquet(run / "cells" / n / "diagnostics.parquet") for n in names[:2]]
    )
    by = {(r["teacher"], r["lang"]): r["value"] for r in diag.iter_rows(named=True)}
    assert by[("muse", "de")] > by[("minilm-en", "de")]
    history = io.read_parquet(run / "history.parquet")
    assert set(history["cell"]) == set(names)

    # a second run into the same folder skips every cell and gives the same table
    again = run_experiment(cfg, run, dataset=tiny_dataset(missing_lang="fr"), progress=False)
    assert again.cells_run == () and len(again.cells_skipped) == 7
    assert again.results.equals(results)

    # losing one cell's done.json re-runs only that cell (its checkpoint is reused: same numbers)
    io.remove(run / "cells" / "c2kd-muse-s0" / "done.json")
    third = run_experiment(cfg, run, dataset=tiny_dataset(missing_lang="fr"), progress=False)
    assert third.cells_run == ("c2kd-muse-s0",)
    assert third.results.equals(results)


def test_other_config_refused_unless_overwrite(tmp_path):
    cfg = build_config("demo", **SMALL)
    ds = tiny_dataset(n_train=48, n_test=16)
    run_experiment(cfg, tmp_path / "run", dataset=ds, progress=False)
    other = cfg.replace(balance=0.5)
    with pytest.raises(UserError, match="--overwrite"):
        run_experiment(other, tmp_path / "run", dataset=ds, progress=False)
    out = run_experiment(other, tmp_path / "run", dataset=ds, progress=False, overwrite=True)
    # the run's id: the config with the precision resolved for the device (bf16 on an AMX CPU)
    assert out.run_id == other.resolved(out.config.precision, "").run_id
    assert json.loads((tmp_path / "run" / "config.json").read_text())["run_id"] == out.run_id
    assert set(out.results["run_id"]) == {out.run_id}
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"holds files c2kd-analyze did not write \(notes.txt\)"):
        run_experiment(cfg, tmp_path / "junk", dataset=ds, progress=False, overwrite=True)
    assert (tmp_path / "junk" / "notes.txt").read_text() == "mine"


def test_unknown_teacher_refused_before_loading(tmp_path):
    cfg = build_config("demo", teachers="muse,nope")
    with pytest.raises(UserError, match="unknown teacher 'nope'"):
        run_experiment(cfg, tmp_path / "run", dataset=tiny_dataset(), progress=False)
    assert not (tmp_path / "run").exists()


def test_determinism_with_fresh_caches(tmp_path, monkeypatch):
    cfg = build_config("demo", **SMALL)
    values = []
    for i in range(2):
        monkeypatch.setenv("C2KD_CACHE", str(tmp_path / f"cache{i}"))  # no checkpoint reuse
        out = run_experiment(cfg, tmp_path / f"run{i}", dataset=tiny_dataset(n_train=64, n_test=24),
                             progress=False)  # fmt: skip
        assert len(out.cells_run) == 6
        values.append(out.results)
    assert values[0].equals(values[1])
    ranks = [io.read_parquet(tmp_path / f"run{i}/cells/c2kd-muse-s0/ranks.parquet") for i in (0, 1)]
    assert ranks[0].equals(ranks[1])
