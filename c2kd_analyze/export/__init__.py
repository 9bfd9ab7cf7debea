"""Students you can take away: a run's cell as a sentence-transformers folder plus a video tower.

``export_cell(run_dir, cell, out)`` writes the cell's text side as a sentence-transformers model
(encoder, pooling, the C2KD head, normalisation: ``SentenceTransformer(out,
trust_remote_code=True)`` encodes queries to the vectors the run evaluated) and its video tower
as ``video/model.safetensors`` + ``video/config.json``, which a few lines of plain PyTorch load
(:data:`.card.VIDEO_SNIPPET`). See :mod:`.locate` (finding the weights), :mod:`.text_side`,
:mod:`.video_side` and :mod:`.exporter`.
"""

from __future__ import annotations

from .exporter import ExportResult, export_cell

__all__ = ["ExportResult", "export_cell"]
