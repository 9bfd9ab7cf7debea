"""The ready attention mask: the same token states as transformers' own 2-D mask path, for every
encoder family that gets it, in both attention implementations; other models keep the 2-D mask.
"""

from __future__ import annotations

import pytest
import torch

from c2kd_analyze.distill.models import (
    READY_MASK_TYPES,
    FineTunedTextTower,
    _transformers_major,
    ready_mask,
    takes_ready_mask,
)

CAPTIONS = ["cut the onion", "schneide die Zwiebel jetzt vorsichtig in kleine Stücke", "riz"]
FAMILIES = ["bert", "xlmr", "roberta", "distilbert", "mpnet"]


def _load(folder, attn: str):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder), attn_implementation=attn).eval()
    tokens = tokenizer(CAPTIONS, padding=True, return_tensors="pt")
    return model, {k: v for k, v in tokens.items() if k in ("input_ids", "attention_mask")}


#: (family, attention implementation); transformers runs MPNet with eager attention only
CASES = [(f, a) for f in FAMILIES for a in ("eager", "sdpa") if (f, a) != ("mpnet", "sdpa")]


@pytest.mark.parametrize(("family", "attn"), CASES)
def test_ready_mask_gives_the_two_d_masks_states(family, attn, request):
    model, tokens = _load(request.getfixturevalue(f"tiny_{family}_dir"), attn)
    mask = tokens["attention_mask"]
    assert not bool(mask.all())  # the captions really are padded
    assert takes_ready_mask(model)
    with torch.no_grad():
        want = model(**tokens).last_hidden_state
        given = ready_mask(mask, _transformers_major())
        got = model(input_ids=tokens["input_ids"], attention_mask=given).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(got[real], want[real], rtol=1e-5, atol=1e-6)


def test_a_decoder_keeps_the_two_d_mask(tiny_qwen3_dir):
    """Qwen3 is causal: a ready bidirectional mask would let tokens see their future."""
    model, _ = _load(tiny_qwen3_dir, "sdpa")
    assert not takes_ready_mask(model)
    assert model.config.model_type not in READY_MASK_TYPES[5]


def test_an_unread_pooler_is_left_out_of_the_graph(tiny_bert_dir):
    """Mean pooling never reads BERT's pooler: it is not run, gets no gradient and is not
    trained, yet stays in the state dict (checkpoints keep every key); ``pooler`` pooling
    keeps it."""
    from transformers import AutoModel

    mean = FineTunedTextTower(AutoModel.from_pretrained(str(tiny_bert_dir)), 32, 8, "mean")
    pooled = FineTunedTextTower(AutoModel.from_pretrained(str(tiny_bert_dir)), 32, 8, "pooler")
    _, tokens = _load(tiny_bert_dir, "sdpa")
    for tower in (mean, pooled):
        tower(tokens).sum().backward()
    assert all(not p.requires_grad and p.grad is None for p in mean.encoder.pooler.parameters())
    assert all(p.grad is not None for p in pooled.encoder.pooler.parameters())
    assert any(k.startswith("encoder.pooler.") for k in mean.state_dict())
    trained = [p for p in mean.parameters() if p.requires_grad]
    assert all(p.grad is not None for p in trained)  # nothing else is unused
