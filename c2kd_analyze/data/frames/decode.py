"""Decoding with PyAV and uniform frame sampling.

A clip of duration D seconds sampled at ``n`` frames takes the frame on screen at each bin centre
``(i + 0.5) * D / n``, i = 0..n-1: ``n = round(D * fps)`` (``--fps``, at least 1) or ``--frames``,
at most ``--max-frames`` (30 by default, as the C2KD release's features) and at most the frames
the clip has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UserError

if TYPE_CHECKING:
    import numpy as np

#: files ``features extract`` reads as videos (by extension, case-insensitive)
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".mpg", ".mpeg", ".ogv",
                  ".wmv", ".flv", ".3gp", ".ts", ".gif")  # fmt: skip


class BadVideo(UserError):
    """A video file that cannot be decoded (corrupt, empty, no video stream, no frames)."""


@dataclass(frozen=True)
class Sampling:
    """How frames are chosen: ``fps`` per second or exactly ``frames``, at most ``max_frames``."""

    fps: float | None = 1.0
    frames: int | None = None
    max_frames: int = 30

    def count(self, duration: float, n_frames: int) -> int:
        """Frames to take from a clip of ``duration`` seconds holding ``n_frames`` frames."""
        wanted = self.frames if self.frames is not None else round(duration * (self.fps or 1.0))
        wanted = max(1, min(int(wanted), self.max_frames))
        return min(wanted, n_frames) if n_frames > 0 else wanted

    def record(self) -> dict:
        if self.frames is not None:
            return {"frames": self.frames, "max_frames": self.max_frames}
        return {"fps": self.fps, "max_frames": self.max_frames}


def check_sampling(fps: float | None, frames: int | None, max_frames: int) -> Sampling:
    """The sampling the options ask for; UserError (one line) for a bad combination."""
    import math

    if max_frames < 1 or max_frames > 10_000:
        raise UserError(f"--max-frames must be in [1, 10000], got {max_frames}")
    if frames is not None and fps is not None:
        raise UserError("give --fps or --frames, not both")
    if frames is not None:
        if frames < 1:
            raise UserError(f"--frames must be at least 1, got {frames}")
        if frames > max_frames:
            raise UserError(f"--frames {frames} is more than --max-frames {max_frames}; "
                            "raise --max-frames too")  # fmt: skip
        return Sampling(fps=None, frames=frames, max_frames=max_frames)
    fps = 1.0 if fps is None else fps
    if not math.isfinite(fps) or fps <= 0 or fps > 1000:
        raise UserError(f"--fps must be a finite number in (0, 1000], got {fps}")
    return Sampling(fps=fps, frames=None, max_frames=max_frames)


@dataclass(frozen=True)
class Probe:
    path: Path
    duration: float  # seconds (0 when the container does not say)
    n_frames: int  # as the container says (0: unknown)


def require_av() -> None:
    """One line naming the extra when PyAV is not installed."""
    try:
        import av  # noqa: F401
    except ImportError:
        raise UserError(
            "features extract decodes videos with PyAV; install the extra: "
            "pip install 'c2kd-analyze[video]'"
        ) from None


def _bad(path: Path, why: str) -> BadVideo:
    return BadVideo(f"video {path}: {why}; fix or remove it, or pass --skip-bad to skip it")


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        raise _bad(path, f"cannot be opened ({exc})".replace("\n", " ")) from None
    if not container.streams.video:
        container.close()
        raise _bad(path, "has no video stream")
    return container


def probe(path: Path) -> Probe:
    """Open ``path`` and decode its first frame: a corrupt, empty or undecodable file fails
    here (BadVideo), before any model loads."""
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        if not duration and container.duration:
            duration = container.duration / av.time_base
        try:
            first = next(iter(container.decode(stream)), None)
        except av.FFmpegError as exc:
            raise _bad(path, f"cannot be decoded ({exc})".replace("\n", " ")) from None
        if first is None:
            raise _bad(path, "has no frames")
        return Probe(path, max(duration, 0.0), int(stream.frames or 0))


def sample_frames(path: Path, sampling: Sampling, info: Probe) -> tuple[np.ndarray, np.ndarray]:
    """(frames (n, H, W, 3) uint8 RGB, their times in seconds (n,)) in one decoding pass: the
    frame on screen at each bin centre (a frame is taken once, so a clip with fewer frames than
    asked gives all its frames). A clip whose container gives no duration is scanned first."""
    import av
    import numpy as np

    duration = info.duration if info.duration > 0 else _scanned_duration(path)
    n = sampling.count(duration, info.n_frames)
    targets = (np.arange(n) + 0.5) * duration / n
    picks: list[tuple[float, int, object]] = []  # (time, frame index, frame)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or 25)
        prev: tuple[float, int, object] | None = None
        start: float | None = None
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = frame.time if frame.time is not None else i / rate
                start = t if start is None else start
                t -= start
                # the frame on screen at a target: the last one that starts at or before it
                while len(picks) < n and t > targets[len(picks)]:
                    picks.append(prev if prev is not None else (t, i, frame))
                if len(picks) == n:
                    break
                prev = (t, i, frame)
        except av.FFmpegError as exc:
            raise _bad(path, f"cannot be decoded ({exc})".replace("\n", " ")) from None
    if prev is not None and len(picks) < n:  # targets past the last frame take the last one
        picks += [prev] * (n - len(picks))
    if not picks:
        raise _bad(path, "has no frames")
    ordered = sorted({i: (t, f) for t, i, f in picks}.items())
    arrays = np.stack([f.to_ndarray(format="rgb24") for _, (_, f) in ordered])  # type: ignore[attr-defined]
    return arrays, np.asarray([t for _, (t, _) in ordered], dtype=np.float64)


def _scanned_duration(path: Path) -> float:
    """The duration of a clip whose container does not say: its last frame's time plus one
    frame."""
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 25)
        first = last = None
        try:
            for i, frame in enumerate(container.decode(stream)):
                t = frame.time if frame.time is not None else i / rate
                first = t if first is None else first
                last = t
        except av.FFmpegError as exc:
            raise _bad(path, f"cannot be decoded ({exc})".replace("\n", " ")) from None
    if first is None or last is None:
        raise _bad(path, "has no frames")
    return float(last - first + 1.0 / rate)
