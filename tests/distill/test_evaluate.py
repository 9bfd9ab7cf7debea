"""Evaluation from embeddings: denominators, missing languages, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from c2kd_analyze.distill.evaluate import (
    EvalEmbeddings,
    evaluate,
    teacher_agreement,
    translation_recall,
)
from c2kd_analyze.distill.outputs import CellInfo, metrics_frame, ranks_frame


def _emb(n=6, missing=()):
    torch.manual_seed(0)
    video = F.normalize(torch.randn(n, 8), dim=-1)
    valid = np.ones(n, bool)
    valid[list(missing)] = False
    # English: perfect; German: clip 1's caption points at clip 2's video
    de = video[torch.from_numpy(np.flatnonzero(valid))].clone()
    pos = int(np.flatnonzero(np.flatnonzero(valid) == 1)[0])
    de[pos] = video[2]
    return EvalEmbeddings(
        video=video,
        text={"en": video.clone(), "de": de},
        valid={"en": np.ones(n, bool), "de": valid},
    )


def test_perfect_and_one_miss():
    res = {(r.lang, r.direction): r for r in evaluate(_emb(), n_queries=6)}
    assert res[("en", "t2v")].metrics.recall[1] == 1.0
    de = res[("de", "t2v")].metrics
    assert de.recall[1] == pytest.approx(5 / 6)
    # caption 1 is video 2's vector: it ranks video 2 first, so its own video comes later
    v = _emb().video
    expected = 1 + int((v[2] @ v.T > v[2] @ v[1]).sum())
    assert de.ranks.tolist() == [1, expected, 1, 1, 1, 1] and expected > 1
    # video-to-text: video 2 now has two equally good captions (its own and clip 1's): optimistic
    v2t = res[("de", "v2t")].metrics
    assert v2t.ranks[2] == 1


def test_missing_language_and_absent_queries():
    emb = _emb(n=6, missing=(4,))
    res = {(r.lang, r.direction): r for r in evaluate(emb, n_queries=10)}
    de = res[("de", "t2v")]
    # 5 German queries present, 4 counted by the benchmark but absent from the data
    assert de.metrics.n_queries == 5 + 4
    assert de.metrics.recall[1] == pytest.approx(4 / 9)
    assert de.query_clips.tolist() == [0, 1, 2, 3, 5]
    info = CellInfo("r", "c", "c2kd", "muse", "m", "s", "tiny", 0, "frozen")
    ranks = ranks_frame(info, [de])
    assert ranks.height == 9 and ranks["rank"].null_count() == 4
    assert ranks["query"].to_list() == list(range(9))  # positions among the 9 counted queries
    assert ranks["clip"].to_list() == [0, 1, 2, 3, 5, None, None, None, None]
    assert ranks["ties"].to_list() == [0] * 5 + [None] * 4
    metrics = metrics_frame(info, [de])
    assert set(metrics["metric"]) == {"recall", "median_rank", "mean_rank", "tied_queries"}
    assert metrics.filter(metrics["metric"] == "median_rank")["k"].to_list() == [None]
    assert metrics.filter(metrics["metric"] == "tied_queries")["value"].to_list() == [0.0]


def test_constant_scores_tie_and_each_policy_says_so():
    """Degenerate embeddings (every video the same) tie every query: optimistic recall is
    perfect, pessimistic zero, mean at chance; the tied queries are counted."""
    n = 8
    video = F.normalize(torch.ones(n, 4), dim=-1)
    text = F.normalize(torch.randn(n, 4, generator=torch.Generator().manual_seed(0)), dim=-1)
    emb = EvalEmbeddings(video=video, text={"en": text}, valid={"en": np.ones(n, bool)})
    recall = {}
    for ties in ("optimistic", "mean", "pessimistic"):
        (r,) = evaluate(emb, n_queries=n, directions=("t2v",), ks=(1, 4), ties=ties)
        recall[ties] = r.metrics.recall
        assert r.metrics.n_tied_queries == n
    assert recall["optimistic"] == {1: 1.0, 4: 1.0}
    assert recall["pessimistic"] == {1: 0.0, 4: 0.0}
    assert recall["mean"] == {1: pytest.approx(1 / n), 4: pytest.approx(4 / n)}


def test_agreement_zero_for_identical_embeddings_and_positive_otherwise():
    emb = _emb()
    teacher = [(emb.text["en"], np.ones(6, bool), emb.video)]
    agree = teacher_agreement(emb, teacher, "mean", 0.1)
    assert agree["en"] == pytest.approx(0.0, abs=1e-6)
    assert agree["de"] > 0.01


def test_translation_recall():
    rng = np.random.default_rng(0)
    en = rng.normal(size=(5, 4))
    en /= np.linalg.norm(en, axis=1, keepdims=True)  # encoder outputs are unit rows
    feats = {"en": en, "de": en.copy(), "fr": en[[1, 0, 2, 3, 4]]}
    valid = {lang: np.ones(5, bool) for lang in feats}
    got = translation_recall(feats, valid)
    assert got == {"de": 1.0, "fr": pytest.approx(3 / 5)}


def _naive_merge(vectors: np.ndarray, ids: list[str]) -> tuple[list[str], np.ndarray]:
    """Group by id in order of first appearance, mean, L2-normalise (a Python loop)."""
    order: list[str] = []
    for c in ids:
        if c not in order:
            order.append(c)
    out = []
    for c in order:
        members = [v for v, i in zip(vectors, ids, strict=True) if i == c]
        mean = np.mean(members, axis=0)
        out.append(mean / np.linalg.norm(mean))
    return order, np.array(out)


def test_duplicate_ids_are_averaged_as_the_original():
    from c2kd_analyze.distill.evaluate import merge_duplicates

    torch.manual_seed(1)
    ids = ["a", "b", "a", "c", "b", "d"]
    video = F.normalize(torch.randn(6, 5), dim=-1)
    text_all = F.normalize(torch.randn(6, 5), dim=-1)
    de_valid = np.array([True, False, True, True, False, True])  # "b" has no German caption
    emb = EvalEmbeddings(
        video=video,
        text={"en": text_all.clone(), "de": text_all[torch.from_numpy(de_valid)]},
        valid={"en": np.ones(6, bool), "de": de_valid},
    )
    merged = merge_duplicates(emb, ids)
    order, ref_video = _naive_merge(video.numpy(), ids)
    assert order == ["a", "b", "c", "d"]
    np.testing.assert_allclose(merged.video.numpy(), ref_video, rtol=1e-5, atol=1e-6)
    _, ref_en = _naive_merge(text_all.numpy(), ids)
    np.testing.assert_allclose(merged.text["en"].numpy(), ref_en, rtol=1e-5, atol=1e-6)
    assert merged.valid["de"].tolist() == [True, False, True, True]
    keep = [i for i, ok in enumerate(de_valid) if ok]
    _, ref_de = _naive_merge(text_all.numpy()[keep], [ids[i] for i in keep])
    np.testing.assert_allclose(merged.text["de"].numpy(), ref_de, rtol=1e-5, atol=1e-6)
    # no duplicates: unchanged, and evaluation then counts the distinct clips
    assert merge_duplicates(emb, list("uvwxyz")) is emb
    results = evaluate(merged, n_queries=4, directions=("t2v",), ks=(1,))
    assert {r.lang: r.metrics.n_queries for r in results} == {"en": 4, "de": 3}
