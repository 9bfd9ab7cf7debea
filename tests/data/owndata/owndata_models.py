"""Tiny, randomly initialised translation and image models with real tokenizers and image
processors, and short real video files: what the own-data tests (and the bad-input matrix) run.

No weights or tokenizers ship for these families offline, so the tokenizers are trained here,
in-process, on the project's parallel check captions (a few hundred pieces; milliseconds):

- NLLB layout: ``M2M100ForConditionalGeneration`` + ``NllbTokenizer`` (BPE with NLLB's 202
  language tokens), the target language forced as the first generated token;
- MADLAD layout: ``T5ForConditionalGeneration`` + a Unigram ``T5Tokenizer`` whose vocabulary
  holds ``<2xx>`` target tokens, put before the source text;
- Marian layout: ``MarianMTModel`` + ``MarianTokenizer`` over two SentencePiece models trained
  with ``sentencepiece`` (one translation direction, no language tokens);
- CLIP and SigLIP vision towers with their (PIL) image processors, 32 x 32 pixels.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

LANG_TOKENS = ("<2en>", "<2de>", "<2fr>", "<2zh>", "<2ja>")


def _texts() -> list[str]:
    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    texts = [t for lang in PARALLEL_CAPTIONS.values() for t in lang]
    return texts + [t.capitalize() for t in texts] + [t.upper() for t in texts[:24]]


def _bpe_vocab_merges(vocab_size: int = 700):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"]
    )
    tok.train_from_iterator(_texts() * 2, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    return model["vocab"], [
        tuple(m) if isinstance(m, list) else tuple(m.split()) for m in model["merges"]
    ]


def build_tiny_nllb(folder: Path, seed: int = 0, width: int = 32, layers: int = 1) -> Path:
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    vocab, merges = _bpe_vocab_merges()
    tok = NllbTokenizer(vocab=vocab, merges=merges)
    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=len(tok),
        d_model=width,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=2 * width,
        decoder_ffn_dim=2 * width,
        max_position_embeddings=256,
        pad_token_id=tok.pad_token_id,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
    )
    M2M100ForConditionalGeneration(config).eval().save_pretrained(folder)
    tok.save_pretrained(str(folder))
    return folder


def build_tiny_madlad(folder: Path, seed: int = 1) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    uni = Tokenizer(models.Unigram())
    uni.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=600, special_tokens=["<pad>", "</s>", "<unk>", *LANG_TOKENS], unk_token="<unk>"
    )
    uni.train_from_iterator(_texts() * 2, trainer=trainer)
    vocab = [(piece, score) for piece, score in json.loads(uni.to_str())["model"]["vocab"]]
    tok = T5Tokenizer(vocab=vocab, extra_ids=0)
    tok.add_tokens(list(LANG_TOKENS))  # whole tokens, as MADLAD's user-defined symbols are
    torch.manual_seed(seed)
    config = T5Config(
        vocab_size=len(tok),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
    )
    T5ForConditionalGeneration(config).eval().save_pretrained(folder)
    tok.save_pretrained(str(folder))
    return folder


def _spm(texts: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        bos_id=-1,
        eos_id=1,
        unk_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    return model.getvalue()


def build_tiny_marian(folder: Path, seed: int = 2) -> Path:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    data = _spm(_texts(), 300)
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(data)
    sp = spm.SentencePieceProcessor(model_proto=data)
    pieces = ["</s>", "<unk>", *[sp.id_to_piece(i) for i in range(sp.get_piece_size())], "<pad>"]
    vocab = {p: i for i, p in enumerate(dict.fromkeys(pieces))}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tok = MarianTokenizer(
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"),
        source_lang="en",
        target_lang="de",
    )
    torch.manual_seed(seed)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=256,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=vocab["</s>"],
    )
    MarianMTModel(config).eval().save_pretrained(folder)
    tok.save_pretrained(str(folder))
    return folder


def build_tiny_clip(folder: Path, seed: int = 3) -> Path:
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
        projection_dim=24,
    )
    CLIPVisionModelWithProjection(config).eval().save_pretrained(folder)
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    return folder


def build_tiny_siglip(folder: Path, seed: int = 4) -> Path:
    import torch
    from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

    torch.manual_seed(seed)
    config = SiglipVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    SiglipVisionModel(config).eval().save_pretrained(folder)
    SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def frame_value(i: int) -> int:
    """The grey level of frame ``i`` of :func:`write_video` (frames are told apart by it)."""
    return 16 + 8 * (i % 28)


def write_video(
    path: Path,
    n_frames: int = 24,
    fps: int = 12,
    size: tuple[int, int] = (48, 32),
    codec: str = "mpeg4",
    seed: int = 0,
) -> Path:
    """A short real video: frame ``i`` is flat grey ``frame_value(i)`` with a bar whose place
    depends on ``seed`` (so clips differ), encoded with PyAV."""
    import av

    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"qscale": "1"} if codec == "mpeg4" else {}
        for i in range(n_frames):
            img = np.full((height, width, 3), frame_value(i), np.uint8)
            x = (seed * 7) % (width - 8)
            img[:, x : x + 8] = 255 - frame_value(i)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


#: English captions of the worked example's clips (cooking steps), by clip id
CAPTIONS = {
    "c00": "Chop the onions on the board.",
    "c01": "Fry the eggs in the pan.",
    "c02": "Boil the rice in a pot.",
    "c03": "Peel the carrots over the sink.",
    "c04": "Slice the fish with a sharp knife.",
    "c05": "Stir the beans with a spoon.",
    "c06": "Whisk the eggs in a bowl.",
    "c07": "Wash the rice under cold water.",
    "c08": "Grate the cheese onto the pasta.",
    "c09": "Add salt to the soup.",
    "c10": "Bake the bread in the oven.",
    "c11": "Pour the milk into the bowl.",
}


def write_example(root: Path, n_test: int = 4) -> tuple[Path, Path]:
    """The worked example's inputs: ``root/myvideos/<clip>.mp4`` and ``root/mydata/captions.csv``
    (English only; the last ``n_test`` clips are test). Returns (videos, data folder)."""
    videos, data = root / "myvideos", root / "mydata"
    data.mkdir(parents=True, exist_ok=True)
    lines = ["clip_id,lang,caption,split"]
    for i, (clip, text) in enumerate(CAPTIONS.items()):
        write_video(videos / f"{clip}.mp4", n_frames=12 + 3 * i, seed=i)
        split = "test" if i >= len(CAPTIONS) - n_test else "train"
        lines.append(f"{clip},en,{text},{split}")
    (data / "captions.csv").write_text("\n".join(lines) + "\n")
    return videos, data
