"""``extract_features`` end to end with tiny real CLIP and SigLIP towers on real video files:
its features against the tower run directly, the generic reader accepts them, a rerun decodes
nothing, bad videos are named (skipped only with ``skip_bad``), nothing is half-written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from owndata_models import write_video

from c2kd_analyze.data.frames import extract as extract_mod
from c2kd_analyze.data.frames.decode import Sampling, probe, sample_frames
from c2kd_analyze.data.frames.extract import extract_features
from c2kd_analyze.errors import UserError


def _reference(folder, video, sampling, kind):
    """The tower run directly on the sampled frames (transformers' own classes)."""
    import torch
    from transformers import AutoImageProcessor, CLIPVisionModelWithProjection, SiglipVisionModel

    frames, _ = sample_frames(video, sampling, probe(video))
    pixels = AutoImageProcessor.from_pretrained(str(folder), use_fast=False)(
        images=list(frames), return_tensors="pt"
    )["pixel_values"]
    with torch.inference_mode():
        if kind == "clip":
            return CLIPVisionModelWithProjection.from_pretrained(str(folder))(pixels).image_embeds
        return SiglipVisionModel.from_pretrained(str(folder))(pixels).pooler_output


def test_clip_features_are_the_towers_and_the_manifest_says_what_ran(
    tiny_clip, example, monkeypatch
):
    from safetensors.numpy import load_file

    videos, data = example
    # fp32 (auto is bf16 on an AMX-BF16 CPU): compared with the tower's own fp32 output
    report = extract_features(
        videos, data, model=str(tiny_clip), fps=2.0, batch_size=5, precision="fp32", progress=False
    )
    features = load_file(str(data / "features.safetensors"))
    assert sorted(features) == sorted(p.stem for p in videos.glob("*.mp4"))
    for clip in ("c00", "c07", "c11"):
        want = _reference(tiny_clip, videos / f"{clip}.mp4", Sampling(fps=2.0), "clip")
        assert np.allclose(features[clip], want.numpy(), atol=1e-5)
    manifest = json.loads((data / "features.manifest.json").read_text())
    assert manifest["sampling"] == {"fps": 2.0, "max_frames": 30}
    assert manifest["model_id"] == report.model_id and manifest["kind"] == "clip"
    assert manifest["clips"]["c11"]["frames"] == features["c11"].shape[0] == 8  # 4 s at 2 fps
    assert (report.clips, report.decoded, report.cached, report.dim) == (12, 12, 0, 24)

    class Refuse:
        def __init__(self, *a, **k):
            raise AssertionError("a rerun loaded the image model")

    import c2kd_analyze.data.frames.tower as tower_mod

    monkeypatch.setattr(tower_mod, "ImageTower", Refuse)
    before = (data / "features.safetensors").read_bytes()
    again = extract_features(
        videos, data, model=str(tiny_clip), fps=2.0, precision="fp32", progress=False
    )
    assert (again.decoded, again.cached) == (0, 12)
    assert (data / "features.safetensors").read_bytes() == before


def test_siglip_npy_features_load_with_the_generic_reader(tiny_siglip, example):
    from c2kd_analyze.data.generic import load_generic

    videos, data = example
    report = extract_features(
        videos, data, model=str(tiny_siglip), frames=3, fmt="npy", precision="fp32", progress=False
    )
    assert report.features == data / "features" and report.dim == 32
    ds = load_generic(data)
    assert ds.train.features.shape == (8, 3, 32) and ds.test.features.shape == (4, 3, 32)
    want = _reference(tiny_siglip, videos / "c09.mp4", Sampling(fps=None, frames=3), "siglip")
    want = want.numpy() / np.linalg.norm(want.numpy(), axis=1, keepdims=True)  # as read
    assert ds.test.clip_ids[1] == "c09" and np.allclose(ds.test.features[1], want, atol=1e-5)


def test_a_new_video_is_the_only_one_decoded_and_formats_switch_cleanly(tiny_clip, example):
    videos, data = example
    extract_features(videos, data, model=str(tiny_clip), progress=False)
    write_video(videos / "c12.mp4", n_frames=20, seed=12)
    report = extract_features(videos, data, model=str(tiny_clip), fmt="npy", progress=False)
    assert (report.decoded, report.cached, report.clips) == (1, 12, 13)
    assert not (data / "features.safetensors").exists()  # one source of features
    assert len(list((data / "features").glob("*.npy"))) == 13


def test_a_bad_video_stops_everything_unless_skipped(tiny_clip, example):
    videos, data = example
    (videos / "broken.mp4").write_bytes(b"\x00" * 100)
    before = sorted(p.name for p in data.iterdir())
    with pytest.raises(UserError, match=r"video .*broken\.mp4: cannot be opened.*--skip-bad"):
        extract_features(videos, data, model=str(tiny_clip), progress=False)
    assert sorted(p.name for p in data.iterdir()) == before  # nothing half-written
    report = extract_features(videos, data, model=str(tiny_clip), skip_bad=True, progress=False)
    assert report.clips == 12 and [name for name, _ in report.skipped] == ["broken.mp4"]
    manifest = json.loads((data / "features.manifest.json").read_text())
    assert "cannot be opened" in manifest["skipped"]["broken.mp4"]
    assert any(line.startswith("skipped broken.mp4: cannot be opened") for line in report.lines())


def test_a_video_that_fails_while_decoding_is_skipped_too(tiny_clip, example, monkeypatch):
    videos, data = example
    real = extract_mod.sample_frames

    def fails_on_c03(path, sampling, info):
        if path.stem == "c03":
            raise extract_mod.BadVideo(f"video {path}: cannot be decoded (x); fix or remove it")
        return real(path, sampling, info)

    monkeypatch.setattr(extract_mod, "sample_frames", fails_on_c03)
    with pytest.raises(UserError, match=r"c03.mp4: cannot be decoded"):
        extract_features(videos, data, model=str(tiny_clip), progress=False)
    assert not (data / "features.safetensors").exists()
    report = extract_features(videos, data, model=str(tiny_clip), skip_bad=True, progress=False)
    assert report.skipped == (("c03.mp4", "cannot be decoded (x)"),) and report.clips == 11
    # the videos done before the failure came from the cache
    assert report.cached > 0 and report.decoded + report.cached == 11


def test_folders_models_and_outputs_are_checked_first(tiny_clip, tiny_nllb, example, tmp_path):
    videos, data = example
    (data / "features.npz").write_bytes(b"someone else's")
    with pytest.raises(UserError, match=r"features.npz exists and was not written by"):
        extract_features(videos, data, model=str(tiny_clip), progress=False)
    with pytest.raises(UserError, match="'m2m_100' model without an image processor"):
        extract_features(videos, tmp_path / "out", model=str(tiny_nllb), progress=False)
    with pytest.raises(UserError, match="holds no video files"):
        extract_features(data, tmp_path / "out", model=str(tiny_clip), progress=False)
    with pytest.raises(UserError, match=r"unknown image model 'clip-b23'; did you mean 'clip-b32'"):
        extract_features(videos, tmp_path / "out", model="clip-b23", progress=False)
    with pytest.raises(UserError, match="image model 'siglip-b16' needs google/siglip-base"):
        extract_features(videos, tmp_path / "out", model="siglip-b16", progress=False)
    (videos / "c00.webm").write_bytes(b"")
    with pytest.raises(UserError, match=r"c00.mp4 and c00.webm would both be clip 'c00'"):
        extract_features(videos, tmp_path / "out", model=str(tiny_clip), progress=False)
    assert not (tmp_path / "out").exists()


def test_the_precision_is_part_of_the_cache_key(tiny_clip, example, tmp_path):
    from safetensors.numpy import load_file

    videos, data = example
    # explicit: auto is bf16 on a CPU with AMX-BF16
    extract_features(videos, data, model=str(tiny_clip), device="cpu", precision="fp32",
                     progress=False)  # fmt: skip
    fp32 = load_file(str(data / "features.safetensors"))
    report = extract_features(videos, tmp_path / "bf16", model=str(tiny_clip), device="cpu",
                              precision="bf16", progress=False)  # fmt: skip
    assert (report.decoded, report.cached, report.precision) == (12, 0, "bf16")
    bf16 = load_file(str(tmp_path / "bf16" / "features.safetensors"))
    for clip, want in fp32.items():  # bf16 autocast: close to fp32, not equal
        assert np.allclose(bf16[clip], want, atol=0.1) and not np.array_equal(bf16[clip], want)


def test_any_vision_model_folder_runs_as_an_auto_tower(example, tmp_path):
    """A ViT (no CLIP or SigLIP layout): its pooled output, as transformers computes it."""
    import torch
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(5)
    folder = tmp_path / "tiny-vit"
    config = ViTConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=32, image_size=32, patch_size=8)  # fmt: skip
    ViTModel(config).eval().save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    videos, data = example
    report = extract_features(
        videos, data, model=str(folder), frames=2, precision="fp32", progress=False
    )
    assert report.dim == 16
    from safetensors.numpy import load_file

    got = load_file(str(data / "features.safetensors"))["c05"]
    frames, _ = sample_frames(videos / "c05.mp4", Sampling(fps=None, frames=2),
                              probe(videos / "c05.mp4"))  # fmt: skip
    pixels = ViTImageProcessor.from_pretrained(str(folder))(images=list(frames),
                                                            return_tensors="pt")  # fmt: skip
    with torch.inference_mode():
        want = ViTModel.from_pretrained(str(folder))(**pixels).pooler_output.numpy()
    assert np.allclose(got, want, atol=1e-5)


def test_a_registered_tower_loads_from_the_hf_cache(tiny_clip, tmp_path, monkeypatch):
    import shutil

    import huggingface_hub.constants as hf_constants

    from c2kd_analyze.data.frames.source import resolve_tower

    pinned = "c237dc49a33fc61debc9276459120b7eac67e7ef"
    repo = tmp_path / "hub" / "models--openai--clip-vit-base-patch32"
    shutil.copytree(tiny_clip, repo / "snapshots" / pinned)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(pinned)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    source = resolve_tower("clip-b32")
    assert source.model_id == f"openai/clip-vit-base-patch32@{pinned}" and source.kind == "clip"
    assert resolve_tower("openai/clip-vit-base-patch32").model_id == source.model_id
