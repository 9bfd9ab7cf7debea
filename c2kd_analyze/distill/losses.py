"""The C2KD losses as pure functions of similarity matrices (docs/method.md §3).

All inputs are B x B cosine-similarity matrices with texts as rows and videos as columns, the
positive pair of row ``i`` at column ``i``. Choices of this reimplementation ("clean C2KD"):

- one NCE per language (the original adds the English NCE twice);
- KL divergence with ``batchmean``, rows plus columns, and **no** T^2 factor (as the original;
  the gradients equal those of its cross-entropy form);
- teacher similarities are constants: :func:`c2kd_kd_loss` detaches them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..choices import Pool

if TYPE_CHECKING:
    import torch


#: the pool operations, over a (K, B, B) stack; the names mean what they say (the original's
#: ``max`` flag computed a minimum and vice versa)
POOL_OPS: dict[Pool, Callable[[torch.Tensor], torch.Tensor]] = {
    "max": lambda stack: stack.amax(dim=0),
    "min": lambda stack: stack.amin(dim=0),
    "mean": lambda stack: stack.mean(dim=0),
}


def cosine_sims(text: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every text with every video.

    (n_text, P) x (n_video, P) -> (n_text, n_video).

    Both sides are L2-normalised with eps 1e-8, as the original ``sim_matrix``.
    """
    import torch.nn.functional as F

    return F.normalize(text, dim=-1, eps=1e-8) @ F.normalize(video, dim=-1, eps=1e-8).T


def nce_loss(sims: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE over a (B, B) similarity matrix; the two directions are summed.

    ``L = -1/B sum_i log softmax_j(S_ij / t)[i]  -  1/B sum_j log softmax_i(S_ij / t)[j]``
    (docs/method.md §3: the original's NormSoftmaxLoss sums, it does not average).
    Returns a scalar tensor.
    """
    import torch
    import torch.nn.functional as F

    if sims.ndim != 2 or sims.shape[0] != sims.shape[1]:
        raise ValueError(f"nce_loss needs a square (B, B) matrix, got {tuple(sims.shape)}")
    logits = sims / temperature
    target = torch.arange(sims.shape[0], device=sims.device)
    return F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)


def c2kd_kd_loss(
    student_sims: torch.Tensor, teacher_sims: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Distillation term: KL(softmax(T/t) || softmax(S/t)) over rows plus the same over columns.

    Both matrices are (B, B); each KL is ``batchmean`` (sum over the B x B entries divided by B),
    as ``torch.nn.KLDivLoss(reduction="batchmean", log_target=True)`` in the original. The teacher
    matrix is detached: teachers are frozen. Zero exactly when the two matrices are equal.
    """
    import torch.nn.functional as F

    if student_sims.shape != teacher_sims.shape:
        raise ValueError(
            f"student and teacher similarities differ in shape: "
            f"{tuple(student_sims.shape)} vs {tuple(teacher_sims.shape)}"
        )
    teacher_sims = teacher_sims.detach()
    loss = student_sims.new_zeros(())
    for s, t in ((student_sims, teacher_sims), (student_sims.T, teacher_sims.T)):
        log_q = F.log_softmax(s / temperature, dim=1)
        log_p = F.log_softmax(t / temperature, dim=1)
        loss = loss + F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)
    return loss


def agreement_kl(
    student_sims: torch.Tensor, teacher_sims: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Mean row-wise KL(softmax(T/t) || softmax(S/t)) over (n, n) matrices: a scalar diagnostic."""
    import torch.nn.functional as F

    log_q = F.log_softmax(student_sims / temperature, dim=1)
    log_p = F.log_softmax(teacher_sims / temperature, dim=1)
    return F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)


def pool_teacher_sims(teacher_sims: list[torch.Tensor], how: Pool) -> torch.Tensor:
    """Element-wise pool of K teachers' (B, B) matrices with :data:`POOL_OPS` ``[how]``."""
    import torch

    if how not in POOL_OPS:
        raise ValueError(f"unknown pool {how!r}; choose one of {', '.join(POOL_OPS)}")
    return POOL_OPS[how](torch.stack(teacher_sims, dim=0))
