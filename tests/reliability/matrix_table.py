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


def users_folder(tmp: Path) -> str:
    """A folder of the user's own files, among them a config.json that is no run record."""
    folder = tmp / "mine"
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"mine": true}\n')
    (folder / "figures" / "plot.png").write_text("mine")
    return str(folder)


def config_folder(tmp: Path) -> str:
    """A run folder whose config.json is a folder."""
    run = Path(synthetic_run(tmp))
    for name in ("config.json", "config.json.sha256"):
        (run / name).unlink()
    (run / "config.json").mkdir()
    return str(run)


def a_folder_with_a_pipe(tmp: Path) -> str:
    """A folder holding a named pipe: whatever reads it by mistake blocks for ever."""
    import os

    (tmp / "piped").mkdir(exist_ok=True)
    os.mkfifo(tmp / "piped" / "a pipe")
    return str(tmp / "piped")


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


def history_without_loss(tmp: Path) -> str:
    """A run folder one of whose cells has a history.parquet (checksum valid) without ``loss``:
    the training curves cannot be drawn from it."""
    from c2kd_analyze import io

    run = Path(synthetic_run(tmp))
    history = sorted((run / "cells").iterdir())[0] / "history.parquet"
    io.write_parquet(history, io.read_parquet(history).drop("loss"))
    return str(run)


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
    ("runs",): Base({"folder": lambda tmp: str(Path(synthetic_run(tmp)).parent)}),
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
        # never hashed nor walked: the demo reads no folder (the pipe would block a walk)
        Bad(a_folder_with_a_pipe, ("takes no --data-dir",),
            label="<a folder with a named pipe, for the demo set>", base=BASES[("run",)]),
        Bad("", ("--data-dir", "empty"), label="''"),  # Path("") would be the current folder
        Bad(" ", ("--data-dir", "empty"), label="' '"),
    ],
    ("run", "features"): [Bad("s3d", ("demo", "s3d"))],
    ("run", "dataset_options"): [
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
        _config("epochs = 0", "--epochs", "[1, 10000]", "bad.toml"),
        _config(f"projection_dim = {HUGE}", "--projection-dim", "16384"),
        _config(f"video_width = {HUGE}", "--video-width", "16384"),
        _config(f"n_video_tokens = {HUGE}", "--n-video-tokens", "8192"),
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
        _config("epoch = 3", "unknown key", "epoch", "did you mean 'epochs'"),
        _config("preset = 'demo'", "preset", "unknown"),  # set by --preset, not by a file
        _config("epochs = = 3", "bad.toml", "TOML"),
    ],
    ("run", "seeds"): [
        Bad("99999999999999999999", ("--seeds", "99999999999999999999")),
        Bad("-1", ("--seeds", "-1")),
        Bad("1.5", ("--seeds", "integer", "1.5")),
        Bad("0,0", ("--seeds", "duplicates")),
        Bad(",".join(map(str, range(1001))), ("--seeds", "at most 1000"), label="<1001 seeds>"),
        Bad(",", ("--seeds", "at least one")),
    ],
    ("run", "epochs"): [
        Bad("0", ("--epochs", "[1, 10000]")),
        Bad("-3", ("--epochs", "-3")),
        # every count has a ceiling: a typo never trains for ever
        Bad(HUGE, ("--epochs", "[1, 10000]", HUGE)),
    ],
    ("run", "lr"): [Bad("-1", ("--lr", "-1")), Bad("0", ("--lr", "> 0"))],
    ("run", "encoder_lr"): [Bad("0", ("--encoder-lr",)), Bad("-1e-5", ("--encoder-lr",))],
    ("run", "lr_decay"): [Bad("0", ("--lr-decay", "(0, 1]")), Bad("1.5", ("--lr-decay", "(0, 1]"))],
    ("run", "projection_dim"): [
        Bad("0", ("--projection-dim", "[1, 16384]")),
        Bad(HUGE, ("--projection-dim", "16384", HUGE)),
    ],
    ("run", "video_width"): [
        Bad("0", ("--video-width", "[1, 16384]")),
        Bad("10", ("--video-width", "multiple of 4")),
    ],
    ("run", "n_video_tokens"): [
        Bad("0", ("--n-video-tokens", "[1, 8192]")),
        Bad(HUGE, ("--n-video-tokens", "8192", HUGE)),
    ],
    ("run", "finetune_pooling"): [Bad("max", ("--finetune-pooling", "max", "spec"))],
    ("run", "eval_directions"): [Bad("t2x", ("--eval-directions", "t2x", "t2v"))],
    ("run", "batch_size"): [
        Bad("1", ("--batch-size", "[2,")),
        Bad("0", ("--batch-size", "[2,")),
        Bad(HUGE, ("--batch-size", "1000000", HUGE)),
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
        Bad(HUGE, ("--max-tokens", "<= 8192", HUGE)),
        Bad("train=abc", ("--max-tokens", "abc")),
        Bad("bogus=3", ("--max-tokens", "bogus")),
        # the type case `nope` only asks that the line names the word; this one asks that it
        # says how to write the option
        Bad("many", ("--max-tokens", "many", "train=")),
    ],
    ("run", "ties"): [Bad("worst", ("--ties", "worst", "optimistic"))],
    ("run", "val_fraction"): [
        Bad("1", ("--val-fraction", "[0, 1)")),
        Bad("-0.1", ("--val-fraction", "[0, 1)")),
        # too few clips held out, or too few left to train on, are found once the data is
        # loaded (the clips are counted there): tests/distill/test_validation.py
    ],
    # the flag alone (no value): there is nothing to select on without validation clips
    ("run", "select_on_val"): [
        Bad(None, ("--select-on-val", "--val-fraction"), label="<without --val-fraction>"),
    ],
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
    ("run", "report_to"): [Bad("tensorbord", ("--report-to", "tensorbord", "tensorboard"))],
    ("run", "out"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        # the deletion rule: a folder of the user's files is never taken (nor emptied)
        Bad(users_folder, ("did not write", "config.json", "figures/plot.png"),
            label="<a folder of user files>"),
        Bad(config_folder, ("config.json", "is a folder"), label="<config.json is a folder>"),
    ],
    ("report", "run_dirs"): [
        Bad(a_folder, ("afolder", "not a run folder"), label="<an empty folder>"),
        Bad(missing, ("nowhere", "not a folder"), label="<missing>"),
        Bad(config_folder, ("config.json", "is a folder"), label="<config.json is a folder>"),
        Bad(history_without_loss, ("history.parquet", "missing column", "loss"),
            label="<a history without loss>"),
    ],
    ("report", "out"): [Bad(a_file, ("afile.txt",), label="<a file>")],
    ("export", "out"): [
        Bad(lambda tmp: str(tmp / "export-run" / "run"), ("inside the run folder",),
            label="<the run folder>"),
        Bad(lambda tmp: str(tmp / "export-run" / "run" / "student"), ("inside the run folder",),
            label="<a folder inside the run folder>"),
        Bad(lambda tmp: str(tmp / "export-run"), ("holds the run folder",),
            label="<the folder above the run folder>"),
    ],
    ("report", "resamples"): [
        Bad("0", ("--resamples", "greater than or equal to 100")),
        Bad("99", ("--resamples", "greater than or equal to 100")),
        Bad(HUGE, ("--resamples", "less than or equal to 100000")),
    ],
    ("report", "seed"): [Bad("-1", ("--seed", "greater than or equal to 0"))],
    ("runs", "folder"): [Bad(a_file, ("afile.txt", "not a folder"), label="<a file>")],
    ("runs", "fmt"): [Bad("xml", ("--format", "xml", "json"))],
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
        Bad(a_folder_with_a_pipe, ("takes no --data-dir",),
            label="<a folder with a named pipe, for the demo set>",
            base=BASES[("datasets", "check")]),
        Bad("", ("--data-dir", "empty"), label="''"),
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


# ---------------------------------------------------------------------------------------------
# your own data: `datasets translate`, `features extract` (tiny real models, built once per
# process in a temporary folder: tests/data/owndata/owndata_models.py)


@functools.cache
def _owndata_model(builder: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "owndata"))
    import owndata_models

    folder = tempfile.TemporaryDirectory(prefix="c2kd-matrix-model-")
    _KEEP.append(folder)
    return str(getattr(owndata_models, builder)(Path(folder.name) / builder))


def tiny_nllb(tmp: Path | None = None) -> str:
    return _owndata_model("build_tiny_nllb")


def tiny_clip(tmp: Path | None = None) -> str:
    return _owndata_model("build_tiny_clip")


def english_captions(tmp: Path, lang: str = "en") -> str:
    folder = tmp / "mydata"
    folder.mkdir(exist_ok=True)
    rows = [f"c{i},{lang},Chop the onions {i}.,{'train' if i < 4 else 'test'}" for i in range(6)]
    (folder / "captions.csv").write_text("clip_id,lang,caption,split\n" + "\n".join(rows) + "\n")
    return str(folder)


def videos(tmp: Path, bad: bytes | None = None) -> str:
    _owndata_model("build_tiny_clip")  # puts the builders on sys.path
    from owndata_models import write_video

    folder = tmp / "myvideos"
    for i in range(2):
        write_video(folder / f"c{i}.mp4", n_frames=6, seed=i)
    if bad is not None:
        (folder / "broken.mp4").write_bytes(bad)
    return str(folder)


def _npz_out(tmp: Path) -> str:
    (tmp / "feats").mkdir(exist_ok=True)
    (tmp / "feats" / "features.npz").write_bytes(b"someone else's features")
    return str(tmp / "feats")


_TRANSLATE = Base(
    {"data_dir": english_captions},
    lambda tmp: ["--to", "de", "--model", tiny_nllb(), "--no-progress"],
)
_EXTRACT = Base(
    {"video_dir": videos},
    lambda tmp: ["--out", str(tmp / "feats"), "--model", tiny_clip(), "--no-progress"],
)
BASES.update(
    {
        ("datasets", "translate"): _TRANSLATE,
        ("datasets", "translators"): Base(),
        ("features", "extract"): _EXTRACT,
        ("features", "models"): Base(),
    }
)
_FRAMES_GIVEN = Base({"video_dir": videos}, lambda tmp: [*_EXTRACT.options(tmp), "--frames", "4"])
TABLE.update({
    ("datasets", "translate", "data_dir"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        Bad(a_folder, ("no captions.parquet or captions.csv",), label="<no captions>"),
        Bad(lambda tmp: english_captions(tmp, "de"), ("no English captions",),
            label="<no English captions>"),
    ],
    ("datasets", "translate", "to"): [
        Bad("xx", ("xx", "ISO 639-1")),
        Bad("en", ("--to en", "from English")),
        Bad("de,de", ("--to", "duplicates")),
        Bad(",", ("--to", "at least one")),
        Bad("kl", ("kl", "no code")),  # ISO 639-1, but NLLB-200 has no Greenlandic
    ],
    ("datasets", "translate", "model"): [
        Bad(tiny_clip, ("not a sequence-to-sequence translation model",),
            label="<an image model folder>"),
        Bad("nlb-600m", ("did you mean", "nllb-600m")),
        Bad("nllb-600m", ("nllb-600m", "not in the local Hugging Face cache", "--model DIR")),
        Bad("facebook/nllb-200-distilled-600M", ("not in the local Hugging Face cache",)),
        Bad(a_folder, ("no config.json",), label="<an empty folder>"),
        Bad(missing, ("nowhere", "no such folder"), label="<missing>"),
    ],
    ("datasets", "translate", "back_model"): [Bad("nllb-600m", ("--back-model", "--round-trip"))],
    ("datasets", "translate", "beams"): [
        Bad("0", ("--beams", "[1, 32]")), Bad("33", ("--beams", "[1, 32]")),
    ],
    ("datasets", "translate", "batch_tokens"): [Bad("8", ("--batch-tokens", "at least 16"))],
    ("datasets", "translate", "worst"): [Bad("-1", ("--worst", ">= 0"))],
    ("datasets", "translate", "device"): [
        Bad("tpu", ("--device", "tpu")), Bad("cuda:99", ("--device", "cuda:99")),
    ],
    ("datasets", "translate", "precision"): [Bad("fp8", ("--precision", "fp8"))],
    ("features", "extract", "video_dir"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        Bad(a_folder, ("holds no video files",), label="<no videos>"),
        Bad(lambda tmp: videos(tmp, bytes(range(256)) * 8), ("broken.mp4", "--skip-bad"),
            label="<a corrupt video>"),
        Bad(lambda tmp: videos(tmp, b""), ("broken.mp4", "--skip-bad"),
            label="<an empty video>"),
    ],
    ("features", "extract", "out"): [
        Bad(a_file, ("afile.txt", "is a file"), label="<a file>"),
        Bad(_npz_out, ("features.npz", "not written by"), label="<holding features.npz>"),
    ],
    ("features", "extract", "model"): [
        Bad(tiny_nllb, ("not an image model",), label="<a translation model folder>"),
        Bad("clip-b23", ("did you mean", "clip-b32")),
        Bad("clip-b32", ("clip-b32", "not in the local Hugging Face cache")),
        Bad(a_folder, ("no config.json",), label="<an empty folder>"),
    ],
    ("features", "extract", "fps"): [
        Bad("0", ("--fps", "(0, 1000]")), Bad("-1", ("--fps", "-1")),
        Bad("2", ("--fps or --frames",), label="2 <with --frames>", base=_FRAMES_GIVEN),
    ],
    ("features", "extract", "frames"): [
        Bad("0", ("--frames", "at least 1")), Bad("31", ("--frames 31", "--max-frames 30")),
    ],
    ("features", "extract", "max_frames"): [
        Bad("0", ("--max-frames", "[1, 10000]")), Bad(HUGE, ("--max-frames", HUGE)),
    ],
    ("features", "extract", "fmt"): [Bad("npz", ("--format", "npz", "safetensors"))],
    ("features", "extract", "batch_size"): [Bad("0", ("--batch-size", "[1, 65536]"))],
    ("features", "extract", "workers"): [
        Bad("0", ("--workers", "[1, 64]")), Bad("65", ("--workers", "[1, 64]")),
    ],
    ("features", "extract", "device"): [
        Bad("tpu", ("--device", "tpu")), Bad("cuda:99", ("--device", "cuda:99")),
    ],
    ("features", "extract", "precision"): [Bad("fp8", ("--precision", "fp8"))],
})  # fmt: skip
