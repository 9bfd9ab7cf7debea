"""A cell's text tower as a sentence-transformers model: encoder, pooling, head, normalisation.

The modules reproduce what the run evaluated, step by step:

- ``frozen`` mode: the encoder exactly as the run loaded it (the same registry backend, folder,
  token limit and pooling), L2-normalised when its spec says so (the vectors the encoder cache
  holds), then the head with its float64 standardisation;
- ``full`` mode: the fine-tuned encoder weights from the checkpoint, pooled as the run pooled
  them (``identity["pooling"]``), truncated at the run's test token limit, then the head;
- both: a final ``Normalize`` (the run scores L2-normalised text embeddings), and the spec's
  query prompt as the folder's default prompt (sentence-transformers puts it before every text,
  as the run did).

``pooler`` pooling (the model's dense + tanh over the first token) becomes ``Pooling("cls")`` and
a ``Dense`` layer with tanh holding the pooler's weights, so no custom pooling code is needed. The
head is the one custom module (:mod:`.c2kd_head`), hence ``trust_remote_code=True`` on loading.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError

if TYPE_CHECKING:
    import torch

    from ..teachers.spec import TeacherSpec
    from .locate import CellModel

log = logging.getLogger(__name__)

HEAD_FILE = Path(__file__).with_name("c2kd_head.py")
#: the module name the head's class reference gets in ``modules.json`` (``c2kd_head.C2KDTextHead``)
HEAD_MODULE = "c2kd_head"

#: our pooling names -> sentence-transformers' Pooling modes
_ST_POOLING = {"mean": "mean", "cls": "cls", "last-token": "lasttoken", "pooler": "cls"}


def head_class() -> type:
    """``C2KDTextHead`` loaded from the file that is copied into the folder, under the module name
    it has there, so sentence-transformers records it as ``c2kd_head.C2KDTextHead``."""
    spec = importlib.util.spec_from_file_location(HEAD_MODULE, HEAD_FILE)
    assert spec is not None and spec.loader is not None  # a .py file beside this one
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.C2KDTextHead


def st_modules():
    """sentence-transformers' module classes (Dense, Normalize, Pooling, Transformer), from
    where the installed version keeps them (``sentence_transformers.models`` before 6.0)."""
    try:
        from sentence_transformers.sentence_transformer import modules
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers import models as modules
    return modules


def split_state(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of ``state`` under ``prefix`` (``"text.head."``), with the prefix removed."""
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def load_encoder(
    model: CellModel,
    teacher_dir: Path | None,
    trust_remote_code: bool,
    ignore_model_id: bool = False,
):
    """The run's text encoder (a TextEncoder), loaded on the CPU as the run loaded it; refuses one
    whose model id differs from the one the run recorded (a local folder's id holds its path and
    a fingerprint of its files), unless ``ignore_model_id``."""
    from ..teachers.loader import find_teacher

    local = teacher_dir if teacher_dir is not None else model.teacher_dir()
    encoder = find_teacher(  # a wrong folder is refused before its model loads
        model.encoder, local_dir=local, device="cpu", trust_remote_code=trust_remote_code
    )
    if model.model_id and encoder.model_id != model.model_id and not ignore_model_id:
        raise UserError(
            f"cell {model.cell!r} was trained on {model.model_id}, but {encoder.model_id} is "
            f"what loads here; pass --teacher-dir {model.encoder}=DIR with the folder the run "
            f"used, or --ignore-model-id if this one holds the same model"
        )
    if model.model_id and encoder.model_id != model.model_id:
        log.warning("exporting with %s; the run used %s", encoder.model_id, model.model_id)
    return encoder.loaded


def _st_transformer(folder: Path, max_tokens: int, trust_remote_code: bool):
    """sentence-transformers' Transformer over a HF folder (model, tokenizer and config allowed
    to run repository code when the spec says so, under the argument names of the installed
    version)."""
    import inspect

    Transformer = st_modules().Transformer
    extra = {}
    if trust_remote_code:
        params = inspect.signature(Transformer.__init__).parameters
        names = ("model_kwargs", "processor_kwargs", "config_kwargs")
        if "model_kwargs" not in params:  # older sentence-transformers
            names = ("model_args", "tokenizer_args", "config_args")
        extra = {name: {"trust_remote_code": True} for name in names}
    return Transformer(str(folder), max_seq_length=max_tokens, **extra)


def _transformer_modules(
    hf_model: Any,
    tokenizer: Any,
    pooling: str,
    max_tokens: int,
    scratch: Path,
    trust_remote_code: bool = False,
) -> list:
    """Transformer (saved to ``scratch`` and read back) + Pooling (+ the pooler's Dense)."""
    from torch import nn

    m = st_modules()
    Dense, Pooling = m.Dense, m.Pooling

    hf_model.save_pretrained(scratch)
    tokenizer.save_pretrained(scratch)
    transformer = _st_transformer(scratch, max_tokens, trust_remote_code)
    hidden = int(hf_model.config.hidden_size)
    modules = [transformer, Pooling(hidden, pooling_mode=_ST_POOLING[pooling])]
    if pooling == "pooler":
        dense = getattr(getattr(hf_model, "pooler", None), "dense", None)
        if dense is None:
            raise UserError("pooling 'pooler' needs a model with a pooler layer; it has none")
        weight, bias = dense.weight.detach().clone(), dense.bias.detach().clone()
        modules.append(
            Dense(hidden, hidden, activation_function=nn.Tanh(), init_weight=weight, init_bias=bias)
        )
    return modules


def _frozen_modules(model: CellModel, spec: TeacherSpec, encoder, scratch: Path) -> list:
    Normalize = st_modules().Normalize
    if spec.backend == "sentence-transformers":
        modules = list(encoder.model)  # its own Transformer (at spec.max_tokens), Pooling, ...
    else:
        tokenizer, hf_model = encoder.hf_parts()
        modules = _transformer_modules(
            hf_model, tokenizer, spec.pooling, encoder.max_tokens, scratch, spec.trust_remote_code
        )
    return [*modules, Normalize()] if spec.normalize else modules


def _full_modules(model: CellModel, encoder, state: dict, scratch: Path) -> list:
    tokenizer, hf_model = encoder.hf_parts()
    hf_model.load_state_dict(split_state(state, "text.encoder."), strict=True)
    pooling = model.identity.get("pooling") or encoder.spec.pooling
    trust = encoder.spec.trust_remote_code
    return _transformer_modules(hf_model, tokenizer, pooling, model.test_max_tokens, scratch, trust)


def _prompts(spec: TeacherSpec, encoder) -> tuple[dict[str, str], str | None]:
    """(prompts, default prompt name): the spec's query prompt as the default, as the run put it
    before every caption; without one, a sentence-transformers folder keeps its own default (the
    run's ``encode(prompt=None)`` applied it too)."""
    own = getattr(encoder, "model", None) if spec.backend == "sentence-transformers" else None
    prompts = dict(getattr(own, "prompts", None) or {})
    default = getattr(own, "default_prompt_name", None)
    if spec.query_prompt:
        prompts["query"], default = spec.query_prompt, "query"
    return prompts, default


def write_text_model(
    model: CellModel,
    state: dict[str, torch.Tensor],
    folder: Path,
    teacher_dir: Path | None = None,
    trust_remote_code: bool = False,
    ignore_model_id: bool = False,
) -> dict[str, Any]:
    """Write the cell's text tower into ``folder`` as a sentence-transformers model (with
    ``c2kd_head.py`` beside ``modules.json``); returns what it wrote, for the export record."""
    import shutil

    from ..teachers import get_spec

    spec = get_spec(model.encoder)
    encoder = load_encoder(model, teacher_dir, trust_remote_code, ignore_model_id)
    from sentence_transformers import SentenceTransformer

    Normalize = st_modules().Normalize
    frozen = model.mode != "full"
    # the scratch copy of the encoder lives until the folder is saved (a tokenizer may read files)
    with tempfile.TemporaryDirectory(prefix="c2kd-export-") as scratch:
        if frozen:
            modules = _frozen_modules(model, spec, encoder, Path(scratch))
        else:
            modules = _full_modules(model, encoder, state, Path(scratch))
        head_state = split_state(state, "text." if frozen else "text.head.")
        in_dim = int(head_state["norm.weight"].shape[0])
        out_dim = int(head_state["proj.fc.weight"].shape[0])
        head = head_class()(in_dim, out_dim, standardize=frozen)
        head.load_state_dict(head_state, strict=True)
        prompts, default = _prompts(spec, encoder)
        st = SentenceTransformer(
            modules=[*modules, head, Normalize()],
            device="cpu",
            prompts=prompts,
            default_prompt_name=default,
            similarity_fn_name="cosine",
        )
        st.save(str(folder), create_model_card=False)
    shutil.copyfile(HEAD_FILE, folder / f"{HEAD_MODULE}.py")
    return {
        "encoder": model.encoder,
        "model_id": encoder.model_id,
        "run_model_id": model.model_id,
        "mode": model.mode,
        "pooling": model.identity.get("pooling") if not frozen else spec.pooling,
        "query_prompt": spec.query_prompt,
        "max_seq_length": st.max_seq_length,
        "standardize": frozen,
        "dim": out_dim,
    }
