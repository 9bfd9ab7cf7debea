"""``kd_step``: a C2KD student step with cached teacher outputs vs running the teachers.

The original runs every teacher network on every batch to get T; we read T from the frozen
teachers' cached embeddings (``T = t_text[rows] @ t_video[clips].T``). On the same demo
batches (9 languages) and the same student we time:

- ``own``: the student's C2KD training step (embed, NCE + KD loss, backward, Adam), the way
  training runs it (its T read from the cache: the ``cached`` part below);
- ``cached``: T from the cache alone (:func:`batch_teacher`);
- ``online``: T from running the teacher models (text tower on the English captions plus the
  video tower, no grad), the original's way.

Times are CPU time on one torch thread (median over batches). Overheads are the teacher
part's time over ``own`` (target: cached <= 10%); ``ratio`` is the
online teacher time over the cached one. Modes: ``frozen`` (text heads over cached encoder
features; random unit vectors stand in for the features, their values do not change the
time) and ``full`` (a real Hugging Face transformer, the bundled all-MiniLM-L6-v2, fine-tuned by
the student and run forward by the teacher on every batch).
"""

from __future__ import annotations

import copy
import os
import statistics
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _median_ms(fn, batches, repeats: int) -> float:
    """Median CPU milliseconds of ``fn(batch)`` (one torch thread: see :func:`kd_step`)."""
    fn(batches[0])  # warm-up: allocator, lazy inits
    times = []
    for _ in range(repeats):
        for b in batches:
            t0 = time.process_time()
            fn(b)
            times.append(time.process_time() - t0)
    return 1000 * statistics.median(times)


def _setup(n_train: int, batch: int, n_batches: int):
    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.distill.captions import caption_tables, sample_caption_indices
    from c2kd_analyze.distill.run_data import split_tensors

    ds = load_dataset("demo", n_train=n_train, n_test=10)
    tables = caption_tables(ds.train, ds.languages)
    frames, mask = split_tensors(ds.train, 30)
    rng = np.random.default_rng(0)
    cap = sample_caption_indices(tables, rng)
    batches = [(c, cap[c]) for c in np.split(rng.permutation(n_train)[: batch * n_batches],
                                              n_batches)]  # fmt: skip
    return ds, tables, frames, mask, batches


def _frozen_texts(tables, dim: int, seed: int):
    import torch

    from c2kd_analyze.distill.inputs import FrozenTexts

    g = torch.Generator().manual_seed(seed)
    feats = {
        lang: torch.nn.functional.normalize(torch.randn(len(t.texts), dim, generator=g), dim=-1)
        for lang, t in tables.items()
    }
    return FrozenTexts(tables, {k: v.numpy() for k, v in feats.items()})


def _teacher_matrix(teachers, frames, mask, clips, cap, pool: str):
    """The original's way: every teacher's towers run on the batch (English captions)."""
    import torch
    import torch.nn.functional as F

    from c2kd_analyze.distill.losses import pool_teacher_sims

    per = []
    with torch.no_grad():
        for model, texts in teachers:
            rows, ok = texts.tables["en"].rows(clips, cap)
            text = torch.zeros(len(clips), model.text_dim)
            text[torch.from_numpy(np.flatnonzero(ok))] = model.encode_text(
                texts.inputs("en", rows[ok])
            )
            video = model.encode_video(frames[clips], mask[clips])
            per.append(F.normalize(text, dim=-1) @ F.normalize(video, dim=-1).T)
    return per[0] if len(per) == 1 else pool_teacher_sims(per, pool), ok


def _measure(student, texts, teachers, targets, frames, mask, batches, recipe, repeats):
    from c2kd_analyze.devices import grad_scaler
    from c2kd_analyze.distill.train import BatchEncoder, batch_teacher, make_optimizer, train_step

    opt = make_optimizer(student, recipe, frames.device)
    encoder, scaler = BatchEncoder(student), grad_scaler(frames.device, "fp32")

    def step(b):  # the project's C2KD step, its teacher matrix from the cache included
        train_step(encoder, opt, scaler, texts, frames, mask, *b, recipe, targets)

    own = _median_ms(step, batches, repeats)
    cached = _median_ms(lambda b: batch_teacher(texts, *b, targets), batches, repeats)
    online = _median_ms(
        lambda b: _teacher_matrix(teachers, frames, mask, *b, targets.pool), batches, repeats
    )
    return own, cached, online


def _line(label: str, own: float, cached: float, online: float) -> str:
    return (
        f"kd_step[{label}]: ratio={online / cached:.0f} (teacher_online={online:.2f}ms "
        f"= {100 * online / own:.1f}% of the student step, teacher_cached={cached:.3f}ms "
        f"= {100 * cached / own:.2f}%, student_step={own:.1f}ms)"
    )


def _targets(teachers, frames, mask, pool: str):
    """The frozen teachers' cached train embeddings, as the runner stores them."""
    import torch.nn.functional as F

    from c2kd_analyze.distill.inputs import embed_texts, embed_videos
    from c2kd_analyze.distill.train import TeacherTargets

    text, video = [], []
    for model, texts in teachers:
        n_en = len(texts.tables["en"].texts)
        text.append(F.normalize(embed_texts(model, texts, "en", np.arange(n_en)), dim=-1))
        video.append(F.normalize(embed_videos(model, frames, mask), dim=-1))
    return TeacherTargets(tuple(text), tuple(video), pool)


def _recipe(languages, batch: int):
    from c2kd_analyze.distill.train import TrainRecipe

    return TrainRecipe(languages=languages, epochs=1, lr=1e-5, lr_decay=1.0, batch_size=batch,
                  temperature=0.05, seed=0, balance=0.1, distill_temp=0.1)  # fmt: skip


def kd_frozen(quick: bool) -> list[str]:
    import torch

    from c2kd_analyze.distill.models import RetrievalModel, TextHead, VideoTower

    torch.manual_seed(0)
    batch, width = 64, 512  # the demo preset's batch and the paper's width
    ds, tables, frames, mask, batches = _setup(512, batch, 2 if quick else 6)
    recipe = _recipe(ds.languages, batch)
    student_texts = _frozen_texts(tables, 384, seed=0)
    student = RetrievalModel(TextHead(384, 512), VideoTower(ds.feature_dim, 512, width=width))
    dims = (512, 384, 384)  # muse, me5-small, minilm-en
    lines = []
    for k in (1, 3):
        teachers = [
            (RetrievalModel(TextHead(d, 512), VideoTower(ds.feature_dim, 512, width=width)).eval(),
             _frozen_texts(tables, d, seed=1 + i))
            for i, d in enumerate(dims[:k])
        ]  # fmt: skip
        targets = _targets(teachers, frames, mask, "max")
        own, cached, online = _measure(
            student, student_texts, teachers, targets, frames, mask, batches, recipe,
            repeats=2 if quick else 5,
        )  # fmt: skip
        lines.append(_line(f"frozen,K={k},B={batch},9langs", own, cached, online))
    return lines


def kd_full(quick: bool) -> list[str]:
    import torch

    from c2kd_analyze.distill.inputs import TokenizedTexts
    from c2kd_analyze.distill.models import FineTunedTextTower, RetrievalModel, VideoTower
    from c2kd_analyze.teachers import load_hf_parts

    torch.manual_seed(0)
    batch = 16 if quick else 32
    ds, tables, frames, mask, batches = _setup(256, batch, 2 if quick else 4)
    recipe = _recipe(ds.languages, batch)
    tokenizer, hf = load_hf_parts("minilm-en")
    texts = TokenizedTexts(tables, tokenizer, max_tokens=40)

    def model():
        tower = FineTunedTextTower(copy.deepcopy(hf), hf.config.hidden_size, 512)
        return RetrievalModel(tower, VideoTower(ds.feature_dim, 512, width=512))

    student, teacher = model(), model().eval()
    teachers = [(teacher, texts)]
    targets = _targets(teachers, frames, mask, "max")
    own, cached, online = _measure(student, texts, teachers, targets, frames, mask, batches,
                                   recipe, repeats=1 if quick else 3)  # fmt: skip
    return [_line(f"full,K=1,B={batch},9langs,MiniLM-L6", own, cached, online)]


def kd_step(quick: bool) -> list[str]:
    """CPU time on one torch thread: on a shared machine wall time mostly measures the
    neighbours, and a single thread's CPU time is the work itself."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return kd_frozen(quick) + kd_full(quick)
    finally:
        torch.set_num_threads(threads)


BENCHMARKS = {"kd_step": kd_step}
