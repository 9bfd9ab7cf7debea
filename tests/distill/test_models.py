"""The text head and video tower: shapes, padding masks, gated unit formula."""

from __future__ import annotations

import torch

from c2kd_analyze.distill.models import (
    GatedEmbeddingUnit,
    TextHead,
    VideoTower,
)


def test_gated_unit_formula():
    torch.manual_seed(0)
    geu = GatedEmbeddingUnit(5, 3)
    x = torch.randn(4, 5)
    y = x @ geu.fc.weight.T + geu.fc.bias
    expected = y * torch.sigmoid(y @ geu.gate.weight.T + geu.gate.bias)
    torch.testing.assert_close(geu(x), expected)


def test_text_head_shape():
    head = TextHead(384, 64)
    assert head(torch.randn(7, 384)).shape == (7, 64)


def test_video_tower_ignores_padded_frames_and_handles_empty_clips():
    torch.manual_seed(0)
    tower = VideoTower(feature_dim=12, projection_dim=8, width=16).eval()
    frames = torch.randn(3, 6, 12)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]).bool()
    out = tower(frames, mask)
    assert out.shape == (3, 8) and torch.isfinite(out).all()
    # changing what sits in padded slots must not change the clip's embedding
    noisy = frames.clone()
    noisy[0, 3:] = torch.randn(3, 12) * 50
    torch.testing.assert_close(tower(noisy, mask)[0], out[0])
    # but changing a real frame does
    moved = frames.clone()
    moved[0, 0] = torch.randn(12)
    assert not torch.allclose(tower(moved, mask)[0], out[0])


def test_video_tower_train_and_eval_agree_and_backprop():
    torch.manual_seed(1)
    tower = VideoTower(feature_dim=10, projection_dim=4, width=8)
    frames, mask = torch.randn(5, 4, 10), torch.ones(5, 4, dtype=torch.bool)
    mask[1, 2:] = False
    train_out = tower.train()(frames, mask)
    train_out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in tower.parameters() if p.grad is not None)
    with torch.no_grad():
        eval_out = tower.eval()(frames, mask)
    torch.testing.assert_close(train_out.detach(), eval_out, atol=1e-5, rtol=1e-5)


def test_encoder_block_is_the_torch_layer():
    """The video tower's batch-first block computes ``nn.TransformerEncoderLayer``'s output and
    gradients from the layer's own weights, padded keys masked."""
    from c2kd_analyze.distill.models import encoder_block

    torch.manual_seed(0)
    tower = VideoTower(12, 8, width=16)
    for layer in tower.blocks.layers:  # non-trivial biases and norms
        for p in layer.parameters():
            p.data.normal_(0, 0.3)
    x = torch.randn(5, 7, 16, requires_grad=True)
    keep = torch.rand(5, 7) > 0.4
    keep[:, 0] = True
    want = tower.blocks(x, src_key_padding_mask=~keep)
    (gx_want,) = torch.autograd.grad(want.square().sum(), x)
    got = x
    for layer in tower.blocks.layers:
        got = encoder_block(layer, got, keep)
    (gx_got,) = torch.autograd.grad(got.square().sum(), x)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gx_got, gx_want, rtol=1e-4, atol=1e-5)
