"""The README's dataset examples work as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c2kd_analyze.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _generic_example() -> str:
    """The python block of the README's `generic` bullet, dedented."""
    text = README.read_text()
    bullet = text[text.index("- **`generic`**") :]
    block = re.search(r"\n  ```python\n(.*?)\n  ```", bullet, re.S)
    assert block, "the README lost its generic-format example"
    return "\n".join(line[2:] for line in block.group(1).splitlines())


@pytest.fixture
def readme_generic(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    exec(compile(_generic_example(), "README.md", "exec"), {})
    return tmp_path / "mydata"


def test_generic_example_is_accepted_by_datasets_check(readme_generic):
    result = CliRunner().invoke(app, ["datasets", "check", "generic", "--data-dir", "mydata"])
    assert result.exit_code == 0, result.output
    assert "train: 8 clips" in result.output and "test: 4 clips" in result.output
    assert "languages (2): en, de" in result.output and "problems: none" in result.output


def test_readme_claims_what_the_options_schema_says():
    from c2kd_analyze.data import dataset_info

    text = README.read_text()
    for opt in dataset_info("demo").options:
        assert f"| `{opt.name}` | {opt.default:g} |" in text, opt.name


@pytest.mark.slow
def test_generic_example_trains_with_run(readme_generic, tmp_path):
    args = ["run", "--dataset", "generic", "--data-dir", "mydata", "--teachers", "muse",
            "--student", "muse", "--epochs", "1", "--batch-size", "8", "--no-progress",
            "--no-report",
            "--out", str(tmp_path / "out")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 cell(s) run" in result.output
