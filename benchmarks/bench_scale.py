"""Scale benchmarks: resuming a finished run, cost against teachers and languages, eval memory.

- ``run_resume``: ``c2kd-analyze run`` as real processes on a small demo, sharing one
  ``C2KD_CACHE`` whose encodings are already warm: a cold run (every cell trained) vs the same
  command again with every cell done. Target: under 5% (ratio = resume / cold).
- ``scaling``: ``run_experiment`` in process with 1, 2 and 4 teachers (5 languages) and with
  2, 5 and 9 languages (2 teachers), encodings warm, checkpoints cleared before each run.
  Shared work (data, student features, the two baselines) is done once, so the marginal cost
  of a teacher, (total(4) - total(1)) / 3, should equal one teacher cell plus one C2KD cell
  (ratio = marginal / (teacher cell + C2KD cell); 1.0 means nothing is repeated per teacher).
  The bundled offline teachers are three (muse, minilm-en, me5-small); the fourth is
  ``minilm-en`` registered again under another name, in this process only (``--quick`` also
  stands ``muse-copy`` in for the slow-to-encode me5-small).
- ``eval_memory``: one 20,000 x 20,000 text-to-video retrieval, block-streamed vs the full score
  matrix, each in a fresh process: peak resident memory above the process's baseline and time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CLI = str(Path(sys.executable).with_name("c2kd-analyze"))


# run_resume -----------------------------------------------------------------------------------
def _cli(args: list[str], cache: str) -> float:
    env = {**os.environ, "C2KD_CACHE": cache}
    t0 = time.perf_counter()
    done = subprocess.run([CLI, "run", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - t0


def run_resume(quick: bool) -> list[str]:
    n_train, epochs = (300, 3) if quick else (1000, 5)
    base = [
        "--dataset-option", f"n_train={n_train}", "--dataset-option", "n_test=100",
        "--teachers", "muse,minilm-en", "--student", "minilm-en", "--no-progress", "--no-report",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        cache = f"{tmp}/cache"
        _cli([*base, "--epochs", "1", "--out", f"{tmp}/prime"], cache)  # encodings only (untimed)
        cold = _cli([*base, "--epochs", str(epochs), "--out", f"{tmp}/run"], cache)
        resume = _cli([*base, "--epochs", str(epochs), "--out", f"{tmp}/run"], cache)
    return [
        f"run_resume: ratio={resume / cold:.3f} (resume={resume:.2f}s, cold={cold:.1f}s, "
        f"6 cells, demo n_train={n_train}, {epochs} epochs, warm encodings, real processes)"
    ]


# scaling --------------------------------------------------------------------------------------
class _CellTimes(logging.Handler):
    """Collects the runner's ``cell %s done in %.1f s`` records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("cell %s done in"):
            self.seconds[record.args[0]] = float(record.args[1])


def _alias(name: str) -> str:
    """``name``'s spec registered again as ``<name>-copy`` (this process only): a further
    offline teacher with its own teacher training (its encodings share ``name``'s cache)."""
    from c2kd_analyze.teachers import get_spec, registry

    spec = dataclasses.replace(get_spec(name), name=f"{name}-copy")
    registry._registry()[spec.name] = spec
    return spec.name


def _languages(dataset, keep: tuple[str, ...]):
    split = lambda s: dataclasses.replace(s, captions={k: s.captions[k] for k in keep})  # noqa: E731
    return dataclasses.replace(
        dataset, languages=keep, train=split(dataset.train), test=split(dataset.test)
    )


def _timed_run(cfg, dataset, out: Path, cache: Path, times: _CellTimes) -> float:
    from c2kd_analyze.distill.runner import run_experiment

    shutil.rmtree(cache / "checkpoints", ignore_errors=True)
    times.seconds.clear()
    t0 = time.perf_counter()
    run_experiment(cfg, out, dataset=dataset, progress=False)
    return time.perf_counter() - t0


def scaling(quick: bool) -> list[str]:
    from c2kd_analyze.config import build_config
    from c2kd_analyze.data import load_dataset

    n_train, epochs = (200, 2) if quick else (1000, 5)
    # quick: the two fast bundled encoders and their aliases; full: all three bundled + one alias
    third = _alias("muse") if quick else "me5-small"
    teachers = ("muse", "minilm-en", third, _alias("minilm-en"))
    full = load_dataset("demo", n_train=n_train, n_test=50)
    small = dict(student="minilm-en", epochs=epochs, projection_dim=64, video_width=64,
                 batch_size=32)  # fmt: skip
    times = _CellTimes()
    logging.getLogger("c2kd_analyze.distill.runner").addHandler(times)
    logging.getLogger("c2kd_analyze.distill.runner").setLevel(logging.INFO)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["C2KD_CACHE"] = cache = f"{tmp}/cache"
        prime = build_config("demo", teachers=",".join(teachers), **{**small, "epochs": 1})
        _timed_run(prime, full, Path(tmp, "prime"), Path(cache), times)  # warm encodings
        five = _languages(full, full.languages[:5])
        totals, own = {}, []
        for k in (1, 2, 4):
            cfg = build_config("demo", teachers=",".join(teachers[:k]), **small)
            totals[k] = _timed_run(cfg, five, Path(tmp, f"t{k}"), Path(cache), times)
            if k == 4:
                own = [times.seconds[f"teacher-{t}-s0"] + times.seconds[f"c2kd-{t}-s0"]
                       for t in teachers]  # fmt: skip
                shared = sum(v for c, v in times.seconds.items() if c.split("-s")[0] in
                             ("zero-shot", "translate-train"))  # fmt: skip
        marginal = (totals[4] - totals[1]) / 3
        per_teacher = sum(own) / len(own)
        lines.append(
            f"scaling_teachers: ratio={marginal / per_teacher:.2f} (marginal per teacher="
            f"{marginal:.1f}s, teacher cell + c2kd cell={per_teacher:.1f}s, baselines once="
            f"{shared:.1f}s, total T=1/2/4: {totals[1]:.1f}/{totals[2]:.1f}/{totals[4]:.1f}s, "
            f"5 langs)"
        )
        by_lang = {}
        for n in (2, 5, 9):
            cfg = build_config("demo", teachers=",".join(teachers[:2]), **small)
            data = _languages(full, full.languages[:n])
            by_lang[n] = _timed_run(cfg, data, Path(tmp, f"l{n}"), Path(cache), times)
        lines.append(
            f"scaling_languages: ratio={by_lang[9] / by_lang[2]:.2f} (total L=2/5/9: "
            f"{by_lang[2]:.1f}/{by_lang[5]:.1f}/{by_lang[9]:.1f}s, 2 teachers; per added "
            f"language {(by_lang[9] - by_lang[2]) / 7:.2f}s)"
        )
    return lines


# eval_memory ----------------------------------------------------------------------------------
_CHILD = r"""
import json, re, sys, time, resource
from pathlib import Path
import torch
from c2kd_analyze.distill.metrics import retrieval_metrics, streamed_retrieval_metrics

def hwm():
    try:
        return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())[1])
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

n, dim, way = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
g = torch.Generator().manual_seed(0)
text = torch.nn.functional.normalize(torch.randn(n, dim, generator=g), dim=-1)
video = torch.nn.functional.normalize(text + 0.5 * torch.randn(n, dim, generator=g), dim=-1)
try:
    Path("/proc/self/clear_refs").write_text("5")  # peak := now
except OSError:
    pass
base = hwm()
t0 = time.perf_counter()
if way == "full":
    m = retrieval_metrics((text @ video.T).numpy())  # the whole (n, n) score matrix
else:
    m = streamed_retrieval_metrics(text, video)
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mib": (hwm() - base) / 1024,
                  "r1": m.recall[1], "medr": m.median_rank}))
"""


def _child(n: int, dim: int, way: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(dim), way],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def eval_memory(quick: bool) -> list[str]:
    n, dim = 20_000, 64 if quick else 256
    full, streamed = _child(n, dim, "full"), _child(n, dim, "streamed")
    same = full["r1"] == streamed["r1"] and full["medr"] == streamed["medr"]
    return [
        f"eval_memory[{n}x{n}]: ratio={full['peak_mib'] / streamed['peak_mib']:.1f} "
        f"(peak above baseline: full={full['peak_mib']:.0f}MiB, streamed="
        f"{streamed['peak_mib']:.0f}MiB; time full={full['seconds']:.2f}s, streamed="
        f"{streamed['seconds']:.2f}s; same R@1/MedR={same})"
    ]


BENCHMARKS = {"run_resume": run_resume, "scaling": scaling, "eval_memory": eval_memory}
