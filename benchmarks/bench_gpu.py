"""``gpu_step`` and paper-scale runs: the project's training on an accelerator, measured.

    python benchmarks/bench_gpu.py              # on a CUDA machine (about 6-8 min on one H200)
    python benchmarks/bench_gpu.py --cpu-smoke  # the same code at toy size on a CPU (< 1 min)

Everything is built here, nothing is downloaded: a WordPiece tokenizer trained in-process on the
demo captions (the ``tokenizers`` library) and randomly initialised BERTs of LaBSE's size
(hidden 768, 12 layers, 12 heads, LaBSE's 501,153-row vocabulary), saved as
sentence-transformers folders and used through ``--teacher-dir`` as the paper's models.

(a) ``gpu_step``: the project's own full-mode C2KD training step
    (:func:`c2kd_analyze.distill.train.train_step`: 9 languages, captions cut at 35 tokens, one
    cached teacher, bf16 autocast, Adam) against a bare PyTorch step written here with the same
    model, the same batches and precision (tensors prepared outside the timed loop, no masking,
    no index bookkeeping). ``ratio`` = project time / bare time; the target is <= 1.25 at batch
    128.
(b) ``paper_cell``: one C2KD cell end to end in full mode (the demo with MSR-VTT's shape,
    ``n_train=9000, n_test=1000, train_captions=20``, the paper-msrvtt recipe): its teacher and
    its student trained and evaluated, ``--paper-epochs`` epochs each (20 in the paper; the
    20-epoch time is projected from the measured one).
(c) ``frozen_sweep``: a frozen-mode sweep of three teachers built the same way: every caption
    (1.6M per encoder) encoded on the GPU, then 8 cells trained.

Each part prints wall time, tokens/s and model TFLOP/s (6 x parameters x tokens for a training
step, 2 x parameters x tokens for encoding: the usual transformer estimate, embeddings excluded).
Needs only torch, transformers, sentence-transformers, tokenizers, numpy, pyarrow, polars,
platformdirs, pydantic and this package's own code (no bundled teacher packages).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
# as `c2kd-analyze run` does: spinning OpenMP threads crawl on a CPU shared with other work
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LABSE_VOCAB = 501_153


@dataclasses.dataclass(frozen=True)
class Size:
    hidden: int = 768  # the specs of mbert / xlmr / labse say 768: the loaders check it
    layers: int = 12
    heads: int = 12
    ffn: int = 3072
    vocab: int | None = LABSE_VOCAB  # None: the trained tokenizer's own size
    n_train: int = 9000
    n_test: int = 1000
    train_captions: int = 20
    step_batches: tuple[int, ...] = (64, 128)
    steps: int = 20  # timed steps per side
    warmup: int = 5
    paper_epochs: int = 2
    sweep_epochs: int = 2
    tokenizer_vocab: int = 30_000
    width: int = 512  # the video tower's width and the projection, as the paper


GPU = Size()
SMOKE = Size(layers=1, heads=4, ffn=64, vocab=None, n_train=96, n_test=24, train_captions=2,
             step_batches=(16, 32), steps=1, warmup=1, paper_epochs=1, sweep_epochs=1,
             tokenizer_vocab=2_000, width=64)  # fmt: skip


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


# -- models ------------------------------------------------------------------------------------
def build_models(root: Path, dataset, size: Size, n_models: int) -> list[Path]:
    """A WordPiece tokenizer trained on the dataset's captions and ``n_models`` random BERTs,
    each saved as a sentence-transformers folder (mean pooling) under ``root``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers import models as st_models
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, BertTokenizerFast

    def captions():
        for split in (dataset.train, dataset.test):
            for caps in split.captions.values():
                for cap in caps:
                    yield from cap or []

    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(
        captions(),
        trainers.WordPieceTrainer(vocab_size=size.tokenizer_vocab, special_tokens=SPECIAL),
    )
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=512,
    )  # fmt: skip
    folders = []
    for i in range(n_models):
        torch.manual_seed(i)
        config = BertConfig(
            vocab_size=size.vocab or tok.get_vocab_size(), hidden_size=size.hidden,
            num_hidden_layers=size.layers, num_attention_heads=size.heads,
            intermediate_size=size.ffn, max_position_embeddings=512,
        )  # fmt: skip
        hf = root / f"hf-{i}"
        BertModel(config).save_pretrained(hf)
        fast.save_pretrained(hf)
        body = st_models.Transformer(str(hf), max_seq_length=128)
        pooling = st_models.Pooling(size.hidden, pooling_mode="mean")
        folder = root / f"model-{i}"
        SentenceTransformer(modules=[body, pooling], device="cpu").save(str(folder))
        folders.append(folder)
    return folders


def encoder_params(model) -> int:
    """Parameters of the transformer layers (no embeddings): what the FLOP estimate counts."""
    return sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)


# -- (a) one training step ---------------------------------------------------------------------
def _step_setup(dataset, folder: Path, device, batch: int, precision: str, width: int):
    import copy

    import torch
    import torch.nn.functional as F
    from transformers import AutoModel, AutoTokenizer

    from c2kd_analyze.distill.captions import caption_tables, sample_caption_indices
    from c2kd_analyze.distill.context import split_tensors
    from c2kd_analyze.distill.inputs import TokenizedTexts
    from c2kd_analyze.distill.models import FineTunedTextTower, RetrievalModel, VideoTower
    from c2kd_analyze.distill.train import Recipe, TeacherTargets

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    body = AutoModel.from_pretrained(str(folder))
    torch.manual_seed(0)
    model = RetrievalModel(
        FineTunedTextTower(copy.deepcopy(body), body.config.hidden_size, width),
        VideoTower(dataset.feature_dim, width, width=width),
    ).to(device)
    tables = caption_tables(dataset.train, dataset.languages)
    texts = TokenizedTexts(tables, tokenizer, 35, "", device)
    frames, mask = split_tensors(dataset.train, 30, device)
    g = torch.Generator().manual_seed(1)
    n_en = len(tables["en"].texts)
    targets = TeacherTargets(
        (F.normalize(torch.randn(n_en, width, generator=g), dim=-1).to(device),),
        (F.normalize(torch.randn(dataset.train.n_clips, width, generator=g), dim=-1).to(device),),
    )
    recipe = Recipe(
        languages=dataset.languages, epochs=1, lr=1e-4, lr_decay=0.9, batch_size=batch,
        temperature=0.1, seed=0, balance=0.5, distill_temp=0.1, precision=precision,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    cap = sample_caption_indices(tables, rng)
    batches = [rng.choice(dataset.train.n_clips, batch, replace=False) for _ in range(8)]
    return model, texts, frames, mask, targets, recipe, [(c, cap[c]) for c in batches]


def _bare_batch(texts, frames, mask, targets, clips, cap, languages):
    """The same batch as plain device tensors, prepared before the timed loop."""
    tokens = []
    for lang in languages:
        rows, _ = texts.tables[lang].rows(clips, cap)
        tokens.append(texts.inputs(lang, rows))
    en_rows, _ = texts.tables["en"].rows(clips, cap)
    teacher = targets.sims(en_rows, clips)
    from c2kd_analyze.distill.inputs import device_index

    at = device_index(clips, frames.device)
    return tokens, frames[at], mask[at], teacher


def _bare_step(model, optimizer, prepared, recipe, dtype):
    """A C2KD step written directly: forward under autocast, fp32 losses, backward, Adam."""
    import torch
    import torch.nn.functional as F

    tokens, frames, mask, teacher = prepared
    with torch.autocast(frames.device.type, dtype=dtype, enabled=dtype is not None):
        video = model.video(frames, mask)
        texts = [model.text(t) for t in tokens]
    v = F.normalize(video.float(), dim=-1)
    target = torch.arange(v.shape[0], device=v.device)
    p_rows = F.log_softmax(teacher / recipe.distill_temp, dim=1)
    p_cols = F.log_softmax(teacher.T / recipe.distill_temp, dim=1)
    loss = v.new_zeros(())
    for t in texts:
        s = F.normalize(t.float(), dim=-1) @ v.T
        logits = s / recipe.temperature
        nce = F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)
        q_rows = F.log_softmax(s / recipe.distill_temp, dim=1)
        q_cols = F.log_softmax(s.T / recipe.distill_temp, dim=1)
        kd = F.kl_div(q_rows, p_rows, reduction="batchmean", log_target=True) + F.kl_div(
            q_cols, p_cols, reduction="batchmean", log_target=True
        )
        loss = loss + recipe.balance * nce + (1 - recipe.balance) * kd
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _time_steps(fn, n: int, warmup: int, device) -> float:
    """Median seconds per call of ``fn(i)`` after ``warmup`` calls (device synchronised)."""
    for i in range(warmup):
        fn(i)
    _sync(device)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _measure_step(dataset, folder: Path, device, size: Size, precision: str, batch: int):
    """(project s/step, bare s/step, text tokens per step, encoder parameters) at ``batch``."""
    import torch

    from c2kd_analyze.devices import autocast_dtype, grad_scaler
    from c2kd_analyze.distill.train import BatchEncoder, train_step

    model, texts, frames, mask, targets, recipe, batches = _step_setup(
        dataset, folder, device, batch, precision, size.width
    )
    encoder = BatchEncoder(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scaler = grad_scaler(device, precision)

    def project(i: int):
        clips, cap = batches[i % len(batches)]
        args = (texts, frames, mask, clips, cap, recipe, targets)
        return train_step(encoder, optimizer, scaler, *args)

    t_project = _time_steps(project, size.steps, size.warmup, device)
    prepared = [_bare_batch(texts, frames, mask, targets, c, k, recipe.languages)
                for c, k in batches]  # fmt: skip
    bare_optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    dtype = autocast_dtype(precision)

    def bare(i: int):
        return _bare_step(model, bare_optimizer, prepared[i % len(prepared)], recipe, dtype)

    t_bare = _time_steps(bare, size.steps, size.warmup, device)
    tokens = sum(int(t["attention_mask"].sum()) for t in prepared[0][0])
    return t_project, t_bare, tokens, encoder_params(model.text.encoder)


def gpu_step(dataset, folder: Path, device, size: Size, precision: str) -> list[str]:
    import torch

    lines = []
    for batch in size.step_batches:
        t_project, t_bare, tokens, params = _measure_step(
            dataset, folder, device, size, precision, batch
        )
        if device.type == "cuda":
            torch.cuda.empty_cache()
        flops = 6 * params * tokens
        lines.append(
            f"gpu_step[batch={batch}]: ratio={t_project / t_bare:.2f} "
            f"(project={1000 * t_project:.1f} ms, bare={1000 * t_bare:.1f} ms, "
            f"{tokens / t_project:,.0f} tokens/s, {flops / t_project / 1e12:.1f} model TFLOP/s, "
            f"{precision})"
        )
    return lines


# -- (b) and (c): whole runs --------------------------------------------------------------------
def _run(cfg, out: Path, dataset, dirs: dict, device_spec: str, shard=None):
    from c2kd_analyze.distill.runner import run_experiment

    t0 = time.perf_counter()
    outcome = run_experiment(cfg, out, dataset=dataset, teacher_dirs=dirs, progress=False,
                             device=device_spec, shard=shard)  # fmt: skip
    return outcome, time.perf_counter() - t0


def paper_cell(dataset, folders, root: Path, device_spec: str, size: Size) -> list[str]:
    """One full-mode C2KD cell (its teacher trained first) with the paper-msrvtt recipe."""
    from c2kd_analyze.config import build_config
    from c2kd_analyze.distill.shard import Shard

    cfg = build_config(
        "paper-msrvtt", dataset="demo", teachers="mbert", student="labse",
        epochs=size.paper_epochs, projection_dim=size.width, video_width=size.width,
        dataset_options={"n_train": size.n_train, "n_test": size.n_test,
                         "train_captions": size.train_captions},
    )  # fmt: skip
    dirs = {"mbert": folders[0], "labse": folders[1]}
    # the plan is teacher, zero-shot, translate-train, c2kd: shard 3/4 is the C2KD cell alone
    outcome, seconds = _run(cfg, root / "paper-cell", dataset, dirs, device_spec, Shard(3, 4))
    steps = 2 * cfg.epochs * (dataset.train.n_clips // cfg.batch_size)  # teacher + student
    r1 = outcome.results.filter(
        (outcome.results["metric"] == "recall") & (outcome.results["k"] == 1)
        & (outcome.results["direction"] == "t2v")
    )["value"].mean()  # fmt: skip
    projected = seconds * 20 / cfg.epochs
    return [
        f"paper_cell: {seconds:.0f} s for teacher + C2KD student, {cfg.epochs} epoch(s) each, "
        f"{steps} steps of batch {cfg.batch_size} on {dataset.train.n_clips} clips x "
        f"{size.train_captions} captions x 9 languages; projected 20 epochs: "
        f"{projected / 60:.1f} min (mean t2v R@1 {r1:.3f}, random models)",
    ]


def frozen_sweep(dataset, folders, root: Path, device, device_spec: str, size: Size,
                 precision: str) -> list[str]:  # fmt: skip
    """Three frozen teachers (and the student) encode every caption on the device, then 8
    cells train: encoding throughput and the sweep's wall time."""
    from c2kd_analyze.config import build_config
    from c2kd_analyze.teachers import load_teacher
    from c2kd_analyze.teachers.cache import encode_cached

    names = ("mbert", "xlmr", "labse")
    dirs = dict(zip(names, folders, strict=True))
    texts = [t for split in (dataset.train, dataset.test) for caps in split.captions.values()
             for cap in caps for t in (cap or [])]  # fmt: skip
    lines = []
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folders[0]))  # one tokenizer serves all three
    n_sample = min(len(texts), 20_000)
    n_tokens = sum(len(ids) for ids in tokenizer(texts[:n_sample])["input_ids"])
    for name in names:
        encoder = load_teacher(name, local_dir=dirs[name], device=device, precision=precision)
        tokens = n_tokens * len(texts) / n_sample
        t0 = time.perf_counter()
        encode_cached(encoder, texts)
        _sync(device)
        seconds = time.perf_counter() - t0
        body = encoder.hf_parts()[1]
        flops = 2 * encoder_params(body) * tokens
        lines.append(
            f"frozen_sweep[encode {name}]: {len(texts):,} captions in {seconds:.1f} s "
            f"({len(texts) / seconds:,.0f} captions/s, {tokens / seconds:,.0f} tokens/s, "
            f"{flops / seconds / 1e12:.1f} model TFLOP/s incl. tokenising and caching)"
        )
        del encoder
    cfg = build_config(
        "demo", teachers=",".join(names), student="labse", epochs=size.sweep_epochs,
        projection_dim=size.width, video_width=size.width,
        dataset_options={"n_train": size.n_train, "n_test": size.n_test,
                         "train_captions": size.train_captions},
    )  # fmt: skip
    outcome, seconds = _run(cfg, root / "frozen-sweep", dataset, dirs, device_spec)
    lines.append(
        f"frozen_sweep: {len(outcome.cells_run)} cells in {seconds:.0f} s after encoding "
        f"({size.sweep_epochs} epoch(s) each, frozen mode, encodings read from the cache)"
    )
    return lines


def run(size: Size, device_spec: str, work: Path, parts: set[str]) -> list[str]:
    from c2kd_analyze.data import load_dataset
    from c2kd_analyze.devices import describe_device, resolve_device, resolve_precision

    os.environ.setdefault("C2KD_CACHE", str(work / "cache"))
    device = resolve_device(device_spec)
    precision = resolve_precision("auto", device)
    info = describe_device(device)
    lines = [f"# device {info['device']} ({info['name']}), precision {precision}"]
    t0 = time.perf_counter()
    dataset = load_dataset("demo", n_train=size.n_train, n_test=size.n_test,
                           train_captions=size.train_captions)  # fmt: skip
    lines.append(f"# demo {size.n_train}/{size.n_test} clips x {size.train_captions} captions "
                 f"built in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    t0 = time.perf_counter()
    folders = build_models(work / "models", dataset, size, 3)
    lines.append(f"# tokenizer + 3 models ({size.layers} layers) built in "
                 f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    print("\n".join(lines), flush=True)
    for name, part in (
        ("step", lambda: gpu_step(dataset, folders[0], device, size, precision)),
        ("paper", lambda: paper_cell(dataset, folders, work, device_spec, size)),
        ("sweep", lambda: frozen_sweep(dataset, folders, work, device, device_spec, size,
                                       precision)),
    ):  # fmt: skip
        if name not in parts:
            continue
        t0 = time.perf_counter()
        for line in part():
            print(line, flush=True)
            lines.append(line)
        print(f"# {name} took {time.perf_counter() - t0:.0f} s", flush=True)
    return lines


def _cuda_benchmark(quick: bool) -> list[str]:
    """For ``benchmarks/run.py`` on a CUDA machine (``--quick``: the training step only)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = {"step"} if quick else {"step", "paper", "sweep"}
        return run(GPU, "cuda", Path(tmp), parts)


def _registry() -> dict:
    try:
        import torch
    except ImportError:
        return {}
    return {"gpu": _cuda_benchmark} if torch.cuda.is_available() else {}


BENCHMARKS = _registry()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="toy sizes on the CPU (< 1 min)")
    parser.add_argument("--device", default=None, help="default: cuda, or cpu with --cpu-smoke")
    parser.add_argument("--parts", default="step,paper,sweep", help="which parts to run")
    parser.add_argument("--paper-epochs", type=int, default=None)
    parser.add_argument("--sweep-epochs", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="timed steps per side")
    parser.add_argument("--work", default=None, help="folder for models, runs and cache")
    args = parser.parse_args()
    size = SMOKE if args.cpu_smoke else GPU
    changes = {k: v for k, v in (("paper_epochs", args.paper_epochs),
                                 ("sweep_epochs", args.sweep_epochs), ("steps", args.steps))
               if v is not None}  # fmt: skip
    size = dataclasses.replace(size, **changes)
    device = args.device or ("cpu" if args.cpu_smoke else "cuda")
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        lines = run(size, device, work, parts)
    print("\n# summary")
    for line in lines:
        print(line)
    print(f"# bench_gpu took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
