"""The stage losses of a batch, computed for every language at once on masked (L, B, B) stacks.

The same numbers as :mod:`.losses` applied language by language to each language's sub-matrix
(the clips that have its caption), up to float summation order: a pair (i, j) that is not in
language l's sub-matrix is masked out of its softmaxes with a large negative logit (exp gives an
exact 0) and out of its sums with a zero weight, so a missing caption changes nothing but the
count it divides by. Finite fill values keep fully masked rows finite in the forward pass and
exactly zero in the backward pass (-inf would give 0 * inf = NaN gradients).

Per language l with n_l >= 2 captions (fewer: no in-batch negative, the language is left out):

- ``NCE_l = -1/n_l sum_i log softmax_j(S_lij / t)[i]  -  1/n_l sum_j log softmax_i(S_lij / t)[j]``
  over i, j in the language's clips;
- ``KD_l``: KL(softmax(T/td) || softmax(S_l/td)) over rows plus over columns, ``batchmean``,
  over the m_l >= 2 clips that also have a KD target (0 otherwise);
- the stage loss: ``sum_l NCE_l`` without teachers, else
  ``sum_l balance * NCE_l + (1 - balance) * KD_l``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: the logit of a masked pair: far below any real one (|S / t| <= 1000 at the smallest
#: temperature), so exp() gives an exact 0, yet finite
MASKED = -1e9


def language_sims(text: torch.Tensor, video: torch.Tensor) -> torch.Tensor:
    """Cosine similarities (L, B, B) of text (L, B, P) with video (B, P): texts are rows."""
    t = F.normalize(text, dim=-1, eps=1e-8)
    v = F.normalize(video, dim=-1, eps=1e-8)
    return t @ v.T


def _pairs(present: torch.Tensor) -> torch.Tensor:
    """(L, B) bool -> (L, B, B): both the row's and the column's clip are present."""
    return present.unsqueeze(2) & present.unsqueeze(1)


def masked_nce(sims: torch.Tensor, valid: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE per language over its valid clips: sims (L, B, B), valid (L, B) -> (L,).

    Rows and columns directions summed, each a mean over the language's n_l clips.
    """
    logits = sims / temperature
    masked = logits.masked_fill(~_pairs(valid), MASKED)
    diagonal = logits.diagonal(dim1=1, dim2=2)  # (L, B): the true pairs
    weight = valid.to(logits.dtype)
    rows = (masked.logsumexp(dim=2) - diagonal) * weight  # text i -> its video
    cols = (masked.logsumexp(dim=1) - diagonal) * weight  # video j -> its text
    count = weight.sum(dim=1).clamp(min=1.0)
    return (rows.sum(dim=1) + cols.sum(dim=1)) / count


def masked_kd(
    sims: torch.Tensor, teacher: torch.Tensor, ok: torch.Tensor, temperature: float
) -> torch.Tensor:
    """KL(softmax(T/t) || softmax(S_l/t)) over rows plus columns per language, ``batchmean``
    over the m_l clips of ``ok`` (L, B): sims (L, B, B), teacher (B, B) (detached) -> (L,)."""
    pairs = _pairs(ok)
    s = (sims / temperature).masked_fill(~pairs, MASKED)
    t = (teacher.detach() / temperature).expand_as(s).masked_fill(~pairs, MASKED)
    total = s.new_zeros(s.shape[0])
    for dim in (2, 1):  # each row's distribution over videos, then each column's over texts
        log_q, log_p = s.log_softmax(dim=dim), t.log_softmax(dim=dim)
        terms = torch.where(pairs, log_p.exp() * (log_p - log_q), 0.0)
        total = total + terms.sum(dim=(1, 2))
    return total / ok.sum(dim=1).clamp(min=1).to(s.dtype)


def stage_loss(
    text: torch.Tensor,
    video: torch.Tensor,
    valid: torch.Tensor,
    temperature: float,
    teacher: torch.Tensor | None = None,
    kd_ok: torch.Tensor | None = None,
    balance: float = 1.0,
    distill_temp: float = 0.1,
) -> torch.Tensor:
    """The stage's loss (a scalar, fp32) from text (L, B, P), video (B, P), valid (L, B) and,
    with teachers, the pooled teacher matrix (B, B) and kd_ok (L, B) (see the module)."""
    sims = language_sims(text.float(), video.float())
    active = valid.sum(dim=1) >= 2  # (L,): on the device; no host read decides it
    nce = masked_nce(sims, valid, temperature)
    if teacher is None:
        return torch.where(active, nce, 0.0).sum()
    assert kd_ok is not None  # given with every teacher matrix
    kd = torch.where(kd_ok.sum(dim=1) >= 2, masked_kd(sims, teacher, kd_ok, distill_temp), 0.0)
    return torch.where(active, balance * nce + (1 - balance) * kd, 0.0).sum()
