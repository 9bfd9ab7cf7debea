"""Numerical faults become user errors: a NaN or an infinity never reaches a results table.

Training checks every step's loss (and the weights after the last step); evaluation checks the
test embeddings before any score is ranked. The message names where it happened and the
values to try, because the usual causes are a learning rate or a temperature out of range, or
features so large that normalising them overflows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import UserError

if TYPE_CHECKING:
    import torch


class NonFiniteError(UserError):
    """A loss, a weight or an embedding became NaN or infinite."""


def _advice(lr: float, temperature: float) -> str:
    # a denormal temperature would be "doubled" to another denormal: point at a sane value
    warmer = 0.05 if temperature < 0.01 else min(2 * temperature, 1.0)
    return (
        f"try a lower --lr (e.g. {min(lr / 10, 1e-3):g}) or a higher --temperature "
        f"(e.g. {warmer:g}) in a new --out, and check the features for huge values"
    )


def check_loss(value: float, *, epoch: int, step: int, lr: float, temperature: float) -> float:
    """``value`` if finite, else :class:`NonFiniteError` naming the step (1-based) and values."""
    if math.isfinite(value):
        return value
    raise NonFiniteError(
        f"training diverged: the loss is {value} at epoch {epoch + 1}, step {step + 1} "
        f"(lr {lr:g}, temperature {temperature:g}); {_advice(lr, temperature)}"
    )


def check_weights(model: torch.nn.Module, *, lr: float, temperature: float) -> None:
    """Raise :class:`NonFiniteError` when a trained weight is NaN or infinite."""
    import torch

    for name, param in model.named_parameters():
        if not bool(torch.isfinite(param).all()):
            raise NonFiniteError(
                f"training diverged: weight {name} is not finite after the last step "
                f"(lr {lr:g}, temperature {temperature:g}); {_advice(lr, temperature)}"
            )


def check_embeddings(what: str, tensors: dict[str, torch.Tensor]) -> None:
    """Raise :class:`NonFiniteError` when any of ``tensors`` (name -> (n, P)) holds NaN or inf."""
    import torch

    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise NonFiniteError(
                f"{what}: the {name} embeddings are not finite (NaN or inf); the features may "
                "overflow when normalised (rescale them) or the model diverged (lower --lr)"
            )
