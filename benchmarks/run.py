"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME,...]``.

Each ``benchmarks/bench_*.py`` module exposes ``BENCHMARKS``: a dict name -> function(quick: bool)
returning a list of lines ``NAME: ratio=R (a=..., b=...)``. Each compares two ways of doing the
same work in this one process; nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> dict:
    sys.path.insert(0, str(HERE))
    found: dict = {}
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda m: m.name):
        if info.name.startswith("bench_"):
            found.update(importlib.import_module(info.name).BENCHMARKS)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for 2 CPU cores")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    benches = discover()
    wanted = [b for b in args.only.split(",") if b] or list(benches)
    unknown = set(wanted) - set(benches)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; known: {sorted(benches)}")
    import platform

    import torch

    print(
        f"# machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"python {platform.python_version()}, torch {torch.__version__}, quick={args.quick}"
    )
    summary = []
    for name in wanted:
        t0 = time.perf_counter()
        for line in benches[name](args.quick):
            print(line, flush=True)
            summary.append(line)
        print(f"# {name} took {time.perf_counter() - t0:.1f} s", flush=True)
    print("\n# summary")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
