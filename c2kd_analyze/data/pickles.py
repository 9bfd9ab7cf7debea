"""The one place this project unpickles anything: the C2KD release's data files.

A pickle can run arbitrary code when it is loaded. The release ships its data only as pickles, so
the release readers (and nothing else) call :func:`load_release_pickle`, only on the fixed file
names of the release inside the folder the user names with ``--data-dir``. On top of that, the
unpickler refuses every global except the numpy-array and builtin container types those files
hold, so a file that tries to call anything else is rejected before it runs.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

from ..errors import UserError
from .files import checked_file

#: what to do when a release file is missing
MISSING_HINT = (
    "--data-dir must be the extracted data/ folder of the C2KD release "
    "(it holds msrvtt/, youcook2/, vatex/, rudder/)"
)

# (module, name) pairs a pickled list of dicts of numpy arrays and strings can need.
_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    [(m, "_reconstruct") for m in ("numpy.core.multiarray", "numpy._core.multiarray")]
    + [(m, "scalar") for m in ("numpy.core.multiarray", "numpy._core.multiarray")]
    + [(m, "_frombuffer") for m in ("numpy.core.numeric", "numpy._core.numeric")]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), ("codecs", "encode")]
    + [("collections", "OrderedDict")]
    + [("builtins", n) for n in ("list", "dict", "tuple", "set", "frozenset", "bytearray")]
)


class _ReleaseUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}")
        with warnings.catch_warnings():  # numpy 2 warns when old pickles name numpy.core
            warnings.simplefilter("ignore", DeprecationWarning)
            return super().find_class(module, name)


def load_release_pickle(path: Path) -> Any:
    """Unpickle one C2KD release file (numpy arrays, strings, lists, dicts only).

    Raises UserError naming the file when it is missing, not a regular readable file, truncated,
    not a pickle, or asks for anything outside the allowed types.
    """
    checked_file(path, missing=MISSING_HINT)
    try:
        with open(path, "rb") as fh:
            # latin1: the encoding numpy arrays pickled under Python 2 need; harmless otherwise.
            return _ReleaseUnpickler(fh, encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        msg = str(exc)
        if msg.startswith("it asks for"):
            raise UserError(
                f"refusing to unpickle {path}: {msg}, which C2KD release data files never contain"
            ) from None
        raise UserError(
            f"cannot read {path}: truncated or damaged pickle ({msg}); extract data.tar.gz again"
        ) from None
    except (EOFError, ValueError, TypeError, IndexError, AttributeError, MemoryError) as exc:
        raise UserError(
            f"cannot read {path}: truncated or damaged pickle ({type(exc).__name__}: {exc}); "
            "extract data.tar.gz again"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
