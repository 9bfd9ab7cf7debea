"""The exported folder's README.md, and the snippets that load it without c2kd_analyze.

:data:`TEXT_SNIPPET` and :data:`VIDEO_SNIPPET` are the one place the loading code is written:
the folder's README shows it with the folder's own path, the project README with a placeholder,
and the export tests run the folder's copy as written (a snippet that stops working fails).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from .locate import CellModel

#: the text side: ``folder`` is the exported folder
TEXT_SNIPPET = """\
from sentence_transformers import SentenceTransformer

text = SentenceTransformer(folder, trust_remote_code=True)  # trusts c2kd_head.py: the C2KD head
"""

#: the video tower in plain PyTorch: ``embed_video(frames)`` for one clip's (frames, dim) features
VIDEO_SNIPPET = """\
import json, torch, torch.nn.functional as F
from safetensors.torch import load_file

cfg = json.load(open(f"{folder}/video/config.json"))
w = load_file(f"{folder}/video/model.safetensors")
layer = torch.nn.TransformerEncoderLayer(cfg["width"], cfg["heads"], cfg["ffn_dim"], dropout=0.0,
    activation="gelu", layer_norm_eps=1e-6, batch_first=True, norm_first=True)
blocks = torch.nn.TransformerEncoder(layer, cfg["depth"], enable_nested_tensor=False).eval()
blocks.load_state_dict({k[7:]: v for k, v in w.items() if k.startswith("blocks.")})

def gated(x, name):  # y = W1 x + b1; out = y * sigmoid(W2 y + b2)
    y = F.linear(x, w[f"{name}.fc.weight"], w[f"{name}.fc.bias"])
    return y * torch.sigmoid(F.linear(y, w[f"{name}.gate.weight"], w[f"{name}.gate.bias"]))

@torch.no_grad()
def embed_video(frames):  # one clip's (frames, dim) features -> (projection_dim,), unit norm
    x = F.normalize(torch.as_tensor(frames, dtype=torch.float32)[: cfg["n_video_tokens"]], dim=-1)
    x = F.layer_norm(gated(x, "token_proj"), [cfg["width"]], w["norm.weight"], w["norm.bias"], 1e-6)
    x = x if len(x) else w["masking_token"][None]  # a clip without frames reads the masking token
    x = torch.cat([w["cls_token"][0], x])[None]  # the learned CLS token first: (1, 1 + T, width)
    return F.normalize(gated(blocks(x)[0, 0], "proj"), dim=-1)
"""

USE_SNIPPET = """\
queries = text.encode(["cut the onion", "schneide die Zwiebel"], convert_to_tensor=True)  # (2, P)
clips = torch.stack([embed_video(f) for f in clip_features])  # each f: (frames, dim)
scores = queries @ clips.T  # cosine similarity (both sides are unit vectors); argmax = best clip
"""

#: what the project README shows (a placeholder folder)
README_FOLDER = "student-c2kd"


def load_snippet(folder: str | Path, text: bool = True) -> str:
    """The loading code for ``folder``: the text side (unless ``text`` is False), then the video
    tower, one block."""
    line = f"folder = {str(folder)!r}  # the folder `c2kd-analyze export` wrote\n"
    return line + (TEXT_SNIPPET + "\n" if text else "") + VIDEO_SNIPPET


def _r1_table(recall: pl.DataFrame | None) -> str:
    """R@1/5/10 (x100) per language: one row per k."""
    if recall is None or recall.is_empty():
        return "(the cell's metrics file could not be read)\n"
    langs = list(dict.fromkeys(recall["lang"].to_list()))
    head = "| | " + " | ".join(langs) + " |\n|---|" + "---:|" * len(langs) + "\n"
    rows = []
    for k in sorted(set(recall["k"].to_list())):
        values = dict(recall.filter(recall["k"] == k).select("lang", "value").iter_rows())
        cells = [f"{100 * values[lang]:.1f}" if lang in values else "–" for lang in langs]
        rows.append(f"| R@{k} | " + " | ".join(cells) + " |\n")
    return head + "".join(rows)


def folder_readme(
    folder: Path, model: CellModel, record: dict[str, Any], metrics: pl.DataFrame | None
) -> str:
    """README.md of an exported folder: the Hub's front matter (model card metadata with the
    cell's test recall), what it is, how to load both towers, what to expect, its lineage."""
    from .hub_card import front_matter, lineage, t2v_recall

    recall = t2v_recall(metrics)
    text, video = record["text"], record["video"]
    prompt = text.get("query_prompt") or ""
    prompt_line = (
        f'Every text gets the query prompt `"{prompt}"` first, as in the run: it is this '
        f"folder's default prompt (`config_sentence_transformers.json`), so `encode(texts)` "
        f"applies it; do not add it yourself.\n"
        if prompt
        else "The run put no prompt before the captions, and neither does this folder.\n"
    )
    return (
        front_matter(model, record, recall)
        + f"""
# `{record["cell"]}` of c2kd-analyze run `{record["run_id"]}`

A text-to-video retrieval dual encoder (stage `{record["stage"]}`, dataset
`{record["dataset"]}`, {text["mode"]} mode). Text side: `{text["encoder"]}`
({text["model_id"]}), pooled, then the C2KD head; video side: the C2KD video tower over
`{video["feature_kind"]}` frame features ({video["feature_dim"]}-d). Both give {text["dim"]}-d
unit vectors; the score is their cosine.

Text-to-video recall (x100) of this model on the run's test split, which these files
reproduce (also in the `model-index` above, as fractions):

{_r1_table(recall)}
## Files

- `modules.json`, `config_sentence_transformers.json`, the encoder's files, `*_Pooling/`, ...:
  a sentence-transformers model: encoder, pooling, C2KD head (`*_C2KDTextHead/`, code in
  `c2kd_head.py`), L2 normalisation.
- `video/model.safetensors`, `video/config.json`: the video tower (plain PyTorch below).
- `c2kd_export.json`: where it came from (run, cell, checkpoint, versions).

## Load and use, without c2kd_analyze

```python
{load_snippet(folder)}```

```python
{USE_SNIPPET}```

`trust_remote_code=True` lets sentence-transformers run `c2kd_head.py` (read it: ~100 lines of
torch, the head LayerNorm + gated unit, with a float64 standardisation in frozen mode).
{prompt_line}
Video features must be the kind the run used (`{video["feature_kind"]}`, {video["feature_dim"]}-d
per frame); `embed_video` takes one clip's frames in order, at most the first
{video["n_video_tokens"]} (as the run did), and L2-normalises each frame itself.

The vectors equal the run's up to float rounding (fp32 on any device). A run with
`--precision bf16` evaluated under bf16 autocast, so its numbers can differ slightly from these.

{lineage(model, metrics)}"""
    )


def video_readme(folder: Path, record: dict[str, Any]) -> str:
    """README.md of a ``--video-only`` export: the video tower and its loading code."""
    video = record["video"]
    return f"""# The video tower of `{record["cell"]}` (c2kd-analyze run `{record["run_id"]}`)

Only the video tower was exported (`--video-only`): `video/model.safetensors` and
`video/config.json`. It embeds one clip's `{video["feature_kind"]}` frame features
({video["feature_dim"]}-d, at most the first {video["n_video_tokens"]} frames) into a
{video["projection_dim"]}-d unit vector, with plain PyTorch:

```python
{load_snippet(folder, text=False)}```
"""
