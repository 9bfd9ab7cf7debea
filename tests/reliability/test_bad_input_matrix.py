"""The bad-input matrix (``matrix.py``, ``matrix_table.py``): every parameter of every command
gets bad values; each must give exit code 2, one ``error:`` line naming the problem (after a
usage line for a parser error), no traceback, and leave nothing behind but lock files.

The fast set runs every case in-process (``cli.main``); the ``slow`` test runs a sample again as
real ``c2kd-analyze`` processes (every per-command case, and of every parameter one case of each
kind) and checks that each answers as it does in-process. Known product bugs are
``xfail(strict)`` (``KNOWN_BUGS``).
"""

from __future__ import annotations

import datetime
import functools
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer

from c2kd_analyze.cli import app, main

from . import matrix
from .helpers import cli
from .matrix_table import BASE_OF, BASES, KNOWN_BUGS, NO_RANGE, PATH_TEXT, SKIP, SLOW, TABLE

CASES = matrix.build_cases(TABLE, BASES, BASE_OF, PATH_TEXT)
_build_command = typer.main.get_command  # before any test replaces it


def _params(cases):
    out = []
    for case in cases:
        marks = [pytest.mark.slow] if case.id in SLOW else []
        if case.id in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case.id]))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


# ---------------------------------------------------------------------------------------------
# the matrix covers the app


def test_the_walk_finds_every_command():
    paths = {path for path, _ in matrix.walk()}
    assert {("run",), ("report",), ("doctor",), ("teachers", "list"), ("teachers", "show"),
            ("teachers", "check"), ("teachers", "fetch"), ("datasets", "list"),
            ("datasets", "check")} <= paths  # fmt: skip
    names = {(*path, p.name) for path, p in matrix.parameters()}
    assert {("run", "epochs"), ("report", "run_dirs"), ("teachers", "check", "device"),
            ("datasets", "check", "option"), ("verbose",)} <= names  # fmt: skip


def test_every_parameter_has_bad_input_cases():
    """An option added later without a bad-input case fails here: a type the generator does not
    know needs TABLE rows (or a SKIP entry saying why none), a number needs its range in TABLE
    (or a NO_RANGE entry saying why it has none)."""
    covered = {(*c.command, c.param) for c in CASES if c.param is not None}
    missing, unranged = [], []
    for path, param in matrix.parameters():
        key = (*path, param.name)
        if key not in covered and key not in SKIP:
            missing.append(" ".join(key))
        numeric = matrix.annotation(param)[0] in (int, float)
        if numeric and key not in TABLE and key not in NO_RANGE:
            unranged.append(" ".join(key))
    assert not missing, f"parameters with no bad-input case: {missing}"
    assert not unranged, f"numbers with no out-of-range case in TABLE: {unranged}"


def test_a_type_the_generator_does_not_know_gets_no_cases():
    """So a parameter of a new type is caught by the coverage test above, not passed over."""
    tiny = typer.Typer()

    @tiny.command()
    def when(at: datetime.datetime = typer.Option(None, "--at"), n: int = 1) -> None:
        pass

    params = {p.name: p for p in _build_command(tiny).params}
    assert matrix.type_values(("when",), params["at"], frozenset()) is None
    assert [b.value for b in matrix.type_values(("when",), params["n"], frozenset())] == [
        "abc", "2.5"
    ]  # fmt: skip


def test_every_command_has_a_valid_invocation():
    commands = [path for path, cmd in matrix.walk() if not matrix.is_group(cmd) or not path]
    assert not [p for p in commands if p not in BASES], "add a Base to matrix_table.BASES"


def test_the_tables_name_only_real_parameters_and_cases():
    names = {(*path, p.name) for path, p in matrix.parameters()}
    stale = [k for k in (*TABLE, *BASE_OF, *PATH_TEXT, *NO_RANGE, *SKIP) if k not in names]
    assert not stale, f"table rows of parameters the CLI no longer has: {stale}"
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "two cases with one id"
    for name, table in (("KNOWN_BUGS", KNOWN_BUGS), ("SLOW", SLOW)):
        stale_ids = sorted(set(table) - set(ids))
        assert not stale_ids, f"{name} entries of no case: {stale_ids}"


def test_every_kind_of_case_is_there():
    per_command = {c.what.split(" ")[0] for c in CASES if c.source == "command"}
    assert {"--bogus", "extra", "nonsense", "<no"} <= per_command
    assert any(c.what.endswith("(misspelt)") for c in CASES)
    assert any(c.what.endswith("<no value>") for c in CASES)
    assert sum(c.source == "table" for c in CASES) >= 100


# ---------------------------------------------------------------------------------------------
# the contract's check can fail


def _a_case(**kw) -> matrix.Case:
    return matrix.Case(("run",), "epochs", "--epochs 0", lambda tmp: [], ("--epochs",), "table",
                       **kw)  # fmt: skip


@pytest.mark.parametrize(
    ("rc", "stderr", "left", "why"),
    [
        (2, "error: --epochs must be at least 1\n", set(), None),
        (2, "Usage: c2kd-analyze run [OPTIONS]\nerror: --epochs: bad\n", set(), None),
        (2, "error: --epochs bad\n", {Path("out/.lock"), Path("c/d.lock")}, None),
        (0, "", set(), "exit code 0"),
        (1, "internal error: ValueError: x\nre-run with --verbose\n", set(), "exit code 1"),
        (2, "Traceback (most recent call last):\nerror: --epochs\n", set(), "traceback"),
        (2, "warning: slow\nerror: --epochs bad\n", set(), "not one error line"),
        (2, "a\nb\nc\nerror: --epochs bad\n", set(), "more than 3 lines"),
        (2, "error: bad value\n", set(), "does not name"),
        (2, "error: \n", set(), "empty error message"),
        (2, "error: --epochs bad\n", {Path("out/config.json")}, "left behind"),
    ],
)
def test_check_fails_on_each_broken_promise(rc, stderr, left, why):
    if why is None:
        matrix.check(_a_case(), rc, "", stderr, left)
        return
    with pytest.raises(AssertionError, match=why):
        matrix.check(_a_case(), rc, "", stderr, left)


def test_check_takes_a_bare_groups_help_but_not_an_empty_error():
    case = _a_case(help_ok=True)
    matrix.check(case, 2, "Usage: c2kd-analyze teachers [OPTIONS] COMMAND\n", "", set())
    with pytest.raises(AssertionError, match="empty error message"):
        matrix.check(case, 2, "help", "Usage: c2kd-analyze\nerror:  (see --help)\n", set())


# ---------------------------------------------------------------------------------------------
# the matrix, in-process


class ReachedWork(RuntimeError):
    """A case got to real work (loading a dataset) before its bad value was refused."""


@functools.cache
def _click_command():
    return _build_command(app)


@pytest.fixture
def no_work(monkeypatch, tmp_path):
    """Cases run in ``tmp_path`` and cannot load data: a bad value must be refused first.

    typer builds the click command tree again on every call of the app (15-25 ms, most of a
    case); here it is built once: the same tree, the same parsing (the processes of the slow
    test build it as users get it)."""
    from c2kd_analyze.data.registry import DatasetInfo

    def refuse(*args, **kw):
        raise ReachedWork("the case reached data loading: its bad value was not refused first")

    monkeypatch.setattr(
        typer.main, "get_command", lambda typer_app: _click_command() if typer_app is app
        else _build_command(typer_app)
    )  # fmt: skip
    monkeypatch.setattr(DatasetInfo, "load_function", lambda self: refuse)
    monkeypatch.chdir(tmp_path)  # a default run folder (runs/<id>) would land here


def run_in_process(args: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args, prog_name="c2kd-analyze")  # the name the console script's hints show
        rc = 0
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input_in_process(case, tmp_path, capsys, no_work):
    args = case.args(tmp_path)
    before = matrix.files_under(tmp_path)
    rc, out, err = run_in_process(args, capsys)
    matrix.check(case, rc, out, err, matrix.files_under(tmp_path) - before)


# ---------------------------------------------------------------------------------------------
# the matrix, as real processes


def process_sample(cases: list[matrix.Case]) -> list[matrix.Case]:
    """The cases run again as processes: every per-command case (unknown options, extra
    arguments, a bare group: the parser's own errors) and, of every parameter, its first
    type-derived and its first hand-written case. The in-process run covers every case; this
    sample shows that the real console script answers as the in-process harness does."""
    seen: set[tuple] = set()
    out = []
    for case in cases:
        key = (case.command, case.param, case.source)
        if case.param is None or key not in seen:
            seen.add(key)
            out.append(case)
    return out


def test_the_process_sample_reaches_every_command_and_parameter():
    sample = process_sample(CASES)
    params = {(c.command, c.param) for c in CASES}
    assert {(c.command, c.param) for c in sample} == params
    assert {c.id for c in CASES if c.param is None} <= {c.id for c in sample}
    assert len(sample) < len(CASES)


def _outcome(rc: int, stderr: str, tmp: Path) -> tuple[int, str]:
    """(exit code, the closing error line with the case's folder written as <tmp>)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return rc, (lines[-1] if lines else "").replace(str(tmp), "<tmp>")


def _run_process(case: matrix.Case, tmp: Path) -> tuple[str | None, float, tuple[int, str]]:
    """(None when the case keeps the contract, else what is wrong; seconds it took; outcome)."""
    tmp.mkdir(parents=True)
    args = case.args(tmp)
    before = matrix.files_under(tmp)
    # a known bug need only fail: one that hangs (HUGE sizes) is not waited for long
    timeout = 30 if case.id in KNOWN_BUGS else 180
    started = time.monotonic()
    try:
        done = cli(args, tmp / "cache", timeout=timeout, cwd=tmp)
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout} s (it hangs or works): {case.id}", timeout, (0, "")
    seconds = time.monotonic() - started
    outcome = _outcome(done.returncode, done.stderr, tmp)
    try:
        matrix.check(case, done.returncode, done.stdout, done.stderr,
                     matrix.files_under(tmp) - before)  # fmt: skip
    except AssertionError as exc:
        return str(exc), seconds, outcome
    return None, seconds, outcome


@pytest.mark.slow
def test_bad_input_as_processes(tmp_path, capsys, no_work, monkeypatch):
    """The process sample through the console script, two or more at a time (each process
    mostly waits on its own imports): each keeps the contract, and gives the exit code and
    error line the in-process harness gives for the same case."""
    cases = process_sample(CASES)
    expected = []
    for i, case in enumerate(cases):  # in-process first, each in a folder of its own
        tmp = tmp_path / "in" / f"c{i}"
        tmp.mkdir(parents=True)
        monkeypatch.chdir(tmp)
        monkeypatch.setenv("C2KD_CACHE", str(tmp / "cache"))  # as the process gets it
        rc, _, err = run_in_process(case.args(tmp), capsys)
        expected.append(_outcome(rc, err, tmp))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(4, max(2, os.cpu_count() or 2))) as pool:
        tmps = [tmp_path / "p" / f"c{i}" for i in range(len(cases))]
        outcomes = list(pool.map(_run_process, cases, tmps))
    slowest = sorted(zip((s for _, s, _ in outcomes), (c.id for c in cases), strict=True))[-8:]
    print(f"{len(cases)} cases as processes in {time.monotonic() - started:.0f} s; slowest:",
          *(f"{s:5.1f} s  {name}" for s, name in reversed(slowest)), sep="\n  ")  # fmt: skip
    problems = [p for p, _, _ in outcomes]
    wrong = [f"{c.id}: {p}" for c, p in zip(cases, problems, strict=True)
             if p is not None and c.id not in KNOWN_BUGS]  # fmt: skip
    fixed = [c.id for c, p in zip(cases, problems, strict=True) if p is None and c.id in KNOWN_BUGS]
    assert not wrong, "\n\n".join(wrong)
    assert not fixed, f"known bugs that now pass (remove them from KNOWN_BUGS): {fixed}"
    differ = [f"{c.id}:\n  process    {got}\n  in-process {want}"
              for c, (_, _, got), want in zip(cases, outcomes, expected, strict=True)
              if got != want]  # fmt: skip
    assert not differ, "\n".join(differ)
