"""``run``'s options come from the config's settings: every field has an option (or is marked
file-only), every option has help and says its default, the README's table is `run --help`'s,
and ``--dry-run`` names each value's real source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c2kd_analyze.config import FIELDS, SETTINGS, RunConfig, default_of
from c2kd_analyze.config.settings import BY_FIELD

README = Path(__file__).resolve().parents[2] / "README.md"


def _run_command():
    import typer.main

    from c2kd_analyze.cli import app

    group = typer.main.get_command(app)
    return group.commands["run"]


def test_every_field_has_a_setting_and_every_setting_a_field():
    assert set(BY_FIELD) == FIELDS, set(BY_FIELD) ^ FIELDS
    assert len(BY_FIELD) == len(SETTINGS)  # one entry each
    for setting in SETTINGS:
        assert setting.help.strip() and setting.panel, setting.field
        # a file-only setting says so (none today: every field has an option)
        assert setting.option is not None or "file" in setting.help, setting.field


def test_every_option_has_help_and_says_its_default():
    command = _run_command()
    flags = set()
    for param in command.params:
        if param.name == "help":
            continue
        flags.update(param.opts)
        assert param.help and param.help.strip(), param.name
        if not getattr(param, "is_flag", False):
            assert re.search(r"\(default: [^)]+\)$", param.help), (param.name, param.help)
    for setting in SETTINGS:
        assert setting.option in flags, setting.field
    # the default each option names is the run's default (the demo preset's, else the field's)
    by_flag = {p.opts[0]: p for p in command.params if p.opts}
    assert by_flag["--epochs"].help.endswith("(default: 5)")  # the demo preset's
    assert default_of("epochs") == 5 and RunConfig.model_fields["epochs"].default == 10
    assert by_flag["--ties"].help.endswith("(default: optimistic)")


def test_the_readme_table_is_run_help():
    from c2kd_analyze.cli.run_options import options_table_markdown

    text = README.read_text()
    table = text.split("<!-- run-options:begin -->\n", 1)[1].split("<!-- run-options:end -->", 1)[0]
    assert table == options_table_markdown()
    first = [row.split(" | ", 1)[0] for row in table.splitlines()[2:]]
    documented = {flag for cell in first for flag in re.findall(r"--[a-z][a-z-]*", cell)}
    command = _run_command()
    real = {opt for p in command.params for opt in p.opts if opt.startswith("--")} - {"--help"}
    real |= {o for p in command.params for o in getattr(p, "secondary_opts", [])}
    assert documented == real, documented ^ real


def _config_lines(stdout: str) -> dict[str, str]:
    """``name -> "value    (source)"`` of a dry run's config block."""
    block = stdout.split("config:\n", 1)[1].split("\n\n", 1)[0]
    out = {}
    for line in block.splitlines():
        name, _, rest = line.strip().partition(" = ")
        out[name] = rest
    return out


def test_dry_run_names_each_values_source(tmp_path, c2kd_cli):
    toml = tmp_path / "mine.toml"
    toml.write_text('dataset = "demo"\nepochs = 3\ndataset_options = { n_train = 200 }\n')
    done = c2kd_cli([
        "run", "--preset", "paper-rudder", "--config", str(toml), "--balance", "0.3",
        "--dataset-option", "seed=2", "--teachers", "muse,minilm-en", "--dry-run",
    ])  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = _config_lines(done.stdout)
    assert lines["epochs"].endswith(f"(config file {toml})")
    assert lines["balance"].endswith("(option --balance)")
    assert lines["teachers"] == "muse,minilm-en    (option --teachers)"
    assert lines["lr"].endswith("(preset paper-rudder)")  # the preset's 5e-5
    assert lines["video_width"].endswith("(preset paper-rudder)")
    assert lines["ties"] == "optimistic    (default)"
    assert lines["preset"] == "paper-rudder    (option --preset)"
    # a table: each key's own source, values as key=value
    assert lines["dataset_options"] == (
        f"n_train=200,seed=2    (n_train: config file {toml}; seed: option --dataset-option)"
    )
    assert lines["precision"].endswith("(default auto, for fp32 on this device)") or lines[
        "precision"
    ].endswith("(default auto, for bf16 on this device)")


@pytest.mark.parametrize(
    "env,expected",
    [({}, "1000"), ({"OMP_WAIT_POLICY": "PASSIVE"}, None), ({"GOMP_SPINCOUNT": "7"}, "7")],
)
def test_run_bounds_openmp_spinning_unless_the_user_chose(env, expected):
    """Set before torch loads: a short spin between a step's kernels (a user's own setting wins)."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import os, c2kd_analyze.cli.run; print(os.environ.get('GOMP_SPINCOUNT'))"
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == str(expected)
