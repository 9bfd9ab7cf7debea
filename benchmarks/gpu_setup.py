"""What the GPU benchmark's phases share: sizes, the data and model built in-process, timing,
and the project's training step on one batch size (see bench_gpu.py)."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LABSE_VOCAB = 501_153


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


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_s(fn, n: int, warmup: int, device) -> float:
    """Median seconds per call of ``fn(i)`` after ``warmup`` calls (device synchronised)."""
    for i in range(warmup):
        fn(i)
    sync(device)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(warmup + i)
        sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed(fn):
    """(result, seconds) of ``fn()``."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


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
        from c2kd_analyze.distill.train import TrainRecipe

        return TrainRecipe(
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


def project_side(bench: Bench, batch: int, languages=None, teacher: bool = True):
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

    seconds = median_s(one, bench.size.steps, bench.size.warmup, bench.device)
    return seconds, encoder_params(model.text.encoder), (model, one)


def free(device) -> None:
    import gc

    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
