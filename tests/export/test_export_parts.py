"""The exported parts against the package's own modules, on random weights (fast).

- the video snippet (plain PyTorch, as the README prints it) against ``distill.models.VideoTower``
  on clips with full, partial and no frames;
- ``c2kd_head.C2KDTextHead`` against ``TextHead`` (with and without its float64
  standardisation), through its own save and load;
- the sentence-transformers Transformer + Pooling (+ the pooler's Dense) that ``text_side`` builds,
  for each pooling, against ``teachers.pooling.pool_output`` on the same tiny BERT.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from export_helpers import FEATURE_DIM, PROJECTION, WIDTH, fabricate_run, readme_code

from c2kd_analyze.distill.models import Standardize, TextHead, VideoTower
from c2kd_analyze.export import export_cell
from c2kd_analyze.export.card import VIDEO_SNIPPET
from c2kd_analyze.export.text_side import head_class


def test_video_snippet_matches_the_video_tower(tmp_path):
    run = fabricate_run(tmp_path, Path(os.environ["C2KD_CACHE"]))
    out = tmp_path / "out"
    export_cell(run, "c2kd-muse-s0", out, video_only=True)
    namespace = {}
    exec(readme_code(out), namespace)  # the code the folder's README prints, not our classes
    assert VIDEO_SNIPPET in readme_code(out)
    embed_video = namespace["embed_video"]

    from export_helpers import fake_video_state

    tower = VideoTower(FEATURE_DIM, PROJECTION, width=WIDTH)
    tower.load_state_dict({k[6:]: v for k, v in fake_video_state().items()})
    tower.eval()
    rng = np.random.default_rng(0)
    frames = torch.from_numpy(rng.standard_normal((5, 4, FEATURE_DIM)).astype(np.float32))
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 0]])
    mask = mask.bool()
    with torch.no_grad():
        expected = torch.nn.functional.normalize(tower(frames, mask), dim=-1)
    got = torch.stack([embed_video(frames[i][mask[i]]) for i in range(len(frames))])
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()
    # frames past n_video_tokens are ignored, as the run cut them
    longer = torch.cat([frames[0], frames[1]])  # 8 frames
    assert torch.allclose(embed_video(longer), expected[0], atol=1e-5)


@pytest.mark.parametrize("standardize", [True, False], ids=["frozen", "full"])
def test_exported_head_equals_the_text_head(tmp_path, standardize):
    torch.manual_seed(0)
    dim, proj = 24, 8
    std = Standardize(torch.randn(dim, dtype=torch.float64), torch.rand(dim, dtype=torch.float64))
    ours = TextHead(dim, proj, std if standardize else None)
    for p in ours.parameters():
        torch.nn.init.normal_(p)
    exported = head_class()(dim, proj, standardize=standardize)
    exported.load_state_dict(ours.state_dict(), strict=True)
    exported.save(str(tmp_path / "head"))
    loaded = type(exported).load(str(tmp_path / "head"))
    assert loaded.standardize is not None if standardize else loaded.standardize is None
    x = torch.randn(7, dim)
    with torch.no_grad():
        got = loaded({"sentence_embedding": x.clone()})["sentence_embedding"]
        assert torch.equal(got, ours(x))  # the same operations in the same order: bit for bit
    if standardize:
        assert loaded.standardize.mean.dtype == torch.float64


def _tiny_bert():
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=32,
    )  # fmt: skip
    return BertModel(config).eval()


@pytest.mark.parametrize("pooling", ["mean", "cls", "pooler", "last-token"])
def test_sentence_transformers_pooling_equals_ours(tmp_path, pooling):
    from sentence_transformers import SentenceTransformer
    from transformers import BertTokenizerFast

    from c2kd_analyze.export.text_side import _transformer_modules
    from c2kd_analyze.teachers.pooling import pool_output

    torch.manual_seed(0)
    model = _tiny_bert()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"abcdefghij"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt"))
    scratch = tmp_path / "scratch"
    modules = _transformer_modules(model, tokenizer, pooling, 16, scratch)
    st = SentenceTransformer(modules=modules, device="cpu")
    texts = ["a b c", "d e f g h i j a b c", "j", "a " * 40]  # the last one is truncated at 16
    got = st.encode(texts, convert_to_tensor=True)
    tokens = tokenizer(texts, truncation=True, max_length=16, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
        expected = pool_output(out, tokens["attention_mask"], pooling)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()


def test_project_readme_shows_the_same_loading_code():
    from c2kd_analyze.export.card import README_FOLDER, USE_SNIPPET, load_snippet

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Students you can take away", 1)[1].split("\n## ", 1)[0]
    assert load_snippet(README_FOLDER) in section
    assert USE_SNIPPET in section


def test_the_model_card_front_matter_reads_back_with_the_cells_numbers(tmp_path):
    """The Hub's metadata, as huggingface_hub parses it, from a fabricated C2KD cell: base model,
    licence and languages from the spec and the run; a model-index entry per language and k."""
    import polars as pl
    from huggingface_hub import ModelCard

    from c2kd_analyze.export.hub_card import front_matter, lineage, t2v_recall
    from c2kd_analyze.export.locate import find_cell_model

    run = fabricate_run(tmp_path, Path(os.environ["C2KD_CACHE"]), encoder="me5-small")
    model = find_cell_model(run, "c2kd-muse-s0")
    metrics = pl.DataFrame({
        "lang": ["en", "de", "en", "de", "en"], "k": [1, 1, 5, 5, 1],
        "value": [0.25, 0.125, 0.5, 0.375, 0.75], "dataset": ["demo"] * 5,
        "split": ["test"] * 5, "metric": ["recall"] * 4 + ["recall"],
        "direction": ["t2v"] * 4 + ["v2t"], "stage": ["c2kd"] * 5, "teacher": ["muse"] * 5,
        "teacher_recipe": ["translate-train"] * 5, "seed": [0] * 5,
    })  # fmt: skip
    record = {"run_id": "demo-fake", "cell": "c2kd-muse-s0"}
    readme = front_matter(model, record, t2v_recall(metrics)) + "\n# x\n" + lineage(model, metrics)
    (tmp_path / "README.md").write_text(readme)
    data = ModelCard.load(tmp_path / "README.md").data
    assert data.base_model == "intfloat/multilingual-e5-small" and data.license == "mit"
    assert data.language == ["en", "de"] and data.datasets == ["demo"]
    got = {(e.dataset_config, e.metric_type): e.metric_value for e in data.eval_results}
    assert got == {("en", "recall_at_1"): 0.25, ("de", "recall_at_1"): 0.125,
                   ("en", "recall_at_5"): 0.5, ("de", "recall_at_5"): 0.375}  # fmt: skip
    body = readme.split("---", 2)[2]
    assert "| `muse` | google/universal-sentence-encoder-multilingual-3 |" in body
    assert "Run `demo-fake`, cell `c2kd-muse-s0`, seed 0" in body
