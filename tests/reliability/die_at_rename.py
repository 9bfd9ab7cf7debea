"""Run the real ``c2kd-analyze`` CLI in this process, SIGKILLing it at an exact write.

Usage: ``python die_at_rename.py NAME N -- ARGS...``: the process kills itself with SIGKILL right
after the N-th ``os.replace`` onto a file called NAME lands (the atomic rename that publishes a
file, before its checksum sidecar). External polling can never hit that instant; this can, and
the process dies as it would from ``kill -9`` (no cleanup, no finally blocks, no flush).
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    name, nth = sys.argv[1], int(sys.argv[2])
    args = sys.argv[sys.argv.index("--") + 1 :]
    real = os.replace
    seen = 0

    def replace(src, dst, *a, **kw):
        nonlocal seen
        real(src, dst, *a, **kw)
        if os.path.basename(os.fspath(dst)) == name:
            seen += 1
            if seen == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace
    from c2kd_analyze.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
