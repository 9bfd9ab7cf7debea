"""``features extract``: frame features of every video in a folder, for the generic format (see
:func:`extract_features`)."""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UserError
from ...progress import progress_bar
from .decode import (
    VIDEO_SUFFIXES,
    BadVideo,
    Probe,
    Sampling,
    check_sampling,
    probe,
    require_av,
    sample_frames,
)
from .registry import DEFAULT_TOWER
from .source import TowerSource, resolve_tower
from .store import MANIFEST, FrameCache, check_out, file_sha256, write_outputs

if TYPE_CHECKING:
    from .tower import ImageTower

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Video:
    clip_id: str  # the file name without its extension
    path: Path
    sha256: str
    info: Probe


@dataclass(frozen=True)
class ExtractReport:
    features: Path
    manifest: Path
    model_id: str
    dim: int
    clips: int
    decoded: int  # videos decoded and embedded in this call
    cached: int  # videos read from the cache
    skipped: tuple[tuple[str, str], ...]  # (file, why)
    frames: tuple[int, int, float]  # min, max, mean per clip
    device: str
    precision: str
    seconds: float

    def lines(self) -> list[str]:
        lo, hi, mean = self.frames
        out = [
            f"features: {self.features} ({self.clips} clips x {lo}-{hi} frames, mean {mean:.1f}, "
            f"{self.dim}-d) by {self.model_id} on {self.device} ({self.precision})",
            f"videos decoded {self.decoded}, from cache {self.cached}; manifest {self.manifest}",
        ]
        out += [f"skipped {name}: {why}" for name, why in self.skipped]
        out.append(f"done in {self.seconds:.1f} s")
        return out


def list_videos(video_dir: Path) -> list[Path]:
    if not video_dir.is_dir():
        problem = "is a file, not a folder" if video_dir.exists() else "does not exist"
        raise UserError(f"video folder {video_dir} {problem}; give the folder of your videos")
    videos = sorted(
        p for p in video_dir.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )
    if not videos:
        raise UserError(f"{video_dir} holds no video files ({', '.join(VIDEO_SUFFIXES[:6])}, ...)")
    seen: dict[str, Path] = {}
    for path in videos:
        if path.stem in seen:
            raise UserError(
                f"{seen[path.stem].name} and {path.name} would both be clip "
                f"{path.stem!r}; rename one (the clip id is the file name)"
            )
        seen[path.stem] = path
    return videos


def extract_features(
    video_dir: str | Path,
    out: str | Path,
    *,
    model: str = DEFAULT_TOWER,
    fps: float | None = None,
    frames: int | None = None,
    max_frames: int = 30,
    fmt: str = "safetensors",
    batch_size: int = 64,
    device: str = "auto",
    precision: str = "auto",
    skip_bad: bool = False,
    workers: int = 4,
    progress: bool = True,
) -> ExtractReport:
    """Embed uniformly sampled frames of every video in ``video_dir`` (clip id = file name
    without extension) with the image tower ``model`` and write ``out/features.safetensors``
    (``fmt="npy"``: ``out/features/<clip_id>.npy``), each clip (frames, dim) float32, and
    ``out/features.manifest.json`` (model, revision, sampling, frames per clip, skipped files).

    Every check (options, folders, the model found offline, every video opened and its first
    frame decoded) runs before the model loads; a bad video is a UserError naming it unless
    ``skip_bad``. Each video's features are cached as soon as it is done (key: its bytes, the
    model, the sampling, the precision): an interrupted extraction resumes, a rerun decodes
    nothing. The output is written only at the end, atomically."""
    from ...devices import resolve_device, resolve_precision

    started = time.monotonic()
    if not 1 <= workers <= 64:
        raise UserError(f"--workers must be in [1, 64], got {workers}")
    sampling, out_dir, paths, source = _check(
        video_dir, out, model, fps, frames, max_frames, fmt, batch_size, device, precision
    )
    videos, skipped = _probe_all(paths, skip_bad, workers)
    torch_device = resolve_device(device)
    prec = resolve_precision(precision, torch_device)
    key = {"model_id": source.model_id, "kind": source.kind, "precision": prec,
           "sampling": sampling.record()}  # fmt: skip
    cache = FrameCache(key)
    results = {v.clip_id: got for v in videos if (got := cache.get(v.sha256)) is not None}
    todo = [v for v in videos if v.clip_id not in results]
    fresh: dict[str, dict] = {}
    if todo:
        from .tower import ImageTower

        tower = ImageTower(source, torch_device, prec)
        fresh, bad = _embed_all(tower, todo, sampling, cache, batch_size, workers, skip_bad,
                                progress)  # fmt: skip
        results.update(fresh)
        skipped += bad
    kept = [v for v in videos if v.clip_id in results]
    if not kept:
        raise UserError(f"no video in {video_dir} could be decoded (all {len(paths)} skipped)")
    features = {v.clip_id: results[v.clip_id]["features"] for v in kept}
    manifest = _manifest(source, sampling, prec, fmt, kept, results, skipped)
    target = write_outputs(out_dir, fmt, features, manifest)
    counts = [len(f) for f in features.values()]
    return ExtractReport(
        target, out_dir / MANIFEST, source.model_id, int(features[kept[0].clip_id].shape[1]),
        len(kept), len(fresh), len(videos) - len(todo), tuple(skipped),
        (min(counts), max(counts), sum(counts) / len(counts)), str(torch_device), prec,
        time.monotonic() - started,
    )  # fmt: skip


def _check(video_dir, out, model, fps, frames, max_frames, fmt, batch_size, device, precision):
    """Every check that needs no video decoded and no model loaded: (sampling, the output
    folder, the videos, the image model found)."""
    from ...devices import check_device_spec, check_precision_spec

    sampling = check_sampling(fps, frames, max_frames)
    if not 1 <= batch_size <= 65536:
        raise UserError(f"--batch-size must be in [1, 65536], got {batch_size}")
    check_device_spec(device), check_precision_spec(precision)
    out_dir = Path(out).expanduser()
    check_out(out_dir, fmt)
    paths = list_videos(Path(video_dir).expanduser())
    require_av()
    return sampling, out_dir, paths, resolve_tower(model)


def _probe_all(
    paths: list[Path], skip_bad: bool, workers: int
) -> tuple[list[Video], list[tuple[str, str]]]:
    """Hash and open every video, decoding its first frame (threads: both wait on I/O or
    FFmpeg, which release the GIL); the first bad one, in file order, stops all unless
    ``skip_bad``."""

    def one(path: Path) -> Video | BadVideo:
        try:
            return Video(path.stem, path, file_sha256(path), probe(path))
        except BadVideo as exc:
            return exc

    with ThreadPoolExecutor(max(1, workers)) as pool:
        found = list(pool.map(one, paths))
    videos, skipped = [], []
    for path, got in zip(paths, found, strict=True):
        if isinstance(got, Video):
            videos.append(got)
        elif not skip_bad:
            raise got
        else:
            log.warning("skipping %s", got)
            skipped.append((path.name, _why(got)))
    return videos, skipped


def _why(exc: BadVideo) -> str:
    return str(exc).split(": ", 1)[-1].split("; fix or remove it")[0]


def _embed_all(
    tower: ImageTower,
    videos: list[Video],
    sampling: Sampling,
    cache: FrameCache,
    batch_size: int,
    workers: int,
    skip_bad: bool,
    progress: bool,
) -> tuple[dict[str, dict], list[tuple[str, str]]]:
    """Decode (threads) and embed (the device, batches across videos) every video; cache each."""
    per_video = sampling.frames or sampling.max_frames
    chunk = max(2 * workers, math.ceil(batch_size / per_video))
    done: dict[str, dict] = {}
    skipped: list[tuple[str, str]] = []

    def prepare(video: Video):
        try:
            arrays, times = sample_frames(video.path, sampling, video.info)
            return tower.pixels(arrays), times
        except BadVideo as exc:
            return exc

    with (
        ThreadPoolExecutor(max(1, workers)) as pool,
        progress_bar(len(videos), "extracting frame features", progress, min_total=1) as advance,
    ):
        for start in range(0, len(videos), chunk):
            group = videos[start : start + chunk]
            ready, bad = [], []
            for video, got in zip(group, pool.map(prepare, group), strict=True):
                if isinstance(got, BadVideo):
                    bad.append((video, got))
                else:
                    ready.append((video, *got))
            if ready:  # cached before a bad video stops the rest: a rerun resumes after them
                _embed_group(tower, ready, batch_size, cache, done)
            if bad and not skip_bad:
                raise bad[0][1]
            skipped += [(video.path.name, _why(exc)) for video, exc in bad]
            advance(len(group))
    return done, skipped


def _embed_group(tower, ready, batch_size, cache, done) -> None:
    import numpy as np
    import torch

    pixels = torch.cat([p for _, p, _ in ready])
    vectors = np.concatenate(
        [tower.embed(pixels[i : i + batch_size]) for i in range(0, len(pixels), batch_size)]
    )
    offset = 0
    for video, p, times in ready:
        feats = vectors[offset : offset + len(p)]
        offset += len(p)
        if not np.isfinite(feats).all():
            raise UserError(
                f"image model {tower.source.label} gave non-finite features for "
                f"{video.path}; try --precision fp32"
            )
        cache.put(video.sha256, feats, times, video.info.duration)
        done[video.clip_id] = {
            "features": feats,
            "times": times,
            "duration": np.float64(video.info.duration),
        }


def _manifest(source: TowerSource, sampling, prec, fmt, kept, results, skipped) -> dict:
    from ... import __version__

    return {
        "model": source.label,
        "model_id": source.model_id,
        "kind": source.kind,
        "revision": source.model_id.rsplit("@", 1)[-1] if "@" in source.model_id else None,
        "sampling": sampling.record(),
        "precision": prec,
        "format": fmt,
        "dim": int(results[kept[0].clip_id]["features"].shape[1]),
        "clips": {
            v.clip_id: {
                "video": v.path.name,
                "sha256": v.sha256,
                "frames": len(results[v.clip_id]["features"]),
                "duration_s": round(float(results[v.clip_id]["duration"]), 3),
                "times_s": [round(float(t), 3) for t in results[v.clip_id]["times"]],
            }
            for v in kept
        },
        "skipped": dict(skipped),
        "c2kd_analyze": __version__,
    }
