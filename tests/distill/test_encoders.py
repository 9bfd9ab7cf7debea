"""A run's encoders: each found once and loaded at most once, whatever reads it."""

from __future__ import annotations

import pytest
import torch
from tiny_data import tiny_dataset

from c2kd_analyze.config import build_config
from c2kd_analyze.distill.context import RunContext
from c2kd_analyze.teachers import loader


@pytest.fixture
def loads(monkeypatch, tmp_path):
    """Every model load of the run, by teacher name."""
    monkeypatch.setenv("C2KD_CACHE", str(tmp_path / "cache"))
    seen: list[str] = []
    real = loader._load_backend

    def counting(spec, *args):
        seen.append(spec.name)
        return real(spec, *args)

    monkeypatch.setattr(loader, "_load_backend", counting)
    return seen


@pytest.mark.slow  # loads and encodes with a real MiniLM (about 15 s on 2 loaded cores)
def test_fine_tuning_copies_the_frozen_encoders_own_weights(loads):
    """Full mode reads frozen vectors (the translation diagnostic) and fine-tunes copies of the
    same model: one load, and each tower's module is a copy, not the encoder's own."""
    cfg = build_config("demo", teachers="minilm-en", student="minilm-en", mode="full",
                       projection_dim=8, video_width=8).replace(precision="fp32")  # fmt: skip
    ctx = RunContext(cfg, tiny_dataset(), progress=False)
    ctx.encoders.outputs("minilm-en", "test", "teacher")  # frozen vectors: loads the model
    first = ctx.models.new("minilm-en", seed=0)
    second = ctx.models.new("minilm-en", seed=1, role="teacher")
    assert loads == ["minilm-en"]
    own = ctx.encoders.encoder("minilm-en").loaded.hf_parts()[1]
    for model in (first, second):
        tower = model.text.encoder
        assert tower is not own
        for (name, mine), (_, theirs) in zip(
            tower.state_dict().items(), own.state_dict().items(), strict=True
        ):
            assert torch.equal(mine, theirs), name  # a copy of the loaded weights
            assert mine.data_ptr() != theirs.data_ptr(), name
    ctx.encoders.release()  # the frozen weights go; a new tower still copies the parts it had
    ctx.models.new("minilm-en", seed=2)
    assert loads == ["minilm-en"]


def test_a_teacher_that_cannot_be_tuned_is_refused_for_its_parts(loads):
    from c2kd_analyze.errors import UserError

    cfg = build_config("demo", teachers="muse", student="muse").replace(precision="fp32")
    ctx = RunContext(cfg, tiny_dataset(), progress=False)
    with pytest.raises(UserError, match="cannot be fine-tuned"):
        ctx.encoders.hf_parts("muse")
    assert loads == []
