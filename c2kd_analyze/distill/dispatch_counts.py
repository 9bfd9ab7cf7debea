"""What a training step asks of the device, counted at PyTorch's dispatcher.

:class:`StepCounter` is a ``TorchDispatchMode``: every aten op a block runs passes through it
(forward and backward; autograd carries the mode into the backward pass). It counts, per
optimizer step (the ops from one ``optimizer.step()`` to the next, the optimizer's own ops left
out through torch.optim's global step hooks):

- ``ops``: aten ops dispatched (views included; not every op launches a kernel);
- ``host_reads``: ops whose result the host must wait for: a tensor value read on the host
  (``aten._local_scalar_dense``: ``.item()``, ``bool(t)``, ``if t:``), a copy from an
  accelerator to the CPU, and ops whose output size depends on the data (``nonzero``,
  ``masked_select``, ...: the device must tell the host how big the result is);
- ``embedding_backwards``: dense embedding backwards (``aten.embedding_dense_backward``), each a
  pass over a whole (vocab, hidden) table (1.5 GB of traffic for LaBSE's).

The benchmark prints these counts and the tests assert the structural ones (no host read in a
step outside the periodic loss check, one embedding backward per embedding table).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

#: ops whose output size depends on tensor values: the host waits for the device to learn it
DATA_DEPENDENT = frozenset({
    "nonzero", "nonzero_static", "masked_select", "unique", "_unique", "_unique2",
    "unique_dim", "unique_consecutive", "repeat_interleave",
})  # fmt: skip
HOST_READ = "_local_scalar_dense"
EMBEDDING_BACKWARD = "embedding_dense_backward"


@dataclass(frozen=True)
class StepCounts:
    """Counts of one optimizer step's ops (forward, loss, backward; not the optimizer's)."""

    ops: int
    host_reads: int
    embedding_backwards: int
    names: Counter  # op name -> count

    @classmethod
    def of(cls, names: Counter) -> StepCounts:
        reads = sum(n for op, n in names.items() if _is_read(op))
        return cls(sum(names.values()), reads, names[EMBEDDING_BACKWARD], names)


def _is_read(op: str) -> bool:
    return op in (HOST_READ, "device_to_host") or op in DATA_DEPENDENT


def _device_to_host(func, args, kwargs) -> bool:
    """A copy whose source is an accelerator tensor and whose target is the CPU."""
    name = func._overloadpacket.__name__
    if name not in ("_to_copy", "copy_"):
        return False
    tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
    if name == "copy_":  # copy_(dst, src)
        return len(tensors) >= 2 and tensors[0].is_cpu and not tensors[1].is_cpu
    target = (kwargs or {}).get("device")
    return bool(tensors) and not tensors[0].is_cpu and target is not None and target.type == "cpu"


class StepCounter(TorchDispatchMode):
    """Counts the ops of each optimizer step inside ``with StepCounter() as counter:``.

    ``counter.steps``: one :class:`StepCounts` per ``optimizer.step()`` taken in the block (the
    ops since the previous one); ``counter.pending``: the ops after the last one. Ops inside
    :meth:`paused` (and inside any optimizer's step) are not counted.
    """

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[StepCounts] = []
        self._names: Counter = Counter()
        self._paused = 0
        self._hooks: list = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not self._paused:
            name = func._overloadpacket.__name__
            self._names[name] += 1
            if _device_to_host(func, args, kwargs):
                self._names["device_to_host"] += 1
        return func(*args, **(kwargs or {}))

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    @property
    def pending(self) -> StepCounts:
        return StepCounts.of(Counter(self._names))

    def _before_step(self, optimizer, args, kwargs) -> None:
        self._paused += 1

    def _after_step(self, optimizer, args, kwargs) -> None:
        self._paused -= 1
        self.steps.append(StepCounts.of(self._names))
        self._names = Counter()

    def __enter__(self):
        from torch.optim.optimizer import (
            register_optimizer_step_post_hook,
            register_optimizer_step_pre_hook,
        )

        self._hooks = [register_optimizer_step_pre_hook(self._before_step),
                       register_optimizer_step_post_hook(self._after_step)]  # fmt: skip
        return super().__enter__()

    def __exit__(self, *exc):
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        return super().__exit__(*exc)
