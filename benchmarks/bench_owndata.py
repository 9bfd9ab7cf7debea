"""Building your own data, with tiny models built here (nothing is downloaded): length-ordered
token batches vs fixed-size batches in input order for translation, frames batched across videos
vs one forward pass per frame for extraction, and a warm cache vs a cold one for both."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data" / "owndata"))


def _captions(n: int) -> list[str]:
    """``n`` distinct captions of 1 to about 40 words (lengths spread, as real captions are)."""
    from c2kd_analyze.teachers.parallel_captions import PARALLEL_CAPTIONS

    words = " ".join(PARALLEL_CAPTIONS["en"]).split()
    return [" ".join(words[(7 * i) % len(words) :][: 1 + (i * 13) % 40]) + f" {i}."
            for i in range(n)]  # fmt: skip


def _translate_batching(quick: bool) -> list[str]:
    import torch
    from owndata_models import build_tiny_nllb

    from c2kd_analyze.data.translate.batching import token_batches
    from c2kd_analyze.data.translate.model import Seq2Seq
    from c2kd_analyze.data.translate.source import resolve_translator

    texts = _captions(96 if quick else 384)
    with tempfile.TemporaryDirectory() as tmp:
        # wide enough that arithmetic, not the generation loop's overhead, takes the time
        folder = build_tiny_nllb(Path(tmp) / "m", width=512, layers=3)
        source = resolve_translator(str(folder), "en", "de")
        engine = Seq2Seq(source, torch.device("cpu"), "fp32")
        lengths = engine.token_lengths(texts, "en", "de")
        sorted_batches = token_batches(lengths, max_tokens=32 * 24)
        fixed = [list(range(i, min(i + 32, len(texts)))) for i in range(0, len(texts), 32)]
        timings, padding = {}, {}
        for name, batches in (("token-batches", sorted_batches), ("fixed-32", fixed)):
            t0 = time.perf_counter()
            for batch in batches:
                engine.translate([texts[i] for i in batch], "en", "de", beams=1)
            timings[name] = time.perf_counter() - t0
            padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
            padding[name] = 1 - sum(lengths) / padded
    a, b = timings["token-batches"], timings["fixed-32"]
    return [
        f"translate_batching: ratio={b / a:.2f} (fixed-32 in input order={b:.2f}s, "
        f"{padding['fixed-32']:.0%} padding; length-ordered token batches={a:.2f}s, "
        f"{padding['token-batches']:.0%} padding; {len(texts)} captions, NLLB layout 512 wide "
        "x 3+3 layers, greedy)"
    ]


def _translate_cache(quick: bool) -> list[str]:
    from owndata_models import build_tiny_nllb, write_example

    from c2kd_analyze.data.translate.pipeline import translate_captions

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["C2KD_CACHE"] = str(Path(tmp) / "cache")
        model = str(build_tiny_nllb(Path(tmp) / "m"))
        _, data = write_example(Path(tmp))
        runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            translate_captions(data, "de,fr,zh", model=model, beams=2, progress=False)
            runs.append(time.perf_counter() - t0)
    return [
        f"translate_cache: ratio={runs[0] / runs[1]:.1f} (cold={runs[0]:.2f}s, "
        f"warm={runs[1]:.2f}s: 12 captions into 3 languages, beams 2; warm loads no model)"
    ]


def _extract(quick: bool) -> list[str]:
    import torch
    from owndata_models import write_video
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    from c2kd_analyze.data.frames.extract import extract_features

    n_videos = 8 if quick else 24
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["C2KD_CACHE"] = str(root / "cache")
        torch.manual_seed(0)  # a small ViT at CLIP's input size (224 px, patch 32)
        config = CLIPVisionConfig(hidden_size=128, intermediate_size=256, num_hidden_layers=4,
                                  num_attention_heads=4, image_size=224, patch_size=32,
                                  projection_dim=64)  # fmt: skip
        CLIPVisionModelWithProjection(config).eval().save_pretrained(root / "m")
        CLIPImageProcessor().save_pretrained(root / "m")
        for i in range(n_videos):
            write_video(root / "v" / f"c{i:02d}.mp4", n_frames=96, fps=24, size=(160, 120), seed=i)
        timings = {}
        for name, batch in (("batch-1", 1), ("batch-64", 64), ("warm", 64)):
            if name != "warm":
                os.environ["C2KD_CACHE"] = str(root / f"cache-{name}")
            t0 = time.perf_counter()
            extract_features(root / "v", root / f"out-{name}", model=str(root / "m"), fps=4.0,
                             batch_size=batch, progress=False)  # fmt: skip
            timings[name] = time.perf_counter() - t0
    a, b, w = timings["batch-64"], timings["batch-1"], timings["warm"]
    lines.append(
        f"extract_batching: ratio={b / a:.2f} (one frame per forward pass={b:.2f}s, "
        f"64 frames across videos={a:.2f}s; {n_videos} videos x 16 frames, 224 px ViT)"
    )
    lines.append(
        f"extract_cache: ratio={a / w:.1f} (cold={a:.2f}s, warm={w:.2f}s: the rerun "
        "hashes the videos, decodes none and loads no model)"
    )
    return lines


BENCHMARKS = {
    "translate_batching": _translate_batching,
    "translate_cache": _translate_cache,
    "extract": _extract,
}
