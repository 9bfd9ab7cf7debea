"""`c2kd-analyze features ...`: frame features from video files, for the generic format."""

from __future__ import annotations

from pathlib import Path

import typer

from ..choices import described
from .options import DEVICE_HELP

app = typer.Typer(help="Extract video frame features for your own clips.", no_args_is_help=True)


@app.command("extract")
def extract_cmd(
    video_dir: Path = typer.Argument(..., help="A folder of video files (clip id = file name)."),
    out: Path = typer.Option(..., "--out", "-o", help="The generic-format folder to write to."),
    model: str = typer.Option(
        "clip-b32",
        "--model",
        help="An image model: a name (see `features models`), a Hugging Face id (org/name, "
        "from the local cache) or a saved model folder.",
    ),
    fps: float | None = typer.Option(
        None, "--fps", help="Frames per second to sample (default 1), at most --max-frames."
    ),
    frames: int | None = typer.Option(
        None, "--frames", help="Exactly this many frames per clip, uniformly (instead of --fps)."
    ),
    max_frames: int = typer.Option(30, "--max-frames", help="At most this many frames per clip."),
    fmt: str = typer.Option(
        "safetensors", "--format", help="safetensors (one file) or npy (features/<clip>.npy)."
    ),
    batch_size: int = typer.Option(64, "--batch-size", help="Frames per forward pass."),
    workers: int = typer.Option(4, "--workers", help="Threads decoding videos (1-64)."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
    precision: str = typer.Option("auto", "--precision", help=described("precision")),
    skip_bad: bool = typer.Option(
        False,
        "--skip-bad",
        help="Skip (and name) videos that cannot be decoded, instead of stopping.",
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Sample frames of every video in VIDEO_DIR uniformly, embed them with an image model and
    write OUT/features.safetensors (or OUT/features/<clip>.npy) and a manifest. Each video is
    cached when done: an interrupted extraction resumes, a rerun decodes nothing."""
    from ..data.frames.extract import extract_features

    report = extract_features(
        video_dir,
        out,
        model=model,
        fps=fps,
        frames=frames,
        max_frames=max_frames,
        fmt=fmt,
        batch_size=batch_size,
        device=device,
        precision=precision,
        skip_bad=skip_bad,
        workers=workers,
        progress=not no_progress,
    )
    for line in report.lines():
        typer.echo(line)


@app.command("models")
def models_cmd() -> None:
    """Show the registered image models: model, pinned revision, feature size, licence."""
    from rich.console import Console
    from rich.table import Table

    from ..data.frames.registry import list_towers

    table = Table("name", "model", "revision", "kind", "dim", "licence")
    for s in list_towers():
        table.add_row(s.name, s.model, s.revision[:8], s.kind, str(s.dim), s.licence)
    Console(width=160).print(table)
