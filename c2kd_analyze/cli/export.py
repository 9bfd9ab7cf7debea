"""`c2kd-analyze export`: parses options and calls ``export.export_cell``."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer()


@app.command("export")
def export(
    run_dir: Path = typer.Argument(..., help="Run folder written by `run`."),
    cell: str = typer.Argument(..., help="Cell to export, e.g. c2kd-labse-s0 (see RUN_DIR/cells)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write (created; must be new)."),
    teacher_dir: list[str] = typer.Option(
        None,
        "--teacher-dir",
        help="NAME=DIR: the cell's text encoder from this folder, if the run's has moved.",
    ),
    trust_remote_code: bool = typer.Option(
        False,
        "--trust-remote-code",
        help="Let an encoder whose spec needs it run Python code from its model repository.",
    ),
    ignore_model_id: bool = typer.Option(
        False,
        "--ignore-model-id",
        help="Export even when the encoder found is not the model id the run recorded "
        "(e.g. the same model folder copied to another path).",
    ),
    video_only: bool = typer.Option(
        False, "--video-only", help="Write only the video tower (e.g. for a muse student)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty --out."),
) -> None:
    """Write a trained cell as a model you can take away.

    Text side: a sentence-transformers folder, SentenceTransformer(DIR, trust_remote_code=True).
    Video tower: DIR/video/, loaded by the plain-PyTorch code in DIR/README.md.
    """
    from ..export import export_cell
    from ..teachers.sources import parse_teacher_dirs

    result = export_cell(
        run_dir,
        cell,
        out,
        teacher_dirs=parse_teacher_dirs(teacher_dir),
        trust_remote_code=trust_remote_code,
        ignore_model_id=ignore_model_id,
        video_only=video_only,
        overwrite=overwrite,
    )
    what = "text side + video tower" if result.text else "video tower"
    typer.echo(f"exported {cell} ({what}) -> {result.folder}")
    if result.text:
        typer.echo(f"  text: SentenceTransformer({str(result.folder)!r}, trust_remote_code=True)")
        typer.echo(f"  video: the plain-PyTorch code in {result.folder / 'README.md'}")
