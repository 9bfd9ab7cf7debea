"""The run's data as every cell reads it: caption tables, frames on the device, the fingerprint.

Built once per run from the loaded :class:`~c2kd_analyze.data.types.Dataset` and never changed:
the students' caption tables per split, the teachers' (their own English where a dataset gives
one, e.g. MSR-VTT's raw_text), the first ``n_video_tokens`` frames of each split (moved to the
device once, when first read) and the content fingerprint that checkpoint keys hold.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from ..data.fingerprint import content_fingerprint
from ..data.types import Dataset, Split
from .captions import CaptionTable, caption_tables, teacher_tables

#: who reads a split's captions: students read ``captions``; teachers read their own English
Role = Literal["student", "teacher"]


def split_tensors(
    split: Split, n_video_tokens: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames (n_clips, T', D) float32 and mask (n_clips, T') bool, first ``n_video_tokens``,
    on ``device``."""
    frames = torch.from_numpy(np.ascontiguousarray(split.features[:, :n_video_tokens], np.float32))
    mask = torch.from_numpy(np.ascontiguousarray(split.mask[:, :n_video_tokens], dtype=bool))
    return frames.to(device), mask.to(device)


class RunData:
    """One run's dataset, read-only: ``tables`` / ``teacher_tables`` (split -> language ->
    :class:`CaptionTable`), :meth:`frames`, :meth:`read`, ``fingerprint``."""

    def __init__(self, dataset: Dataset, n_video_tokens: int, device: torch.device) -> None:
        self.dataset = dataset
        self.languages = dataset.languages
        self.device = device
        self.n_video_tokens = n_video_tokens
        self.fingerprint = content_fingerprint(dataset)
        self._splits = {"train": dataset.train, "test": dataset.test}
        if dataset.val is not None:  # held out of train by --val-fraction (distill.holdout)
            self._splits["val"] = dataset.val
        self.tables: dict[str, dict[str, CaptionTable]] = {
            name: caption_tables(split, self.languages) for name, split in self._splits.items()
        }
        self.teacher_tables: dict[str, dict[str, CaptionTable]] = {
            name: (
                teacher_tables(split, self.languages)
                if split.teacher_english is not None
                else self.tables[name]
            )
            for name, split in self._splits.items()
        }
        for name, tables in self.teacher_tables.items():
            ours, theirs = tables["en"], self.tables[name]["en"]
            if not (
                np.array_equal(ours.start, theirs.start)
                and np.array_equal(ours.count, theirs.count)
            ):
                raise ValueError(
                    f"{name}: teacher_english is not index-aligned with captions['en']"
                )
        self._frames: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def frames(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames (n_clips, T, D) and mask (n_clips, T) of ``split`` on the device (moved once)."""
        if split not in self._frames:
            self._frames[split] = split_tensors(
                self._splits[split], self.n_video_tokens, self.device
            )
        return self._frames[split]

    def _tables(self, split: str, role: Role) -> tuple[dict[str, CaptionTable], Role]:
        """The caption tables ``role`` reads in ``split``, and the role they are cached under
        (teachers share the students' tables unless the dataset gives teachers their own
        English)."""
        tables = self.teacher_tables[split] if role == "teacher" else self.tables[split]
        return tables, ("teacher" if tables is not self.tables[split] else "student")

    def read(
        self, split: str, role: Role, languages: tuple[str, ...] | None = None
    ) -> tuple[dict[str, CaptionTable], Role]:
        """The tables ``role`` reads in ``split``, cut to ``languages`` (None: all), and the
        role they are cached under. A subset is read only when it gives every clip as many
        captions as all languages do: training samples a clip's caption index from its largest
        count over the tables it gets, and must sample as before."""
        tables, role = self._tables(split, role)
        if languages is None or set(languages) >= set(tables):
            return tables, role
        subset = {lang: t for lang, t in tables.items() if lang in languages}
        if not subset:
            raise ValueError(f"none of {languages} in {split}'s languages {tuple(tables)}")
        most = np.max(np.stack([t.count for t in tables.values()]), axis=0)
        if not np.array_equal(np.max(np.stack([t.count for t in subset.values()]), axis=0), most):
            return tables, role
        return subset, role
