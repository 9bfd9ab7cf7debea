#!/usr/bin/env bash
# Wheels of the packages the test suite needs that the GPU machine's image lacks (its python3
# is CPython 3.12 with torch, transformers, pytest, rich, typer, filelock, pyarrow, ...; no
# polars, pydantic or platformdirs), fetched here into .whl/ (git-ignored), about 55 MB, so
# benchmarks/gpu_check.sh can install them there offline. Versions: this checkout's .venv.
set -euo pipefail
py=".venv/bin/python"
versions=$("$py" - <<'PY'
from importlib.metadata import version
names = ["polars", "polars-runtime-32", "pydantic", "pydantic-core", "platformdirs",
         "annotated-types", "typing-inspection"]
print(" ".join(f"{n}=={version(n)}" for n in names))
PY
)
mkdir -p .whl
# shellcheck disable=SC2086
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d .whl $versions
du -sh .whl
