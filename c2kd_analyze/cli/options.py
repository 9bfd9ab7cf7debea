"""Help texts shared by several commands' options (one wording everywhere)."""

from __future__ import annotations

TEACHER_DIR_HELP = "NAME=DIR: load teacher NAME from a saved model folder (repeatable)."
DEVICE_HELP = "auto (the GPU when CUDA is present, else the CPU), cpu, cuda, cuda:N or mps."
TRUST_REMOTE_CODE_HELP = (
    "Let a teacher whose spec needs it run Python code from its model repository."
)


def data_dir_path(text):
    """``--data-dir``'s value as a path; an empty one is a mistake (``Path("")`` is the current
    folder, which ``--data-dir "$UNSET"`` never means). A path object (a caller of the app from
    Python) is taken as it is."""
    from pathlib import Path

    from ..errors import UserError

    if isinstance(text, Path):
        return text
    if not str(text).strip():
        raise UserError(
            "--data-dir is empty; give the folder that holds the dataset's files, or leave the "
            "option out for the built-in demo set"
        )
    return Path(text)
