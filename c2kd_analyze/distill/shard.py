"""``--shard i/n``: split a sweep's cells over processes or machines writing one run folder.

Cell order is the planner's (:func:`~c2kd_analyze.distill.plan.plan_cells`): per seed, the
teachers, then zero-shot and translate-train, then one C2KD student per teacher, then the pool.
Shard ``i/n`` runs the cells whose index in that list is ``i`` mod ``n`` (round robin, so each
shard gets a mix of cheap and expensive cells).

A C2KD cell needs its teachers. A teacher lives in the checkpoint cache (``$C2KD_CACHE``), keyed
by everything that decides its weights, under a file lock: the first shard to need a teacher
trains it (whether it is that shard's teacher cell or another's C2KD cell) and the others wait
for the lock and load it. So give every shard the same ``C2KD_CACHE`` on a shared file system;
with separate caches each machine trains its own copy (the same numbers: training is seeded,
only slower).

Writes are safe with many writers: every file is atomic (:mod:`c2kd_analyze.io`), each cell
writes only its own folder, and the run-level ``config.json`` check and the
``results.parquet`` / ``history.parquet`` rebuild (from whatever cells are done) happen under
the run folder's lock. ``c2kd-analyze report`` reads the cell folders, so it merges whatever
the shards have finished.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..errors import UserError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based): cells whose plan index is ``index`` mod ``count``."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str | None) -> Shard:
        """``"i/n"`` with 0 <= i < n; None or empty means the whole run."""
        if not text:
            return cls()
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise UserError(f"bad --shard {text!r}; write I/N with 0 <= I < N, e.g. --shard 0/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or index >= count:
            raise UserError(f"bad --shard {text!r}: need 0 <= I < N and N >= 1, e.g. --shard 0/4")
        return cls(index, count)

    def select(self, cells: Sequence[T]) -> list[T]:
        return [c for k, c in enumerate(cells) if k % self.count == self.index]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
