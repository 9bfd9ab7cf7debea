"""One progress module for all long work: lines a log keeps, nothing when quiet or short."""

from __future__ import annotations

import re

import pytest

from c2kd_analyze.progress import LINE_EVERY, progress_bar, progress_mode


@pytest.mark.parametrize("total,steps", [(1000, 1), (1000, 7), (10_000, 333), (600, 600)])
def test_lines_mode_says_about_every_tenth_and_the_end(capsys, total, steps):
    with progress_mode("lines"), progress_bar(total, "counting") as advance:
        for start in range(0, total, steps):
            advance(min(steps, total - start))
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith(f"counting: {total:,} done in ")
    shares = [int(m.group(1)) for m in map(re.compile(r"\((\d+)%\)").search, lines[:-1]) if m]
    assert len(shares) == len(lines) - 1  # every other line says how far it is
    assert shares == sorted(shares) and all(s < 100 for s in shares)
    # one line per tenth crossed (a big advance crosses several at once: one line for them)
    assert len(shares) <= round(1 / LINE_EVERY) - 1
    if steps == 1:
        assert len(shares) == round(1 / LINE_EVERY) - 1


@pytest.mark.parametrize("mode,total", [("quiet", 5000), ("lines", 100)])
def test_quiet_or_short_work_says_nothing(capsys, mode, total):
    with progress_mode(mode), progress_bar(total, "counting") as advance:
        advance(total)
    assert capsys.readouterr().err == ""


def test_an_encoder_reports_through_the_same_lines(capsys):
    """A bundled encoder's long encode follows the mode (a SLURM log shows it moving)."""
    from c2kd_analyze.teachers import load_teacher

    encoder = load_teacher("muse")
    with progress_mode("lines"):
        encoder.encode([f"caption number {i}" for i in range(1200)])
    err = capsys.readouterr().err
    assert "muse" in err and "1,200 done in" in err
    with progress_mode("quiet"):
        encoder.encode([f"caption number {i}" for i in range(1200)])
    assert capsys.readouterr().err == ""
