"""The bad-input matrix of the CLI, generated from the typer app's own parameter list.

:func:`walk` enumerates every command of ``c2kd_analyze.cli.app`` (through
``typer.main.get_command``) and every parameter of each; :func:`build_cases` gives each of them
bad-input cases:

- from its type (:func:`type_values`): an integer gets ``abc`` and ``2.5``; a float ``abc``,
  ``inf`` and ``nan`` (no option of ours takes a non-finite number); a name (text) a word that
  names nothing; a repeatable ``KEY=VALUE`` text a bare word; a path one below a regular file
  (it can neither exist nor be created, whoever asks); a flag a value (``--dry-run=x``). Every
  option that takes a value also gets none (the flag last on the line);
- per command: an unknown option, a close misspelling of each option (expect "did you mean"),
  an extra argument, each required argument left out; per group: no command, an unknown one and
  a misspelt one;
- from the hand-written table (:mod:`.matrix_table`): values that parse but are wrong
  (``--epochs 0``, ``--shard 3/2``, a config file with ``epochs = "five"``, ...).

The contract each case checks (:func:`check`, see ``c2kd_analyze.cli.main``): exit code 2, no
traceback, stderr is one ``error: ...`` line (a ``UserError``) or a usage line plus one (a
parser error), the error line names the thing (``needles``), and the case leaves nothing
behind but lock files: no ``config.json``, no cells, nothing in the cache (a case that loaded
data or trained did work its bad value should have prevented).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import typer

from c2kd_analyze.cli import app

#: a value, or a function that makes it in a case's tmp folder (a file, a folder) and returns it
Value = str | Callable[[Path], str]


@dataclass(frozen=True)
class Base:
    """A valid invocation of one command, into which a case puts one bad value.

    ``arguments``: the positional values by parameter name, in order; ``options``: the options
    after them (before them for the root, whose options precede the command ``doctor``)."""

    arguments: dict[str, Value] = field(default_factory=dict)
    options: Callable[[Path], list[str]] = lambda tmp: []


@dataclass(frozen=True)
class Bad:
    """A semantically bad value of one parameter (hand-written, :mod:`.matrix_table`)."""

    value: Value
    #: words the error line must contain (case-insensitive): the thing, and the problem
    needles: tuple[str, ...]
    #: how the case is named when ``value`` is a function
    label: str | None = None
    #: another valid invocation to put the value into (default: the command's)
    base: Base | None = None


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]  # () is the root
    #: the parameter the case covers; None for a per-command case (unknown option, ...)
    param: str | None
    #: what the case does, for its id, e.g. ``--epochs abc``
    what: str
    args: Callable[[Path], list[str]]
    needles: tuple[str, ...]
    #: where the value comes from: "type", "table" or "command"
    source: str
    #: a group without its command may answer with its help instead of an error line
    help_ok: bool = False

    @property
    def id(self) -> str:
        return " ".join(["c2kd-analyze", *self.command, self.what])


# ---------------------------------------------------------------------------------------------
# the app's own parameter list


def walk(command=None, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    """(path, click command) of the root, every group and every command, depth first."""
    command = command if command is not None else typer.main.get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


def is_group(command) -> bool:
    return hasattr(command, "commands")


def is_option(param) -> bool:
    return param.param_type_name == "option"


def flag(param) -> str:
    """The option's primary long name (``--epochs``)."""
    return next((o for o in param.opts if o.startswith("--")), param.opts[0])


def parameters() -> list[tuple[tuple[str, ...], object]]:
    """(command path, click parameter) of every parameter of every command and group."""
    return [(path, p) for path, cmd in walk() for p in cmd.params]


def annotation(param) -> tuple[object, bool]:
    """(the parameter's element type, whether it takes many values)."""
    described = getattr(param, "type_descriptor", None)  # typer >= 0.2x (click vendored)
    if described is not None:
        ann = described.annotation
    else:  # an older typer on click: click's ParamType names
        names = {"integer": int, "float": float, "text": str, "boolean": bool, "path": Path}
        ann = names.get(getattr(param.type, "name", ""), param.type)
        ann = list[ann] if getattr(param, "multiple", False) or param.nargs == -1 else ann
    if typing.get_origin(ann) in (typing.Union, types.UnionType):  # X | None
        ann = next(a for a in typing.get_args(ann) if a is not type(None))
    if typing.get_origin(ann) is list:
        return typing.get_args(ann)[0], True
    return ann, False


def below_a_file(tmp: Path) -> str:
    """A path below a regular file: it can never exist or be created (ENOTDIR), even as root."""
    (tmp / "blocker").write_text("a file, not a folder")
    return str(tmp / "blocker" / "x")


def type_values(path: tuple[str, ...], param, path_text: frozenset) -> list[Bad] | None:
    """Bad values derived from the parameter's type; None for a type this does not know."""
    ann, _ = annotation(param)
    name = flag(param) if is_option(param) else param.name
    if getattr(param, "is_flag", False) or ann is bool:
        return [Bad(f"{name}=x", (name, "does not take a value"), label=f"{name}=x")]
    if ann is int:
        return [Bad("abc", (name,)), Bad("2.5", (name,))]
    if ann is float:
        return [Bad("abc", (name,)), Bad("inf", (name, "finite")), Bad("nan", (name, "finite"))]
    if ann is Path or (ann is str and (*path, param.name) in path_text):
        return [Bad(below_a_file, ("blocker",), label="<below a file>")]
    if ann is str:
        # a name (teacher, dataset, preset, language, choice) or a KEY=VALUE pair: a bare word
        # that names nothing is wrong for either
        return [Bad("nope", ("nope",))]
    return None


# ---------------------------------------------------------------------------------------------
# building command lines


def _value(value: Value, tmp: Path) -> str:
    return value(tmp) if callable(value) else value


def _with_option(options: list[str], name: str, value: str | None, many: bool) -> list[str]:
    """``options`` with ``name`` set to ``value`` (replacing a single-valued one); ``value``
    None: ``name`` last, with no value."""
    out = list(options)
    if name in out and (not many or value is None):
        i = out.index(name)
        del out[i : i + 2]
    return [*out, name] if value is None else [*out, name, value]


def invocation(
    command: tuple[str, ...],
    base: Base,
    tmp: Path,
    *,
    arguments: dict[str, Value | None] | None = None,
    option: tuple[str, str | None, bool] | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The command line of ``base`` with ``arguments`` replaced (None: left out), ``option``
    (name, value, repeatable) set, then ``extra`` words."""
    values = {**base.arguments, **(arguments or {})}
    positional = [_value(v, tmp) for v in values.values() if v is not None]
    options = base.options(tmp)
    if option is not None:
        options = _with_option(options, *option)
    if not command:  # the root's options come before a command
        return [*options, *extra, "doctor"]
    return [*command, *positional, *options, *extra]


def _misspell(name: str, taken: set[str]) -> str | None:
    """``name`` with one letter dropped (from the end backwards) that is no other option."""
    word = name.lstrip("-")
    if len(word) < 4:  # too short for a close match (``--lr``)
        return None
    for i in range(len(word) - 2, 0, -1):
        if word[i] == "-":
            continue
        wrong = name[: len(name) - len(word)] + word[:i] + word[i + 1 :]
        if wrong not in taken:
            return wrong
    return None


# ---------------------------------------------------------------------------------------------
# the cases


def _param_cases(path, param, table, bases, base_of, path_text, last=None) -> list[Case]:
    """``last``: the command's last required argument; leaving out an earlier one shifts the
    values after it, so the parser then misses that last one."""
    cases: list[Case] = []
    key = (*path, param.name)
    base = base_of.get(key, bases.get(path, Base()))
    _, many = annotation(param)
    name = flag(param) if is_option(param) else param.name
    typed = type_values(path, param, path_text) or []
    for source, bads in (("type", typed), ("table", table.get(key, []))):
        for bad in bads:
            use, label = bad.base or base, bad.label or str(bad.value)
            if is_option(param) and label.startswith(name + "="):  # a flag given a value
                what = label

                def build(tmp, use=use, label=label):
                    return invocation(path, use, tmp, extra=(label,))

            elif is_option(param):
                what = f"{name} {label}"

                def build(tmp, use=use, bad=bad, name=name):
                    return invocation(path, use, tmp, option=(name, _value(bad.value, tmp), many))

            else:
                what = f"{name}={label}"

                def build(tmp, use=use, bad=bad, pname=param.name):
                    return invocation(path, use, tmp, arguments={pname: bad.value})

            cases.append(Case(path, param.name, what, build, bad.needles, source))
    if is_option(param) and not getattr(param, "is_flag", False) and path:
        build = _builder(path, base, option=(name, None, many))
        cases.append(Case(path, param.name, f"{name} <no value>", build,
                          (name, "requires an argument"), "type"))  # fmt: skip
    if not is_option(param) and param.required:
        build = _builder(path, base, arguments={param.name: None})
        cases.append(Case(path, param.name, f"<no {param.name}>", build,
                          ("missing argument", last or param.name), "command"))  # fmt: skip
    return cases


def _builder(path, base, **kw) -> Callable[[Path], list[str]]:
    return lambda tmp: invocation(path, base, tmp, **kw)


def _command_cases(path, command, bases) -> list[Case]:
    base = bases.get(path, Base())
    bogus = _builder(path, base, extra=("--bogus",))
    cases = [Case(path, None, "--bogus", bogus, ("--bogus",), "command")]
    options = [p for p in command.params if is_option(p)]
    taken = {o for p in options for o in (*p.opts, *p.secondary_opts)}
    for p in options:
        wrong = _misspell(flag(p), taken)
        if wrong is None:
            continue
        extra = (wrong,) if getattr(p, "is_flag", False) else (wrong, "1")
        cases.append(Case(path, None, f"{wrong} (misspelt)", _builder(path, base, extra=extra),
                          ("did you mean", flag(p)), "command"))  # fmt: skip
    if is_group(command):
        first = sorted(command.commands)[0]
        wrong = first[:-2] + first[-1] + first[-2]  # two letters swapped: "lsit", "doctro"
        cases += [
            Case(path, None, "<no command>", lambda tmp: list(path), ("command",), "command",
                 help_ok=True),
            Case(path, None, "nonsense", lambda tmp: [*path, "nonsense"],
                 ("no such command", "nonsense"), "command"),
            Case(path, None, wrong, lambda tmp: [*path, wrong], ("did you mean", first),
                 "command"),
        ]  # fmt: skip
    elif not any(not is_option(p) and p.nargs == -1 for p in command.params):
        extra = _builder(path, base, extra=("extra",))
        cases.append(Case(path, None, "extra", extra, ("unexpected extra argument", "extra"),
                          "command"))  # fmt: skip
    return cases


def build_cases(table, bases, base_of, path_text) -> list[Case]:
    """Every case of the matrix: per parameter (type, table), then per command."""
    cases: list[Case] = []
    for path, command in walk():
        required = [p.name for p in command.params if not is_option(p) and p.required]
        last = required[-1] if required else None
        for param in command.params:
            cases += _param_cases(path, param, table, bases, base_of, path_text, last)
        cases += _command_cases(path, command, bases)
    return cases


# ---------------------------------------------------------------------------------------------
# the contract


#: files a failed command may leave: the run folder's and the cache's lock files (empty)
LOCK_NAMES = (".lock", ".active")


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def check(case: Case, rc: int, stdout: str, stderr: str, left: set[Path]) -> None:
    """Raise AssertionError (saying what is wrong) unless the outcome keeps the contract.

    ``left``: the files that exist after the command and did not before it."""
    shown = f"{case.id}\n  exit {rc}\n  stderr: {stderr[-1500:]!r}\n  stdout: {stdout[-300:]!r}"
    assert "Traceback" not in stderr and "Traceback" not in stdout, f"a traceback: {shown}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    if case.help_ok and not errors and rc in (0, 2) and "Usage:" in stdout + stderr:
        return  # a group's help, as click answers a bare group
    assert rc == 2, f"exit code {rc}, not 2: {shown}"
    assert len(stderr.splitlines()) <= 3, f"more than 3 lines on stderr: {shown}"
    assert lines and lines[-1].startswith("error: "), f"no closing 'error:' line: {shown}"
    assert len(lines) == 1 or (len(lines) == 2 and lines[0].startswith("Usage:")), (
        f"stderr is not one error line (or a usage line and one): {shown}"
    )
    # the parser's lines end with where to look for help: that is no message
    message = re.sub(r"\(see [^)]*\)$", "", lines[-1].removeprefix("error:")).strip()
    assert len(message) > 3, f"an empty error message: {shown}"
    missing = [n for n in case.needles if n.lower() not in message.lower()]
    assert not missing, f"the error line does not name {missing}: {shown}"
    stray = sorted(str(p) for p in left if p.name not in LOCK_NAMES and p.suffix != ".lock")
    assert not stray, f"files left behind: {stray}: {shown}"
