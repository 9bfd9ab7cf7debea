"""The hand-written half of the bad-input matrix (:mod:`.matrix`): a valid invocation of every
command, the values that parse but are wrong, and the known product bugs.

A parameter added to the CLI gets type-derived cases by itself; a number also needs a row in
``TABLE`` (its range) or in ``NO_RANGE`` (why it has none), else ``test_bad_input_matrix``
fails. Keys are ``(*command path, parameter name)``.
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

from .matrix import Bad, Base

# ---------------------------------------------------------------------------------------------
# files a case builds in its tmp folder


#: a tiny run (the TINY run of helpers.py) written as a config file, so one command-line option
#: or one config key can be made bad on its own
RUN_TOML = {
    "dataset_options": "{ n_train = 48, n_test = 16 }",
    "teachers": '["muse"]',
    "student": '"muse"',
    "epochs": "2",
    "batch_size": "16",
    "projection_dim": "8",
    "video_width": "8",
    "n_video_tokens": "4",
}


def toml(body: str = "", *, drop: tuple[str, ...] = (), name: str = "run.toml"):
    """A function writing RUN_TOML with ``body``'s keys (and ``drop``) replaced by ``body``."""

    def write(tmp: Path) -> str:
        keys = {line.partition("=")[0].strip() for line in body.splitlines() if "=" in line}
        lines = [f"{k} = {v}" for k, v in RUN_TOML.items() if k not in keys | set(drop)]
        path = tmp / name
        path.write_text("\n".join([*lines, body]) + "\n")
        return str(path)

    return write


def a_file(tmp: Path) -> str:
    (tmp / "afile.txt").write_text("a file, not a folder")
    return str(tmp / "afile.txt")


def a_folder(tmp: Path) -> str:
    (tmp / "afolder").mkdir(exist_ok=True)
    return str(tmp / "afolder")


def missing(tmp: Path) -> str:
    return str(tmp / "nowhere")


def binary_file(tmp: Path) -> str:
    (tmp / "binary.toml").write_bytes(bytes(range(256)))
    return str(tmp / "binary.toml")


@functools.cache
def _synthetic_original() -> Path:
    """One small complete run folder per test process (the analysis tests' synthetic runs, in
    the run's schema), in a temporary folder removed when the process exits."""
    name = "synthetic_runs"
    if name not in sys.modules:  # tests/analysis is no package: load the file itself
        path = Path(__file__).parents[1] / "analysis" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    runs = sys.modules[name]
    spec = runs.RunSpec(teachers=("muse",), langs=("en", "de"), seeds=(0,), n_queries=20)
    folder = tempfile.TemporaryDirectory(prefix="c2kd-matrix-")
    _KEEP.append(folder)
    return runs.write_run(Path(folder.name), spec)


_KEEP: list[tempfile.TemporaryDirectory] = []


def synthetic_run(tmp: Path) -> str:
    """A copy of the small run folder in ``tmp`` (copying is 30x faster than writing it)."""
    return str(shutil.copytree(_synthetic_original(), tmp / "runs" / _synthetic_original().name))


def exportable_run(tmp: Path) -> str:
    """A run folder with one cell whose checkpoint (random weights) lies in ``tmp / "cache"``,
    the cache of the case's process (and of the in-process cases: the tests' C2KD_CACHE)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
    from export_helpers import fabricate_run

    cells = ("teacher-muse-s0", "c2kd-muse-s0")
    return str(fabricate_run(tmp / "export-run", tmp / "cache", cells=cells))


def _run_options(config=toml()):
    return lambda tmp: ["--config", config(tmp), "--no-progress", "--no-report",
                        "--out", str(tmp / "out")]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# a valid invocation of every command (a group needs none)

BASES: dict[tuple[str, ...], Base] = {
    (): Base(),  # the root's options, then `doctor`
    ("run",): Base(options=_run_options()),
    ("report",): Base({"run_dirs": synthetic_run}, lambda tmp: ["--resamples", "100"]),
    ("doctor",): Base(),
    ("teachers", "list"): Base(),
    ("teachers", "show"): Base({"name": "muse"}),
    ("teachers", "check"): Base({"name": "muse"}, lambda tmp: ["--device", "cpu"]),
    # offline (as the tests run) fetching a hub teacher fails: only name and --to are checked
    ("teachers", "fetch"): Base({"name": "labse"}),
    ("datasets", "list"): Base(),
    ("datasets", "check"): Base({"name": "demo"}, lambda tmp: ["--n-test", "16"]),
    # a fabricated run whose checkpoint holds random weights: --video-only exports it at once
    ("export",): Base({"run_dir": exportable_run, "cell": "c2kd-muse-s0"},
                      lambda tmp: ["--out", str(tmp / "exported"), "--video-only"]),
}  # fmt: skip

#: runs of the generic format, which needs --data-dir and takes no dataset options
GENERIC_RUN = Base(options=lambda tmp: ["--dataset", "generic", *_run_options(
    toml(drop=("dataset_options",)))(tmp)])  # fmt: skip

#: a run with a second mistake that `run` finds only where it loads the data (the demo set
#: takes no --data-dir): a case whose bad value a buggy `run` lets through stops there, in a
#: second, instead of building data and training (a process cannot be stopped otherwise)
TRIPWIRE_RUN = Base(options=lambda tmp: [*_run_options()(tmp), "--data-dir", a_folder(tmp)])
TRIPWIRE_CHECK = Base({"name": "demo"}, lambda tmp: ["--n-test", "16", "--data-dir", a_folder(tmp)])

#: parameters whose cases go into another valid invocation than their command's
BASE_OF: dict[tuple[str, ...], Base] = {
    ("run", "data_dir"): GENERIC_RUN,
    ("datasets", "check", "data_dir"): Base({"name": "generic"}),
}

#: text parameters that are paths (any word is a valid folder name): they get path cases
PATH_TEXT = frozenset({("teachers", "fetch", "to")})

# ---------------------------------------------------------------------------------------------
# values that parse but are wrong


#: a number no size or count can be: past int64 (numpy refuses it at once, allocating nothing;
#: never use a merely large one here, which could really allocate or run for hours)
HUGE = "99999999999999999999"


def _config(body: str, *needles: str) -> Bad:
    """A bad key in a config file: the line names the key, the problem and the file."""
    return Bad(toml(body, name="bad.toml"), (*needles, "bad.toml"), label=f"<{body}>")


TABLE: dict[tuple[str, ...], list[Bad]] = {
    ("run", "dataset"): [Bad("msrvtt", ("msrvtt", "choose"))],
    ("run", "data_dir"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        Bad(a_folder, ("takes no --data-dir",), label="<a folder, for the demo set>",
            base=BASES[("run",)]),
    ],
    ("run", "features"): [Bad("s3d", ("demo", "s3d"))],
    ("run", "dataset_option"): [
        Bad("n_train=abc", ("n_train", "abc", "integer")),
        Bad("n_train=300.5", ("n_train", "300.5", "integer")),
        Bad("seed=-1", ("seed", "-1", "[0,")),
        Bad("noise=nan", ("noise", "finite")),
        Bad("bogus=1", ("bogus", "n_train")),
        Bad("n_trian=48", ("n_trian", "did you mean", "n_train")),
        Bad("=48", ("--dataset-option", "KEY=VALUE")),
        Bad(f"n_train={HUGE}", ("n_train", HUGE), base=TRIPWIRE_RUN),
    ],
    ("run", "teachers"): [
        Bad("muse,muse", ("--teachers", "duplicates")),
        Bad(",", ("--teachers", "at least one")),
        Bad("mus", ("mus", "did you mean", "muse")),
    ],
    ("run", "student"): [Bad("mus", ("--student", "did you mean", "muse"))],
    ("run", "teacher_dir"): [
        # a folder for a bundled teacher must exist too, and be checked before data is loaded
        Bad(lambda tmp: f"muse={missing(tmp)}", ("muse", "nowhere"), label="muse=<missing>",
            base=TRIPWIRE_RUN),
        # a name that is no teacher at all is a typo, not a folder to ignore
        Bad(lambda tmp: f"nope={a_folder(tmp)}", ("nope",), label="nope=<a folder>",
            base=TRIPWIRE_RUN),
        Bad("muse=", ("NAME=DIR",)),
    ],
    ("run", "teacher_seed"): [
        Bad("-1", ("--teacher-seed", ">= 0")),
        Bad("4294967296", ("--teacher-seed", "4294967296")),
    ],
    ("run", "teacher_lr"): [
        Bad("x=1e-4", ("x", "--teachers")),
        Bad("muse=abc", ("--teacher-lr", "abc")),
        Bad("muse=-1", ("--teacher-lr", "muse", "> 0")),
        Bad("muse=inf", ("--teacher-lr", "muse", "finite")),
    ],
    ("run", "pool"): [Bad("max", ("--pool", "two teachers"))],  # one teacher: nothing to pool
    ("run", "preset"): [Bad("papr-msrvtt", ("did you mean", "paper-msrvtt"))],
    ("run", "config"): [
        Bad(a_folder, ("afolder", "folder"), label="<a folder>"),
        Bad(binary_file, ("binary.toml", "UTF-8"), label="<a binary file>"),
        Bad(missing, ("nowhere", "not found"), label="<missing>"),
        _config('epochs = "five"', "--epochs", "integer", "five", "bad.toml"),
        _config('balance = "0.5"', "--balance", "number", "0.5"),
        _config("teachers = 5", "--teachers", "list", "5"),
        _config("lr = [1]", "--lr", "number", "[1]"),
        _config("epochs = 2.5", "--epochs", "integer", "2.5"),
        _config("epochs = true", "--epochs", "integer", "true"),
        _config("epochs = 0", "--epochs", "at least 1", "bad.toml"),
        _config("seeds = [0.5, 1.7]", "--seeds", "integer", "0.5"),
        _config("projection_dim = 2.5", "--projection-dim", "integer", "2.5"),
        _config("video_width = 10", "--video-width", "multiple of 4"),
        _config("lr = nan", "--lr", "finite"),
        _config('dataset_options = "n_train=48"', "--dataset-option", "KEY=VALUE"),
        _config('dataset_options = { n_train = "abc" }', "n_train", "abc", "integer"),
        _config("dataset_options = { n_train = 300.5 }", "n_train", "300.5", "integer"),
        _config("dataset_options = { seed = -1 }", "seed", "-1"),
        _config("dataset_options = { bogus = 1 }", "bogus", "n_train"),
        _config("max_tokens = { train = 0 }", "--max-tokens", "train", ">= 1"),
        _config("max_tokens = { train = 35, bogus = 1 }", "--max-tokens", "bogus"),
        _config('max_tokens = "many"', "--max-tokens", "many"),
        # a value holding "; " stays whole: the source goes after it, not inside it
        _config('max_tokens = "a; b"', "--max-tokens", "'a; b'"),
        _config('dataset_options = { n_train = "a; b" }', "n_train", "'a; b'"),
        _config("seeds = [0, 0]", "--seeds", "duplicates"),
        _config('teachers = ["muse"]\npool = "max"', "--pool", "two teachers"),
        _config('teacher_lr = { bogus = 1e-4 }', "--teacher-lr", "bogus", "--teachers"),
        _config('teacher_lr = { muse = "x" }', "--teacher-lr", "muse", "number"),
        _config("bogus_key = 1", "bogus_key", "unknown"),
        _config("preset = 'demo'", "preset", "unknown"),  # set by --preset, not by a file
        _config("epochs = = 3", "bad.toml", "TOML"),
    ],
    ("run", "seeds"): [
        Bad("99999999999999999999", ("--seeds", "99999999999999999999")),
        Bad("-1", ("--seeds", "-1")),
        Bad("1.5", ("--seeds", "integer", "1.5")),
        Bad("0,0", ("--seeds", "duplicates")),
        Bad(",", ("--seeds", "at least one")),
    ],
    ("run", "epochs"): [Bad("0", ("--epochs", "at least 1")), Bad("-3", ("--epochs", "-3"))],
    ("run", "lr"): [Bad("-1", ("--lr", "-1")), Bad("0", ("--lr", "> 0"))],
    ("run", "encoder_lr"): [Bad("0", ("--encoder-lr",)), Bad("-1e-5", ("--encoder-lr",))],
    ("run", "batch_size"): [
        Bad("1", ("--batch-size", "at least 2")),
        Bad("0", ("--batch-size", "at least 2")),
    ],
    ("run", "balance"): [Bad("1.5", ("--balance", "[0, 1]")), Bad("-0.1", ("--balance", "[0, 1]"))],
    ("run", "temperature"): [
        Bad("0", ("--temperature", "[0.001, 10]")),
        Bad("100", ("--temperature", "[0.001, 10]")),
    ],
    ("run", "baseline_temperature"): [Bad("0", ("--baseline-temperature", "[0.001, 10]"))],
    ("run", "teacher_temperature"): [Bad("0", ("--teacher-temperature", "[0.001, 10]"))],
    ("run", "distill_temp"): [Bad("-1", ("--distill-temp", "[0.001, 10]"))],
    ("run", "max_tokens"): [
        Bad("train=0", ("--max-tokens", "train", ">= 1")),
        Bad("0", ("--max-tokens", ">= 1")),
        Bad("train=abc", ("--max-tokens", "abc")),
        Bad("bogus=3", ("--max-tokens", "bogus")),
        # the type case `nope` only asks that the line names the word; this one asks that it
        # says how to write the option
        Bad("many", ("--max-tokens", "many", "train=")),
    ],
    ("run", "ties"): [Bad("worst", ("--ties", "worst", "optimistic"))],
    ("run", "device"): [
        Bad("tpu", ("--device", "tpu", "cpu")),
        Bad("cuda:99", ("--device", "cuda:99")),  # absent here, CPU-only machine or GPU one
    ],
    ("run", "precision"): [Bad("fp8", ("--precision", "fp8", "bf16"))],
    ("run", "shard"): [
        Bad("3/2", ("--shard", "3/2")),
        Bad("1/0", ("--shard", "1/0")),
        Bad("-1/2", ("--shard", "-1/2")),
    ],
    ("run", "out"): [Bad(a_file, ("afile.txt", "is a file"), label="<a file>")],
    ("report", "run_dirs"): [
        Bad(a_folder, ("afolder", "not a run folder"), label="<an empty folder>"),
        Bad(missing, ("nowhere", "not a folder"), label="<missing>"),
    ],
    ("report", "out"): [Bad(a_file, ("afile.txt",), label="<a file>")],
    ("report", "resamples"): [
        Bad("0", ("--resamples", "greater than or equal to 100")),
        Bad("99", ("--resamples", "greater than or equal to 100")),
        Bad(HUGE, ("--resamples", "less than or equal to 100000")),
    ],
    ("report", "seed"): [Bad("-1", ("--seed", "greater than or equal to 0"))],
    ("teachers", "list", "lang"): [Bad("xx", ("xx", "ISO 639-1"))],
    ("teachers", "show", "name"): [Bad("mus", ("did you mean", "muse"))],
    ("teachers", "check", "name"): [Bad("mus", ("did you mean", "muse"))],
    ("teachers", "check", "teacher_dir"): [
        Bad(lambda tmp: f"muse={missing(tmp)}", ("muse", "nowhere"), label="muse=<missing>"),
    ],
    ("teachers", "check", "device"): [
        Bad("tpu", ("--device", "tpu")),
        Bad("cuda:99", ("--device", "cuda:99")),
    ],
    ("teachers", "check", "precision"): [Bad("fp8", ("--precision", "fp8", "bf16"))],
    ("teachers", "fetch", "to"): [Bad(a_file, ("afile.txt",), label="<a file>")],
    ("datasets", "check", "name"): [Bad("msrvtt", ("msrvtt", "choose"))],
    ("datasets", "check", "data_dir"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        Bad(a_folder, ("takes no --data-dir",), label="<a folder, for the demo set>",
            base=BASES[("datasets", "check")]),
    ],
    ("datasets", "check", "features"): [Bad("s3d", ("demo", "s3d"))],
    ("datasets", "check", "n_train"): [
        Bad("1", ("n_train", "[2,")),
        Bad("0", ("n_train",)),
        Bad(HUGE, ("n_train", HUGE), base=TRIPWIRE_CHECK),
    ],
    ("datasets", "check", "n_test"): [
        Bad("5", ("n_test", "[10,")),
        Bad(HUGE, ("n_test", HUGE), base=TRIPWIRE_CHECK),
    ],
    ("datasets", "check", "seed"): [
        Bad("-1", ("seed", "-1")),
        Bad("4294967296", ("seed", "4294967296")),
    ],
    ("datasets", "check", "train_captions"): [
        Bad("0", ("train_captions", "[1,")),
        Bad(HUGE, ("train_captions", HUGE), base=TRIPWIRE_CHECK),
    ],
    ("datasets", "check", "option"): [
        Bad("bogus=1", ("bogus", "n_train")),
        Bad("n_train=abc", ("n_train", "abc")),
        Bad("noise=nan", ("noise", "finite")),
        Bad("n_test=16", ("n_test", "both")),  # the base gives --n-test 16 already
    ],
}  # fmt: skip

#: numeric parameters with no range to get wrong (every other one needs a TABLE row)
NO_RANGE: dict[tuple[str, ...], str] = {}

#: parameters with no bad value at all; none today: a flag gets `--flag=x` from its type
SKIP: dict[tuple[str, ...], str] = {}

#: cases that take seconds: in-process they run only with the slow tests (the process matrix
#: runs every case)
_LATE_OUT = "report computes and draws the whole report before --out is refused"
_TORCH = "the value is checked after torch is imported (seconds)"
SLOW: dict[str, str] = {
    "c2kd-analyze report --out <below a file>": _LATE_OUT,
    "c2kd-analyze report --out <a file>": _LATE_OUT,
    # whether cuda:99 exists only torch can say
    "c2kd-analyze run --device cuda:99": _TORCH,
    "c2kd-analyze teachers check --device cuda:99": _TORCH,
}

# ---------------------------------------------------------------------------------------------
# product bugs: the case is marked xfail(strict) until the product is fixed (then it passes,
# the strict mark turns the suite red, and the entry is removed)

KNOWN_BUGS: dict[str, str] = {}
