"""Frame sampling and decoding on real video files written with PyAV, against a plain decode of
every frame; bad videos are named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from owndata_models import frame_value, write_video

from c2kd_analyze.data.frames.decode import (
    BadVideo,
    Sampling,
    check_sampling,
    probe,
    sample_frames,
)
from c2kd_analyze.errors import UserError


def _all_frames(path):
    """Every frame and its time, decoded plainly (the reference)."""
    import av

    with av.open(str(path)) as container:
        decoded = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    return np.asarray([t for t, _ in decoded]), np.stack([a for _, a in decoded])


@given(
    duration=st.floats(0.01, 3600),
    n_frames=st.integers(0, 10_000),
    fps=st.floats(0.01, 100),
    frames=st.integers(1, 100),
    cap=st.integers(1, 100),
)
def test_count_is_at_least_one_at_most_the_cap_and_the_clips_frames(
    duration, n_frames, fps, frames, cap
):
    for sampling in (
        Sampling(fps=fps, max_frames=cap),
        Sampling(fps=None, frames=min(frames, cap), max_frames=cap),
    ):
        n = sampling.count(duration, n_frames)
        assert 1 <= n <= cap and (n_frames == 0 or n <= n_frames)
    assert Sampling(fps=fps, max_frames=cap).count(duration, 0) == max(
        1, min(round(duration * fps), cap)
    )


@pytest.mark.parametrize(
    ("sampling", "indices"),
    [
        (Sampling(fps=1.0), [6, 18]),  # 2 s at 12 fps: the frames on screen at 0.5 s and 1.5 s
        (Sampling(fps=None, frames=4), [3, 9, 15, 21]),
        (Sampling(fps=2.0), [3, 9, 15, 21]),
        (Sampling(fps=None, frames=24), list(range(24))),
        (Sampling(fps=None, frames=60, max_frames=60), list(range(24))),  # each frame once
        (Sampling(fps=30.0, max_frames=8), [1, 4, 7, 10, 13, 16, 19, 22]),
    ],
)
def test_frames_are_the_ones_on_screen_at_the_bin_centres(tmp_path, sampling, indices):
    path = write_video(tmp_path / "v.mp4", n_frames=24, fps=12)
    times, reference = _all_frames(path)
    frames, got_times = sample_frames(path, sampling, probe(path))
    assert np.array_equal(frames, reference[indices])
    assert np.allclose(got_times, times[indices] - times[0])
    # and they are the frames written (grey level per frame, off the bar, through the codec)
    assert np.abs(frames[:, 0, -1, 0].astype(int) - [frame_value(i) for i in indices]).max() <= 4


def test_probe_reads_duration_and_frame_count(tmp_path):
    info = probe(write_video(tmp_path / "v.webm", n_frames=30, fps=10, codec="libvpx"))
    assert info.duration == pytest.approx(3.0, abs=0.11) and info.n_frames in (0, 30)


def _garbage(path):
    path.write_bytes(bytes(range(256)) * 40)


def _empty(path):
    path.write_bytes(b"")


def _truncated(path):
    write_video(path, n_frames=48)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _text(path):
    path.write_text("not a video\n")


@pytest.mark.parametrize("make", [_garbage, _empty, _truncated, _text])
def test_a_bad_video_is_named_with_what_to_do(tmp_path, make):
    path = tmp_path / "bad.mp4"
    make(path)
    with pytest.raises(BadVideo) as err:
        probe(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "--skip-bad" in message


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"fps": 1.0, "frames": 4}, "not both"),
        ({"fps": 0.0}, "--fps"),
        ({"fps": float("nan")}, "finite"),
        ({"fps": float("inf")}, "finite"),
        ({"frames": 0}, "--frames must be at least 1"),
        ({"frames": 40}, "more than --max-frames 30"),
        ({"max_frames": 0}, "--max-frames"),
    ],
)
def test_bad_sampling_options_are_refused(kw, error):
    args = {"fps": None, "frames": None, "max_frames": 30, **kw}
    with pytest.raises(UserError, match=error):
        check_sampling(**args)
