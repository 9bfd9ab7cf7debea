"""Build the demo dataset from a seed and cache it (npz, parquet, json; checksummed; no pickle)."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ...paths import cache_dir
from ..types import Dataset, Split
from ..validate import check_dataset_consistency, pack_flat
from .actions import LANGS
from .features import clip_frames, make_world
from .noise import NOISE_RATES
from .recipes import LATENT_KEYS, sample_latents, write_captions

log = logging.getLogger(__name__)

#: Bump when generation changes, so old caches are not reused.
DEMO_VERSION = 1
DESCRIPTION = (
    "synthetic multilingual cooking clips (generated, in the spirit of Multi-YouCook2): "
    "hand-written lexicons, 9 languages, CLIP-like 512-d frame features"
)


@dataclass(frozen=True)
class DemoOptions:
    n_train: int = 2000
    n_test: int = 500
    seed: int = 0
    train_captions: int = 1  # captions per training clip (test clips always have one)
    noise: float = 1.0  # scales every language's translation-noise rate (0: exact translations)

    def validate(self) -> DemoOptions:
        """UserError unless every option is valid (the same schema as ``--dataset-option``)."""
        from ..options import DEMO_OPTIONS, parse_options

        parse_options("demo", DEMO_OPTIONS, asdict(self))
        return self

    @property
    def key(self) -> str:
        return (f"demo-v{DEMO_VERSION}-seed{self.seed}-train{self.n_train}-test{self.n_test}"
                f"-caps{self.train_captions}-noise{float(self.noise)!r}")  # fmt: skip

    def noise_rates(self) -> dict[str, float]:
        """Per-language probability that a slot is mistranslated, after scaling by ``noise``."""
        return {lang: min(1.0, rate * self.noise) for lang, rate in NOISE_RATES.items()}


@dataclass(frozen=True)
class RawSplit:
    """A generated split before packing: latent content, frames clip after clip, captions."""

    latent: dict[str, np.ndarray]  # LATENT_KEYS -> (n_clips,) int64
    frames: np.ndarray  # (n_frames_total, 512) float16
    offsets: np.ndarray  # (n_clips + 1,) int64
    captions: dict[str, list[list[str]]]


def generate(opts: DemoOptions) -> dict[str, RawSplit]:
    """Generate both splits. Train and test are different recipe videos; each part (latent
    content, captions, features) draws from its own stream, so e.g. more captions per clip leave
    the clips and features unchanged."""
    world_ss, *split_ss = np.random.SeedSequence([opts.seed, DEMO_VERSION]).spawn(3)
    world = make_world(np.random.default_rng(world_ss))
    out = {}
    for name, n, n_caps, ss in (
        ("train", opts.n_train, opts.train_captions, split_ss[0]),
        ("test", opts.n_test, 1, split_ss[1]),
    ):
        lat_ss, cap_ss, feat_ss = ss.spawn(3)
        latent = sample_latents(n, np.random.default_rng(lat_ss))
        captions = write_captions(latent, n_caps, cap_ss, opts.noise_rates())
        frames, offsets = clip_frames(world, latent, np.random.default_rng(feat_ss))
        out[name] = RawSplit(latent, frames, offsets, captions)
    return out


def clip_ids(name: str, recipe: np.ndarray) -> tuple[str, ...]:
    """``demo-test-r0012-s3``: recipe video 12, its step 3."""
    starts = np.flatnonzero(np.r_[True, recipe[1:] != recipe[:-1]])
    step = np.arange(len(recipe)) - np.repeat(starts, np.diff(np.r_[starts, len(recipe)]))
    return tuple(
        f"demo-{name}-r{r:04d}-s{s}" for r, s in zip(recipe.tolist(), step.tolist(), strict=True)
    )


def assemble(raw: dict[str, RawSplit], opts: DemoOptions) -> Dataset:
    splits = {}
    for name, part in raw.items():
        features, mask = pack_flat(part.frames.astype(np.float32), part.offsets)
        ids = clip_ids(name, part.latent["recipe"])
        captions: dict[str, list[list[str] | None]] = {
            lang: list(part.captions[lang]) for lang in LANGS
        }
        splits[name] = Split(ids, features, mask, captions, n_queries=len(ids))
    info = {
        "description": DESCRIPTION,
        "synthetic": "yes: synthetic captions and features, generated, not real video",
        "generator": f"c2kd_analyze.data.demo v{DEMO_VERSION}",
        "seed": str(opts.seed),
        "train_captions_per_clip": str(opts.train_captions),
        "translation_noise": f"x{opts.noise:g}: "
        + ", ".join(f"{k} {v:.2f}" for k, v in opts.noise_rates().items()),
    }
    ds = Dataset(
        name="demo", languages=LANGS, train=splits["train"], test=splits["test"],
        feature_kind="synthetic", synthetic=True, source=f"generated ({opts.key})", info=info,
    )  # fmt: skip
    return check_dataset_consistency(ds, "demo")


def _folder(opts: DemoOptions) -> Path:
    return cache_dir() / "datasets" / opts.key


def _write_cache(folder: Path, raw: dict[str, RawSplit]) -> None:
    import polars as pl

    from ... import io

    arrays = {}
    rows: dict[str, list] = {"split": [], "clip": [], "lang": [], "idx": [], "text": []}
    for name, part in raw.items():
        arrays[f"{name}_frames"], arrays[f"{name}_offsets"] = part.frames, part.offsets
        arrays.update({f"{name}_{k}": v for k, v in part.latent.items()})
        for lang, per_clip in part.captions.items():
            for clip, caps in enumerate(per_clip):
                for j, text in enumerate(caps):
                    for col, val in zip(rows, (name, clip, lang, j, text), strict=True):
                        rows[col].append(val)
    io.write_npz(folder / "arrays.npz", **arrays)
    io.write_parquet(folder / "captions.parquet", pl.DataFrame(rows))
    io.write_json(
        folder / "done.json", {"version": DEMO_VERSION}
    )  # written last: marks a full cache


def _read_cache(folder: Path) -> dict[str, RawSplit]:
    from ... import io

    io.read_json(folder / "done.json")
    arrays = io.read_npz(folder / "arrays.npz")
    table = io.read_parquet(folder / "captions.parquet").sort(["split", "lang", "clip", "idx"])
    out = {}
    for name in ("train", "test"):
        latent = {k: arrays[f"{name}_{k}"] for k in LATENT_KEYS}
        n = len(latent["action"])
        captions: dict[str, list[list[str]]] = {lang: [[] for _ in range(n)] for lang in LANGS}
        part = table.filter(table["split"] == name)
        for lang, clip, text in zip(part["lang"], part["clip"], part["text"], strict=True):
            captions[lang][clip].append(text)
        out[name] = RawSplit(latent, arrays[f"{name}_frames"], arrays[f"{name}_offsets"], captions)
    return out


def load_demo(
    n_train: int = 2000,
    n_test: int = 500,
    seed: int = 0,
    train_captions: int = 1,
    noise: float = 1.0,
) -> Dataset:
    """The demo dataset: from the cache if it is there and intact, else generated and cached.

    Splits: ``n_train`` training clips with ``train_captions`` captions each, ``n_test`` test
    clips with one caption each, in 9 languages; features (n, <=30, 512) float32. ``noise``
    scales the translation-noise rates (0: every caption is an exact translation of English).
    """
    opts = DemoOptions(n_train, n_test, seed, train_captions, float(noise))
    return assemble(load_raw(opts), opts)


def load_raw(opts: DemoOptions) -> dict[str, RawSplit]:
    """Generated splits with their latent content (the tests' oracles read it)."""
    from filelock import FileLock

    from ...io import CorruptFileError, disk_errors

    opts.validate()
    folder = _folder(opts)
    # A complete entry is read without the lock, so a read-only cache that holds it works: its
    # files are checksummed and only ever replaced whole (renamed into place, done.json last),
    # by a regeneration that writes the same content. The lock is only for generating it.
    try:
        return _read_cache(folder)
    except (OSError, CorruptFileError):
        pass  # absent, unfinished or damaged: generate it under the lock
    with disk_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
    with disk_errors(folder), FileLock(str(folder) + ".lock"):  # a refused lock: one line too
        try:
            return _read_cache(folder)
        except (FileNotFoundError, CorruptFileError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("demo cache %s is damaged (%s); generating it again", folder, exc)
        start = time.perf_counter()
        raw = generate(opts)
        _write_cache(folder, raw)
        log.info("generated demo dataset %s in %.1fs", opts.key, time.perf_counter() - start)
        return raw
