"""From a run folder and a cell name to the cell's trained weights, or one line saying why not.

A finished cell's ``done.json`` records ``checkpoint``, the key of its model in the checkpoint
cache (:func:`c2kd_analyze.distill.checkpoints.checkpoint_dir`): ``model.safetensors`` (the
:class:`~c2kd_analyze.distill.models.RetrievalModel` state: ``text.*`` and ``video.*``) and
``checkpoint.json`` (``encoder``: the registry name of its text encoder; ``identity``: mode,
model id, projection size, token limits, ...). Everything here only reads; nothing is loaded
but JSON, so every user mistake is reported before any model is.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import io
from ..errors import UserError
from ..layout import RunFolder

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class CellModel:
    """A finished cell's model as the run recorded it (nothing loaded yet)."""

    run_dir: Path
    run_id: str
    cell: str
    key: str  # checkpoint key
    folder: Path  # the checkpoint folder
    meta: dict[str, Any]  # checkpoint.json
    run_config: dict[str, Any]  # config.json["config"]
    where: dict[str, Any]  # config.json["where"]: data and teacher folders the run used
    dataset: dict[str, Any]  # config.json["dataset"]: name, feature kind, languages, ...

    @property
    def identity(self) -> dict[str, Any]:
        return self.meta.get("identity", {})

    @property
    def encoder(self) -> str:
        """Registry name of the text encoder under the head (the student's, or the teacher's)."""
        return str(self.meta["encoder"])

    @property
    def mode(self) -> str:
        """``frozen`` or ``full``: the mode that actually ran for this model."""
        return str(self.identity.get("mode", "frozen"))

    @property
    def model_id(self) -> str | None:
        return self.identity.get("model_id")

    @property
    def precision(self) -> str | None:
        """The autocast the model trained under (in its recipe; top level before format 4)."""
        recipe = self.identity.get("recipe") or {}
        return recipe.get("precision", self.identity.get("precision"))

    @property
    def test_max_tokens(self) -> int:
        """The token limit the run evaluated fine-tuned encoders at (``max_tokens.test``)."""
        limits = self.identity.get("max_tokens") or self.run_config.get("max_tokens") or {}
        return int(limits.get("test", 40))

    @property
    def n_video_tokens(self) -> int:
        value = self.identity.get("n_video_tokens", self.run_config.get("n_video_tokens", 30))
        return int(value)

    def teacher_dir(self) -> Path | None:
        """The folder the run loaded the encoder from (``--teacher-dir``), if it still exists."""
        recorded = (self.where.get("teacher_dirs") or {}).get(self.encoder)
        return Path(recorded) if recorded and Path(recorded).is_dir() else None

    def weights(self) -> dict[str, torch.Tensor]:
        """The model's state (``text.*``, ``video.*``), checksum-verified, as CPU tensors."""
        from safetensors.torch import load

        from ..distill import checkpoints as ckpt

        return load(io.read_bytes(self.folder / ckpt.WEIGHTS))


def _read_run(run: RunFolder) -> dict[str, Any]:
    if not run.path.is_dir():
        raise UserError(f"run folder {run.path} does not exist; pass a folder written by `run`")
    try:
        content = io.read_json(run.config)
    except FileNotFoundError:
        raise UserError(
            f"{run.path} is not a run folder (no valid config.json); pass a folder written by `run`"
        ) from None
    return content


def _done_cells(run: RunFolder) -> list[str]:
    return [c.name for c in run.cell_folders() if io.is_valid(c.done)]


def _unknown_cell(run: RunFolder, name: str, config: Any) -> UserError:
    from ..distill.plan import planned_names

    cells = _done_cells(run)
    if name in (planned_names(config) or ()):
        return _unfinished(run, name)
    if not cells:
        return UserError(f"run {run.path} has no finished cell yet; run it to the end first")
    close = difflib.get_close_matches(name, cells, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return UserError(f"no cell {name!r} in {run.path}{hint} its cells: {', '.join(cells)}")


def _unfinished(run: RunFolder, cell: str) -> UserError:
    return UserError(
        f"cell {cell!r} of {run.path} is not finished; run the same `c2kd-analyze run` again "
        "to finish it, then export"
    )


def _missing_checkpoint(cell: str, key: str, folder: Path) -> UserError:
    from ..paths import CACHE_ENV

    return UserError(
        f"the weights of cell {cell!r} (checkpoint {key}) are not in this cache ({folder}); "
        f"set {CACHE_ENV} to the cache folder the run was made with (the same {CACHE_ENV} as "
        f"the run), or copy that cache's checkpoints/{key} folder into {folder.parent}"
    )


def find_cell_model(run_dir: str | Path, cell: str) -> CellModel:
    """The cell ``cell`` of run folder ``run_dir``, with its checkpoint verified on disk.

    Raises :class:`UserError` (one line) for a folder that is not a run, an unknown or
    unfinished cell (listing the run's cells), or weights absent from this cache (saying how to
    point at the cache the run used).
    """
    from ..distill import checkpoints as ckpt

    run = RunFolder(Path(run_dir).expanduser())
    content = _read_run(run)
    folder = run.cell(cell)
    if not folder.path.is_dir():
        raise _unknown_cell(run, cell, content.get("config"))
    try:
        done = io.read_json(folder.done)
    except FileNotFoundError:
        raise _unfinished(run, cell) from None
    key = done.get("checkpoint")
    if not key:
        raise UserError(
            f"cell {cell!r} of {run.path} records no checkpoint (written by an older "
            f"c2kd-analyze); delete {folder.done} and run the same `c2kd-analyze run` again "
            f"to record it"
        )
    where = ckpt.checkpoint_dir(key)
    if not (io.is_valid(where / ckpt.META) and io.is_valid(where / ckpt.WEIGHTS)):
        raise _missing_checkpoint(cell, key, where)
    meta = io.read_json(where / ckpt.META)
    if meta.get("format") != ckpt.CHECKPOINT_FORMAT or "encoder" not in meta:
        raise UserError(
            f"checkpoint {key} of cell {cell!r} is format {meta.get('format')}, not "
            f"{ckpt.CHECKPOINT_FORMAT}; delete {folder.done} and run the same `c2kd-analyze run` "
            f"again to retrain it with this version"
        )
    return CellModel(
        run_dir=run.path,
        run_id=str(content.get("run_id", done.get("run_id", ""))),
        cell=cell,
        key=key,
        folder=where,
        meta=meta,
        run_config=content.get("config", {}),
        where=content.get("where", {}),
        dataset=content.get("dataset", {}),
    )
