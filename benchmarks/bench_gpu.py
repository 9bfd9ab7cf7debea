"""``gpu_step`` and the paper cell: the project's full-mode training on an accelerator, measured.

    python benchmarks/bench_gpu.py [--sync-check]   # on a CUDA machine (about 2-4 min, H200)
    python benchmarks/bench_gpu.py --cpu-smoke      # the same code at toy size on a CPU

Everything is built here, nothing is downloaded: the demo captions in MSR-VTT's shape (20
captions per clip, 9 languages), a WordPiece tokenizer trained on them in-process (the
``tokenizers`` library) and a randomly initialised BERT of LaBSE's size (hidden 768, 12 layers,
LaBSE's 501,153-row vocabulary). Only torch, transformers (with tokenizers and safetensors) and
numpy are needed besides this package's training code: no polars, platformdirs or pydantic.

Phases (each prints its lines when it ends, so a run cut short still reports):

``gpu_step``: at batch 64 and 128 in the device's precision (bf16 on CUDA), median seconds per
    step of three sides on the same batches (the same real tokens and padding):
    ``project`` -- :func:`c2kd_analyze.distill.train.train_step`, 9 languages, captions cut at 35
    tokens, one cached teacher; ``bare`` -- :mod:`gpu_bare`, the same step written directly,
    independent of the project's model, inputs prepared before the timed loop, fused Adam;
    ``before`` -- :mod:`per_language`, the project's step as it was (one text forward per
    language). It prints real and padded tokens per step and model TFLOP/s on real tokens
    (6 x encoder parameters x real tokens, embeddings excluded). Targets: project <= 1.25 x bare
    at batch 128.
``step_counts``: ops per optimizer step at the dispatcher (:mod:`~c2kd_analyze.distill.
    dispatch_counts`), outside the optimizer: the 9-language C2KD step vs the zero-shot
    (English) step (target <= 1.6x), host reads (target 0) and dense embedding backwards
    (target: the number of embedding tables), for the project and the before side.
``sync_check`` (``--sync-check``, CUDA): three project steps under
    ``torch.cuda.set_sync_debug_mode("error")``: any call that waits for the GPU raises.
``paper_cell``: the parts of a paper-msrvtt run that are not training steps, each measured here
    (tokenising, loading and copying a model, the teachers' cached targets, evaluating 1,000
    test clips in 9 languages, writing a checkpoint), and the per-seed projection: measured step
    time x steps + those fixed costs, every term shown (target <= 30 min).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
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
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # gpu_bare, per_language; run from a checkout

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LABSE_VOCAB = 501_153
#: the paper-msrvtt run projected: 9,000 clips, batch 64, 20 epochs, 20 captions per clip
PAPER = {"clips": 9000, "batch": 64, "epochs": 20, "captions": 20, "test": 1000}
#: its cells for one seed: 3 teachers (translate-train), zero-shot, translate-train, 3 c2kd
#: students and one pooled; 4 encoders (3 teachers, the student); a teacher tokenises the
#: training captions twice (at its limit, and at the students' for the cached targets)
CELLS = {"nine_languages": 8, "english_only": 1}
ENCODERS, TEACHERS, TOKENISATIONS = 4, 3, 7


@dataclasses.dataclass(frozen=True)
class Size:
    hidden: int = 768
    layers: int = 12
    heads: int = 12
    ffn: int = 3072
    vocab: int | None = LABSE_VOCAB  # None: the trained tokenizer's own size
    n_train: int = 1024  # enough clips for the timed batches and the samples below
    n_test: int = 1000
    train_captions: int = 20
    step_batches: tuple[int, ...] = (64, 128)
    steps: int = 20  # timed steps per side
    warmup: int = 5
    tokenizer_vocab: int = 30_000
    width: int = 512  # the video tower's width and the projection, as the paper


GPU = Size()
# 12 layers even here: op counts grow with depth, not width
SMOKE = Size(hidden=32, layers=12, heads=2, ffn=64, vocab=None, n_train=96, n_test=40,
             train_captions=2, step_batches=(16, 32), steps=5, warmup=1, tokenizer_vocab=2_000,
             width=32)  # fmt: skip
#: the bundled student's shape (me5-small: 12 layers, 384 wide, XLM-R's 250,037 pieces) at the
#: batch a CPU can take: the project's CPU step against the step it replaced
ME5_CPU = Size(hidden=384, layers=12, heads=12, ffn=1536, vocab=250_037, n_train=96, n_test=40,
               train_captions=2, step_batches=(16,), steps=5, warmup=1, tokenizer_vocab=2_000,
               width=256)  # fmt: skip
SIZES = {"gpu": GPU, "smoke": SMOKE, "me5-cpu": ME5_CPU}


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_s(fn, n: int, warmup: int, device) -> float:
    """Median seconds per call of ``fn(i)`` after ``warmup`` calls (device synchronised)."""
    for i in range(warmup):
        fn(i)
    _sync(device)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(warmup + i)
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _timed(fn):
    """(result, seconds) of ``fn()``."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# -- data and model ------------------------------------------------------------------------------
def build_dataset(size: Size):
    """The demo set with ``size``'s clips and MSR-VTT's captions per clip, generated in memory."""
    from c2kd_analyze.data.demo.build import DemoOptions, assemble, generate

    opts = DemoOptions(n_train=size.n_train, n_test=size.n_test,
                       train_captions=size.train_captions)  # fmt: skip
    return assemble(generate(opts), opts)


def build_folder(root: Path, dataset, size: Size) -> Path:
    """A WordPiece tokenizer trained on the captions and a random BERT, saved under ``root``."""
    import torch
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
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=size.vocab or tok.get_vocab_size(), hidden_size=size.hidden,
        num_hidden_layers=size.layers, num_attention_heads=size.heads,
        intermediate_size=size.ffn, max_position_embeddings=512,
    )  # fmt: skip
    folder = root / "bert"
    BertModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def encoder_params(model) -> int:
    """Parameters of the transformer layers (no embeddings): what the FLOP estimate counts."""
    return sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)


@dataclasses.dataclass
class Bench:
    """What every phase shares: data on the device, the tokenised training captions, the
    encoder folder, the teacher targets and the step times measured so far."""

    size: Size
    device: object
    precision: str
    dataset: object
    folder: Path
    work: Path
    texts: object = None
    frames: object = None
    mask: object = None
    targets: object = None
    cap: object = None
    step_s: dict = dataclasses.field(default_factory=dict)  # (batch, kind) -> seconds
    sync_failed: bool = False

    def setup(self) -> None:
        import torch
        import torch.nn.functional as F
        from transformers import AutoTokenizer

        from c2kd_analyze.distill.captions import caption_tables, sample_caption_indices
        from c2kd_analyze.distill.inputs import TokenizedTexts
        from c2kd_analyze.distill.train import TeacherTargets

        split = self.dataset.train
        tables = caption_tables(split, self.dataset.languages)
        tokenizer = AutoTokenizer.from_pretrained(str(self.folder))
        self.texts = TokenizedTexts(tables, tokenizer, 35, "", self.device)
        self.frames = torch.from_numpy(np.ascontiguousarray(split.features[:, :30])).to(self.device)
        self.mask = torch.from_numpy(np.ascontiguousarray(split.mask[:, :30])).to(self.device)
        g = torch.Generator().manual_seed(1)
        w, n_en = self.size.width, len(tables["en"].texts)
        self.targets = TeacherTargets(
            (F.normalize(torch.randn(n_en, w, generator=g), dim=-1).to(self.device),),
            (F.normalize(torch.randn(split.n_clips, w, generator=g), dim=-1).to(self.device),),
        )
        self.cap = sample_caption_indices(tables, np.random.default_rng(0))

    def recipe(self, batch: int, languages=None):
        from c2kd_analyze.distill.train import Recipe

        return Recipe(
            languages=languages or self.dataset.languages, epochs=1, lr=1e-4, lr_decay=0.9,
            batch_size=batch, temperature=0.1, seed=0, balance=0.5, distill_temp=0.1,
            encoder_lr=2e-5, precision=self.precision,
        )  # fmt: skip

    def batches(self, batch: int) -> list[np.ndarray]:
        rng = np.random.default_rng(batch)
        return [rng.choice(self.dataset.train.n_clips, batch, replace=False) for _ in range(8)]

    def project_model(self):
        from transformers import AutoModel

        from c2kd_analyze.distill.models import FineTunedTextTower, RetrievalModel, VideoTower

        body = AutoModel.from_pretrained(str(self.folder))
        w = self.size.width
        text = FineTunedTextTower(body, body.config.hidden_size, w, "mean")
        video = VideoTower(self.dataset.feature_dim, w, width=w)
        return RetrievalModel(text, video).to(self.device)

    def tokens(self, clips: np.ndarray) -> tuple[int, int, int]:
        """(captions, real tokens, padded tokens) of one 9-language step on ``clips``."""
        rows = np.concatenate([
            t.rows(clips, self.cap[clips])[0] + self.texts.offsets[lang]
            for lang, t in self.texts.tables.items()
        ])  # fmt: skip
        real = int(self.texts.all_lengths[rows].sum())
        return len(rows), real, len(rows) * self.texts.width(rows)


# -- (a) the step ------------------------------------------------------------------------------
def _project_side(bench: Bench, batch: int, languages=None, teacher: bool = True):
    """(seconds per step, trainable encoder parameters) of the project's step."""
    from c2kd_analyze.devices import grad_scaler
    from c2kd_analyze.distill.train import BatchEncoder, make_optimizer, train_step

    model = bench.project_model()
    recipe = bench.recipe(batch, languages)
    optimizer = make_optimizer(model, recipe, bench.device)
    scaler, encoder = grad_scaler(bench.device, bench.precision), BatchEncoder(model)
    batches, targets = bench.batches(batch), bench.targets if teacher else None

    def one(i: int):
        clips = batches[i % len(batches)]
        return train_step(encoder, optimizer, scaler, bench.texts, bench.frames, bench.mask,
                          clips, bench.cap[clips], recipe, targets)  # fmt: skip

    seconds = _median_s(one, bench.size.steps, bench.size.warmup, bench.device)
    return seconds, encoder_params(model.text.encoder), (model, one)


def _bare_inputs(bench: Bench, clips: np.ndarray):
    """The project batch's tensors, language-major, on the device (before the timed loop)."""
    import torch

    rows = np.concatenate([
        t.rows(clips, bench.cap[clips])[0] + bench.texts.offsets[lang]
        for lang, t in bench.texts.tables.items()
    ])  # fmt: skip
    index = torch.from_numpy(rows).to(bench.device)
    tokens = bench.texts.gather(index, bench.texts.width(rows))
    at = torch.from_numpy(clips).to(bench.device)
    en_rows, _ = bench.texts.tables["en"].rows(clips, bench.cap[clips])
    teacher = bench.targets.sims(en_rows, clips)
    n_lang = len(bench.texts.tables)
    return tokens["input_ids"], tokens["attention_mask"], bench.frames[at], bench.mask[at], \
        teacher, n_lang  # fmt: skip


def _bare_side(bench: Bench, batch: int) -> float:
    import torch
    from transformers import AutoModel

    import gpu_bare
    from c2kd_analyze.devices import autocast_dtype

    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(str(bench.folder))
    w = bench.size.width
    model = gpu_bare.BareModel(encoder, encoder.config.hidden_size, bench.dataset.feature_dim, w)
    model = model.to(bench.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, fused=True)
    prepared = [_bare_inputs(bench, c) for c in bench.batches(batch)]
    dtype, r = autocast_dtype(bench.precision), bench.recipe(batch)

    def one(i: int):
        return gpu_bare.step(model, optimizer, prepared[i % len(prepared)], dtype,
                             r.temperature, r.distill_temp, r.balance)  # fmt: skip

    return _median_s(one, bench.size.steps, bench.size.warmup, bench.device)


def _before_side(bench: Bench, batch: int):
    import per_language

    model = bench.project_model()
    recipe = bench.recipe(batch)
    optimizer = per_language.optimizer(model, recipe.lr)
    batches = bench.batches(batch)

    def one(i: int):
        clips = batches[i % len(batches)]
        return per_language.step(model, optimizer, bench.texts, bench.frames, bench.mask, clips,
                                 bench.cap[clips], recipe, bench.targets)  # fmt: skip

    return _median_s(one, bench.size.steps, bench.size.warmup, bench.device), (model, one)


def _free(device) -> None:
    import gc

    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def gpu_step(bench: Bench) -> list[str]:
    lines = []
    for batch in bench.size.step_batches:
        project, params, _ = _project_side(bench, batch)
        _free(bench.device)
        bare = _bare_side(bench, batch)
        _free(bench.device)
        before, _ = _before_side(bench, batch)
        _free(bench.device)
        bench.step_s[(batch, "nine")] = project
        n_caps, real, padded = bench.tokens(bench.batches(batch)[0])
        lines.append(
            f"gpu_step[batch={batch}]: ratio={project / bare:.2f} (project={1000 * project:.1f} "
            f"ms, bare={1000 * bare:.1f} ms, before={1000 * before:.1f} ms = "
            f"{before / project:.2f}x project; {n_caps} captions, {real:,} real / {padded:,} "
            f"padded tokens per step, {real / project:,.0f} real tokens/s, "
            f"{6 * params * real / project / 1e12:.2f} model TFLOP/s on real tokens, "
            f"{bench.precision})"
        )
        print(lines[-1], flush=True)
    english, _, _ = _project_side(bench, bench.size.step_batches[0], ("en",), teacher=False)
    _free(bench.device)
    bench.step_s[(bench.size.step_batches[0], "english")] = english
    lines.append(f"gpu_step[batch={bench.size.step_batches[0]},zero-shot]: "
                 f"project={1000 * english:.1f} ms (English captions only, no teacher)")  # fmt: skip
    return lines


# -- (b) what a step asks of the device ------------------------------------------------------
def _counts(one, warmup: int):
    from c2kd_analyze.distill.dispatch_counts import StepCounter

    one(warmup)  # past lazy initialisation
    with StepCounter() as counter:
        for i in range(2):
            one(warmup + 1 + i)
    return counter.steps[-1]


def step_counts(bench: Bench) -> list[str]:
    import torch

    batch = bench.size.step_batches[0]
    runs = {}
    for name, make in (
        ("c2kd", lambda: _project_side(bench, batch)[2]),
        ("zero-shot", lambda: _project_side(bench, batch, ("en",), teacher=False)[2]),
        ("before", lambda: _before_side(bench, batch)[1]),
    ):
        model, one = make()
        runs[name] = _counts(one, bench.size.warmup)
        tables = sum(isinstance(m, torch.nn.Embedding) for m in model.text.encoder.modules())
        del model, one
        _free(bench.device)
    c2kd, zero, before = runs["c2kd"], runs["zero-shot"], runs["before"]
    return [
        f"step_counts[batch={batch}]: ratio={c2kd.ops / zero.ops:.2f} (aten ops per step, 9 "
        f"languages / English only: {c2kd.ops:,} / {zero.ops:,}; target <= 1.6), host_reads="
        f"{c2kd.host_reads} (zero-shot {zero.host_reads}; target 0), embedding_backwards="
        f"{c2kd.embedding_backwards} (embedding tables {tables}); before: {before.ops:,} ops = "
        f"{before.ops / zero.ops:.1f}x, host_reads={before.host_reads}, embedding_backwards="
        f"{before.embedding_backwards}"
    ]


def sync_check(bench: Bench) -> list[str]:
    """Three project steps with every synchronising CUDA call an error."""
    import torch

    if bench.device.type != "cuda":
        return ["sync_check: skipped (not a CUDA device)"]
    _, _, (model, one) = _project_side(bench, bench.size.step_batches[0])
    torch.cuda.synchronize()
    try:
        torch.cuda.set_sync_debug_mode("error")
        for i in range(3):
            one(100 + i)
        torch.cuda.set_sync_debug_mode("default")
        torch.cuda.synchronize()
        line = "sync_check: 3 project steps under set_sync_debug_mode('error'): no sync"
    except RuntimeError as exc:
        torch.cuda.set_sync_debug_mode("default")
        bench.sync_failed = True
        line = f"sync_check: FAILED, a step synchronised: {str(exc).splitlines()[0]}"
    del model, one
    _free(bench.device)
    return [line]


# -- (c) the paper cell -------------------------------------------------------------------------
def _fixed_costs(bench: Bench) -> dict[str, tuple[float, str]]:
    """Seconds per occurrence of each fixed cost of a paper-msrvtt cell, measured here (on
    samples where the paper's size would take long, scaled linearly), and how."""
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    from c2kd_analyze.distill.captions import caption_tables
    from c2kd_analyze.distill.evaluate import embed_test, evaluate
    from c2kd_analyze.distill.inputs import TokenizedTexts, embed_texts, embed_videos

    ds, device, p = bench.dataset, bench.device, bench.precision
    tokenizer = AutoTokenizer.from_pretrained(str(bench.folder))
    tables = caption_tables(ds.train, ds.languages)
    n_caps = sum(len(t.texts) for t in tables.values())
    _, tok_s = _timed(lambda: TokenizedTexts(tables, tokenizer, 35, "", device))
    full_caps = PAPER["clips"] * PAPER["captions"] * len(ds.languages)
    _, load_s = _timed(lambda: AutoModel.from_pretrained(str(bench.folder)))
    model = bench.project_model()
    _, copy_s = _timed(lambda: copy.deepcopy(model).to(device))
    n_en = len(bench.texts.tables["en"].texts)
    _, target_s = _timed(lambda: (embed_texts(model, bench.texts, "en", np.arange(n_en),
                                              precision=p),
                                  embed_videos(model, bench.frames, bench.mask, precision=p)))  # fmt: skip
    target_scale = PAPER["clips"] / ds.train.n_clips
    test_tables = caption_tables(ds.test, ds.languages)
    test_texts = TokenizedTexts(test_tables, tokenizer, 40, "", device)
    frames = bench.frames.new_tensor(np.ascontiguousarray(ds.test.features[:, :30]))
    mask = bench.mask.new_tensor(np.ascontiguousarray(ds.test.mask[:, :30]))

    def evaluation():
        emb = embed_test(model, test_texts, frames, mask, ds.languages, precision=p)
        return evaluate(emb, ds.test.n_queries, ("t2v", "v2t"))

    _, eval_s = _timed(evaluation)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    _, save_s = _timed(lambda: save_file(state, str(bench.work / "checkpoint.safetensors")))
    eval_scale = PAPER["test"] / ds.test.n_clips
    return {
        "tokenising": (tok_s * full_caps / n_caps,
                       f"{n_caps:,} captions in {tok_s:.1f} s, scaled to {full_caps:,}"),
        "model loading": (load_s, f"from_pretrained of the {bench.folder.name} folder"),
        "model copy": (copy_s, "deepcopy + to(device), one per cell"),
        "teacher targets": (target_s * target_scale,
                            f"{n_en:,} English captions + {ds.train.n_clips:,} clips in "
                            f"{target_s:.1f} s, scaled to {PAPER['clips']:,} clips"),
        "evaluation": (eval_s * eval_scale, f"{ds.test.n_clips:,} test clips x 9 languages, both "
                       f"directions, in {eval_s:.1f} s"),
        "checkpoint": (save_s, "fp32 safetensors of the whole model"),
    }  # fmt: skip


def paper_cell(bench: Bench) -> list[str]:
    batch = PAPER["batch"]
    if (batch, "nine") not in bench.step_s:
        bench.step_s[(batch, "nine")] = _project_side(bench, batch)[0]
        bench.step_s[(batch, "english")] = _project_side(bench, batch, ("en",), False)[0]
        _free(bench.device)
    nine, english = bench.step_s[(batch, "nine")], bench.step_s[(batch, "english")]
    steps = PAPER["epochs"] * (PAPER["clips"] // batch)
    cells = CELLS["nine_languages"] + CELLS["english_only"]
    costs = _fixed_costs(bench)
    _free(bench.device)
    times = {"count": {"tokenising": TOKENISATIONS, "model loading": ENCODERS,
                       "model copy": cells, "teacher targets": TEACHERS, "evaluation": cells,
                       "checkpoint": cells}}  # fmt: skip
    train = steps * (CELLS["nine_languages"] * nine + CELLS["english_only"] * english)
    lines = [
        f"paper_cell[training]: {CELLS['nine_languages']} cells x {steps:,} steps x "
        f"{1000 * nine:.1f} ms (9-language step, batch {batch}, measured) + "
        f"{CELLS['english_only']} x {steps:,} x {1000 * english:.1f} ms (zero-shot step) = "
        f"{train / 60:.1f} min"
    ]
    fixed = 0.0
    for name, (seconds, how) in costs.items():
        count = times["count"][name]
        fixed += count * seconds
        lines.append(f"paper_cell[{name}]: {count} x {seconds:.1f} s = {count * seconds / 60:.2f} "
                     f"min ({how})")  # fmt: skip
    total = train + fixed
    lines.append(
        f"paper_cell: projected {total / 60:.1f} min per seed of paper-msrvtt (target <= 30 on "
        f"an H200): training {train / 60:.1f} min + fixed costs {fixed / 60:.1f} min; "
        f"{cells} cells, the teachers' steps taken as the students' (same model size here), "
        f"data loading not included"
    )
    return lines


PHASES = {"step": gpu_step, "counts": step_counts, "sync": sync_check, "paper": paper_cell}


def run(size: Size, device_spec: str, work: Path, parts: list[str]) -> list[str]:
    from c2kd_analyze.devices import describe_device, resolve_device, resolve_precision

    device = resolve_device(device_spec)
    precision = resolve_precision("auto", device)
    info = describe_device(device)
    import torch
    import transformers

    lines = [f"# device {info['device']} ({info['name']}), precision {precision}, torch "
             f"{torch.__version__}, transformers {transformers.__version__}"]  # fmt: skip
    print(lines[0], flush=True)
    dataset, seconds = _timed(lambda: build_dataset(size))
    lines.append(f"# data: {size.n_train} train clips x {size.train_captions} captions x 9 "
                 f"languages, {size.n_test} test clips, built in {seconds:.1f} s")  # fmt: skip
    print(lines[-1], flush=True)
    folder, seconds = _timed(lambda: build_folder(work, dataset, size))
    lines.append(f"# tokenizer + BERT ({size.layers} layers, hidden {size.hidden}) built in "
                 f"{seconds:.1f} s")  # fmt: skip
    print(lines[-1], flush=True)
    bench = Bench(size, device, precision, dataset, folder, work)
    _, seconds = _timed(bench.setup)
    lines.append(f"# captions tokenised and moved to the device in {seconds:.1f} s")
    print(lines[-1], flush=True)
    for name in parts:
        t0 = time.perf_counter()
        for line in PHASES[name](bench):
            if not line.startswith("gpu_step["):  # gpu_step prints its lines as they come
                print(line, flush=True)
            lines.append(line)
        print(f"# {name} took {time.perf_counter() - t0:.0f} s", flush=True)
    if bench.sync_failed:
        lines.append("# sync_check FAILED")
    return lines


def _cuda_benchmark(quick: bool) -> list[str]:
    """For ``benchmarks/run.py`` on a CUDA machine (``--quick``: the step only)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = ["step"] if quick else ["step", "counts", "paper"]
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
    parser.add_argument("--cpu-smoke", action="store_true", help="toy sizes on the CPU")
    parser.add_argument("--size", choices=list(SIZES), default=None,
                        help="gpu (default), smoke (= --cpu-smoke) or me5-cpu")  # fmt: skip
    parser.add_argument("--device", default=None, help="default: cuda, or cpu with --cpu-smoke")
    parser.add_argument("--parts", default="step,counts,paper", help=f"of {','.join(PHASES)}")
    parser.add_argument("--sync-check", action="store_true", help="add the sync check (CUDA)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per side")
    parser.add_argument("--work", default=None, help="folder for the model and checkpoint")
    args = parser.parse_args()
    size = SIZES[args.size or ("smoke" if args.cpu_smoke else "gpu")]
    if args.steps is not None:
        size = dataclasses.replace(size, steps=args.steps)
    device = args.device or ("cuda" if size is GPU else "cpu")
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if args.sync_check and "sync" not in parts:
        parts.insert(1, "sync")
    unknown = set(parts) - set(PHASES)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; known: {', '.join(PHASES)}")
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        work = Path(args.work) if args.work else Path(stack.enter_context(
            tempfile.TemporaryDirectory()))  # fmt: skip
        lines = run(size, device, work, parts)
    print("\n# summary")
    for line in lines:
        print(line)
    print(f"# bench_gpu took {time.perf_counter() - t0:.0f} s")
    if any(line == "# sync_check FAILED" for line in lines):
        sys.exit(1)


if __name__ == "__main__":
    main()
