"""The README's worked example, as written, through the command line: videos and English
captions -> features extract -> datasets translate -> datasets check -> run -> report, with
tiny models in place of the registered ones; run again, nothing is decoded or translated."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[3] / "README.md"
CLI = str(Path(sys.executable).with_name("c2kd-analyze"))


def readme_commands() -> list[list[str]]:
    """The worked example's command lines (``c2kd-analyze ...`` lines of its bash block)."""
    text = README.read_text()
    section = text[text.index("**A worked example**") :]
    block = re.search(r"```bash\n(.*?)\n```", section, re.S)
    assert block, "the README lost its worked example"
    lines = [line for line in block.group(1).splitlines() if line.startswith("c2kd-analyze ")]
    return [shlex.split(line)[1:] for line in lines]


def _with_tiny_models(args: list[str], models: dict[str, str]) -> list[str]:
    out = [models.get(a, a) for a in args]
    if out[0] in ("features", "datasets") and out[1] in ("extract", "translate"):
        out.append("--no-progress")
    if out[0] == "run":
        out += ["--epochs", "1", "--no-progress"]
    return out


def test_the_readme_example_is_the_five_steps():
    steps = [args[:2] for args in readme_commands()]
    assert steps == [["features", "extract"], ["datasets", "translate"], ["datasets", "check"],
                     ["run", "--dataset"], ["report", "runs/mine"]]  # fmt: skip
    text = README.read_text()
    from c2kd_analyze.data.frames.registry import list_towers
    from c2kd_analyze.data.translate.families import M2M100_LANGUAGES, NLLB_CODES
    from c2kd_analyze.data.translate.registry import list_translators

    for spec in [*list_translators(), *list_towers()]:
        assert f"| `{spec.name}`" in text, spec.name  # every model in the README's table
    assert f"| 200 ({len(NLLB_CODES)} by ISO 639-1 code) |" in text
    assert f"| 100 ({len(M2M100_LANGUAGES)} by ISO 639-1 code) |" in text


def _cli(args, root, cache) -> subprocess.CompletedProcess:
    env = {**os.environ, "C2KD_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([CLI, *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


@pytest.mark.slow
def test_the_readme_example_runs_end_to_end_and_its_rerun_does_no_work(
    tmp_path, example, tiny_nllb, tiny_clip
):
    models = {"nllb-600m": str(tiny_nllb), "clip-b32": str(tiny_clip)}
    cache = tmp_path / "cache"
    outputs = {}
    for args in readme_commands():
        args = _with_tiny_models(args, models)
        done = _cli(args, tmp_path, cache)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
        outputs[" ".join(args[:2])] = done.stdout
    assert "videos decoded 12, from cache 0" in outputs["features extract"]
    for lang in ("de", "fr", "zh"):
        assert re.search(rf"^{lang}: 12 captions by local:.*; translated 12, from cache 0",
                         outputs["datasets translate"], re.M)  # fmt: skip
        assert f"round trip en->{lang}->en: chrF" in outputs["datasets translate"]
    assert "languages (4): en, de, fr, zh" in outputs["datasets check"]
    assert "train: 8 clips" in outputs["datasets check"]
    assert (tmp_path / "runs" / "mine" / "report.html").is_file()
    # run again: every video's features and every translation come from the cache
    extract, translate = (_with_tiny_models(a, models) for a in readme_commands()[:2])
    again = _cli(extract, tmp_path, cache)
    assert again.returncode == 0 and "videos decoded 0, from cache 12" in again.stdout
    again = _cli(translate, tmp_path, cache)
    assert again.returncode == 0, again.stderr
    for lang in ("de", "fr", "zh"):
        assert f"{lang}: 12 captions by local:" in again.stdout
    assert again.stdout.count("translated 0, from cache 12") == 3


def test_extract_translate_check_through_the_cli(c2kd_cli, example, tiny_nllb, tiny_clip,
                                                 tmp_path):  # fmt: skip
    videos, data = example
    done = c2kd_cli(["features", "extract", str(videos), "--out", str(data), "--model",
                     str(tiny_clip), "--frames", "2", "--no-progress"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "12 clips x 2-2 frames" in done.stdout
    done = c2kd_cli(["datasets", "translate", str(data), "--to", "ja", "--model", str(tiny_nllb),
                     "--beams", "1", "--no-progress"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ja: 12 captions by local:" in done.stdout
    done = c2kd_cli(["datasets", "check", "generic", "--data-dir", str(data)])
    assert done.returncode == 0, done.stderr
    assert "languages (2): en, ja" in done.stdout and "up to 2 frames x 24 dims" in done.stdout
    listed = c2kd_cli(["datasets", "translators"]).stdout + c2kd_cli(["features", "models"]).stdout
    assert all(name in listed for name in ("nllb-600m", "opus-mt", "clip-b32", "siglip-b16"))
