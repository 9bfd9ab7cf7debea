"""Run the real ``c2kd-analyze`` CLI in this process, stopping it at an exact write.

Usage: ``python die_at_rename.py NAME N -- ARGS...``: the process kills itself with SIGKILL right
after the N-th ``os.replace`` onto a file called NAME (or whose path ends in NAME, e.g.
``cells/zero-shot-s0/done.json``) lands (the atomic rename that publishes a
file, before its checksum sidecar). External polling can never hit that instant; this can, and
the process dies as it would from ``kill -9`` (no cleanup, no finally blocks, no flush).

``python die_at_rename.py --pause PAUSED GO NAME N -- ARGS...``: instead of dying, the process
creates the file PAUSED and waits there until the file GO exists, then carries on. A test can
change the world at that exact point (fill the disk, take a permission away) with no race
against the run's progress.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path


def _pause(paused: str, go: str) -> None:
    Path(paused).touch()
    while not Path(go).exists():  # the test creates it once the fault is in place
        time.sleep(0.01)


def main() -> None:
    argv = sys.argv[1:]
    pause = None
    if argv[0] == "--pause":
        pause, argv = (argv[1], argv[2]), argv[3:]
    name, nth = argv[0], int(argv[1])
    args = argv[argv.index("--") + 1 :]
    real = os.replace
    seen = 0

    def replace(src, dst, *a, **kw):
        nonlocal seen
        real(src, dst, *a, **kw)
        target = os.fspath(dst)
        if target == name or target.endswith(os.sep + name):
            seen += 1
            if seen == nth:
                if pause is None:
                    os.kill(os.getpid(), signal.SIGKILL)
                _pause(*pause)

    os.replace = replace
    from c2kd_analyze.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
