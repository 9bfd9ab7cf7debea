"""Evaluation on the test split: embeddings once, then per-language retrieval metrics.

Text-to-video per language: the queries are the clips that have a caption in that language, the
items are all test clips. Video-to-text: the queries are those same clips' videos, the items their
captions. The recall denominator is the split's ``n_queries`` minus the clips that lack the
language: clips the benchmark counts but the data lacks (``n_queries > n_clips``) are misses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..devices import Precision
from ..numerics import check_embeddings
from .captions import CaptionTable
from .inputs import TextInputs, device_index, embed_texts, embed_videos
from .losses import Pool, agreement_kl
from .metrics import RetrievalMetrics, Ties, retrieval_metrics, streamed_retrieval_metrics
from .models import RetrievalModel


@dataclass(frozen=True)
class EvalEmbeddings:
    """L2-normalised test embeddings of one model.

    ``video``: (n_clips, P); ``text[lang]``: (n_valid, P) for the clips where ``valid[lang]``
    (n_clips,) is True, in clip order.
    """

    video: torch.Tensor
    text: dict[str, torch.Tensor]
    valid: dict[str, np.ndarray]


@dataclass(frozen=True)
class LangResult:
    lang: str
    direction: str  # "t2v" or "v2t"
    metrics: RetrievalMetrics
    query_clips: np.ndarray  # (n_valid,) clip index of each ranked query, in rank order
    n_absent: int  # queries the benchmark counts that are missing from the data


def first_caption_rows(table: CaptionTable) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each clip's first caption (evaluation splits hold one) and which clips have one."""
    clips = np.arange(table.count.shape[0])
    return table.rows(clips, np.zeros_like(clips))


def embed_test(
    model: RetrievalModel,
    texts: TextInputs,
    frames: torch.Tensor,
    mask: torch.Tensor,
    languages: tuple[str, ...],
    precision: Precision | None = None,
) -> EvalEmbeddings:
    """L2-normalised float32 test embeddings on the model's device (forward passes under
    ``precision``'s autocast)."""
    video = F.normalize(embed_videos(model, frames, mask, precision=precision), dim=-1)
    text, valid = {}, {}
    for lang in languages:
        rows, ok = first_caption_rows(texts.tables[lang])
        vectors = embed_texts(model, texts, lang, rows[ok], precision=precision)
        text[lang] = F.normalize(vectors, dim=-1)
        valid[lang] = ok
    return EvalEmbeddings(video=video, text=text, valid=valid)


def merge_duplicates(emb: EvalEmbeddings, clip_ids: Sequence[str]) -> EvalEmbeddings:
    """One item per distinct clip id: the embeddings of clips that share an id averaged (the
    original's ``average_embeddings``) and L2-normalised, in order of first appearance.

    A language's text of a merged clip averages the members that have a caption; a clip none of
    whose members has one has none. Without duplicate ids ``emb`` comes back unchanged.
    """
    first: dict[str, int] = {}
    group = np.array([first.setdefault(c, len(first)) for c in clip_ids], dtype=np.int64)
    n = len(first)
    if n == len(group):
        return emb
    device = emb.video.device
    video = _group_sums(emb.video, group, n)
    text, valid = {}, {}
    for lang, vectors in emb.text.items():
        members = emb.valid[lang]
        has = np.zeros(n, dtype=bool)
        np.logical_or.at(has, group, members)
        summed = _group_sums(vectors, group[members], n)
        text[lang] = F.normalize(summed[device_index(np.flatnonzero(has), device)], dim=-1)
        valid[lang] = has
    return EvalEmbeddings(video=F.normalize(video, dim=-1), text=text, valid=valid)


def _group_sums(vectors: torch.Tensor, group: np.ndarray, n: int) -> torch.Tensor:
    """Rows (m, P) summed by ``group`` (m,) into (n, P), on the rows' device. Summed on the CPU
    (in row order, the same float sums on every device and run), where a GPU's ``index_add_``
    would add duplicates atomically in a varying order; once per evaluation, only for data
    with duplicate clip ids."""
    rows = torch.from_numpy(np.ascontiguousarray(group, dtype=np.int64))
    host = vectors.detach().cpu()
    return host.new_zeros(n, host.shape[1]).index_add_(0, rows, host).to(vectors.device)


def evaluate(
    emb: EvalEmbeddings,
    n_queries: int,
    directions: tuple[str, ...] = ("t2v", "v2t"),
    ks: tuple[int, ...] = (1, 5, 10),
    ties: Ties = "optimistic",
) -> list[LangResult]:
    """Metrics per language and direction from test embeddings, scores streamed in blocks on the
    embeddings' device, ties counted and resolved by ``ties``."""
    texts = {f"{lang} text": t for lang, t in emb.text.items()}
    check_embeddings("evaluation", {"video": emb.video, **texts})  # NaN scores cannot be ranked
    results = []
    n_clips = emb.video.shape[0]
    n_absent = max(0, n_queries - n_clips)
    for lang, text in emb.text.items():
        valid = emb.valid[lang]
        present = np.flatnonzero(valid)
        if present.size == 0:
            continue
        # the correct video of query i must be item i: present clips first, the others after
        order = np.concatenate([present, np.flatnonzero(~valid)])
        video = emb.video[device_index(order, emb.video.device)]  # (n_clips, P)
        denominator = present.size + n_absent
        for direction in directions:
            # streamed: one block of scores at a time, never the (n_valid, n_clips) matrix
            queries, items = (text, video) if direction == "t2v" else (video[: present.size], text)
            metrics = streamed_retrieval_metrics(
                queries, items, ks=ks, ties=ties, n_queries=denominator
            )
            results.append(LangResult(lang, direction, metrics, present, n_absent))
    return results


def teacher_agreement(
    student: EvalEmbeddings,
    teachers: list[tuple[torch.Tensor, np.ndarray, torch.Tensor]],
    pool: Pool,
    temperature: float,
) -> dict[str, float]:
    """Mean row-wise KL(softmax(T/t) || softmax(S_lang/t)) on the test set, per language.

    ``teachers``: per teacher (English text embeddings (n_en_valid, P_k), English valid mask
    (n_clips,), video embeddings (n_clips, P_k)), all L2-normalised. T is the pooled teacher matrix
    over the clips that have both English and the language.
    """
    from .losses import pool_teacher_sims

    out = {}
    for lang, text in student.text.items():
        both = student.valid[lang].copy()
        for _, en_valid, _ in teachers:
            both &= en_valid
        if both.sum() < 2:
            continue
        device = student.video.device
        clips = device_index(np.flatnonzero(both), device)
        s_rows = device_index(np.flatnonzero(both[student.valid[lang]]), device)
        s = text[s_rows] @ student.video[clips].T
        per_teacher = []
        for t_text, en_valid, t_video in teachers:
            t_rows = device_index(np.flatnonzero(both[en_valid]), device)
            per_teacher.append(t_text[t_rows] @ t_video[clips].T)
        t = per_teacher[0] if len(per_teacher) == 1 else pool_teacher_sims(per_teacher, pool)
        out[lang] = float(agreement_kl(s, t, temperature))
    return out


def translation_recall(features: dict[str, np.ndarray], valid: dict[str, np.ndarray]) -> dict:
    """English -> language translation R@1 of frozen encoder vectors on parallel captions.

    ``features[lang]``: (n_valid_lang, D) L2-normalised encoder outputs of each clip's caption;
    ``valid[lang]`` (n_clips,) says which clips have one. Queries are English captions, items the
    other language's captions of the clips that have both.
    """
    out = {}
    for lang in features:
        if lang == "en":
            continue
        both = valid["en"] & valid[lang]
        if both.sum() == 0:
            continue
        en = features["en"][np.flatnonzero(both[valid["en"]])]
        other = features[lang][np.flatnonzero(both[valid[lang]])]
        out[lang] = retrieval_metrics(en @ other.T, ks=(1,)).recall[1]
    return out
