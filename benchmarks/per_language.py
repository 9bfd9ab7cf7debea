"""The training step as it was before the fused one: the "before" side of the step benchmarks.

One text forward per language over that language's valid captions (each batch padded to its
own longest, the encoder given the 2-D attention mask), each embedding scattered into the
batch layout with ``index_copy``, the losses language by language on each language's
sub-matrix, the video tower's blocks run by ``nn.TransformerEncoder`` itself, Adam with torch's
default (per-parameter) implementation. (One thing is not as it was: a pooler nothing reads is
no longer run, a B x H x H matmul per language.) Written out here, from the project's own
models and loss functions, so the benchmarks keep comparing against it after the project moved
on; the tests keep the same computation as their reference for the fused step's losses and
gradients.
"""

from __future__ import annotations

import numpy as np
import torch

from c2kd_analyze.distill.inputs import device_index
from c2kd_analyze.distill.losses import c2kd_kd_loss, cosine_sims, nce_loss


def video_tower(tower, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The video tower (B, T, D) -> (B, P) with its blocks run by ``nn.TransformerEncoder``."""
    import torch.nn.functional as F

    mask = mask.bool()
    x = tower.norm(tower.token_proj(F.normalize(frames, dim=-1)))
    first = torch.zeros_like(mask[:1])
    first[:, 0] = True
    fill = ~mask.any(dim=1, keepdim=True) & first
    x = torch.where(fill.unsqueeze(-1), tower.masking_token.to(x.dtype), x)
    mask = mask | fill
    x = torch.cat([tower.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
    keep = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
    return tower.proj(tower.blocks(x, src_key_padding_mask=~keep)[:, 0])


def text_tower(tower, tokens):
    """A text tower's forward; a fine-tuned encoder gets the tokenizer's 2-D mask."""
    from c2kd_analyze.distill.models import FineTunedTextTower
    from c2kd_analyze.teachers.pooling import pool_output

    if not isinstance(tower, FineTunedTextTower):
        return tower(tokens)
    return tower.head(pool_output(tower.encoder(**tokens), tokens["attention_mask"],
                                  tower.pooling))  # fmt: skip


def embed(model, texts, frames, mask, clips, cap_idx, languages):
    """Video (B, P) and, per language, text (B, P) with zero rows for missing captions."""
    at = device_index(clips, frames.device)
    video = video_tower(model.video, frames[at], mask[at])
    text, valid = {}, {}
    for lang in languages:
        rows, ok = texts.tables[lang].rows(clips, cap_idx)
        if ok.any():
            encoded = text_tower(model.text, texts.inputs(lang, rows[ok]))
            out = encoded.new_zeros(len(clips), encoded.shape[1])
            out = out.index_copy(0, device_index(np.flatnonzero(ok), out.device), encoded)
        else:
            out = video.new_zeros(len(clips), video.shape[1])
        text[lang], valid[lang] = out, ok
    return video, text, valid


def loss(video, text, valid, recipe, teacher=None, en_valid=None) -> torch.Tensor:
    """The stage loss summed language by language."""
    device = video.device
    total = video.new_zeros((), dtype=torch.float32)
    for lang in recipe.languages:
        ok = valid[lang]
        if ok.sum() < 2:
            continue
        keep = device_index(np.flatnonzero(ok), device)
        sims = cosine_sims(text[lang][keep].float(), video[keep].float())
        nce = nce_loss(sims, recipe.temperature)
        if teacher is None:
            total = total + nce
            continue
        both = np.flatnonzero(en_valid[ok])
        kd = total.new_zeros(())
        if both.size >= 2:
            sub = device_index(both, device)
            kd = c2kd_kd_loss(sims[sub][:, sub], teacher[keep[sub]][:, keep[sub]],
                              recipe.distill_temp)  # fmt: skip
        total = total + recipe.balance * nce + (1 - recipe.balance) * kd
    return total


def optimizer(model, lr: float) -> torch.optim.Optimizer:
    """Adam as it was built: torch's default implementation (a loop over parameters on a CPU)."""
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)


def step(model, opt, texts, frames, mask, clips, cap_idx, recipe, targets=None):
    """One optimisation step the old way, the encoders under the recipe's autocast; returns the
    loss (detached)."""
    from c2kd_analyze.devices import autocast
    from c2kd_analyze.distill.train import batch_teacher

    with autocast(frames.device, recipe.precision):
        video, text, valid = embed(model, texts, frames, mask, clips, cap_idx, recipe.languages)
    teacher = en_valid = None
    if targets is not None:
        teacher, en_valid = batch_teacher(texts, clips, cap_idx, targets)
    value = loss(video.float(), {k: v.float() for k, v in text.items()}, valid, recipe,
                 teacher, en_valid)  # fmt: skip
    opt.zero_grad(set_to_none=True)
    value.backward()
    opt.step()
    return value.detach()
